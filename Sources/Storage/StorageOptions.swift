// StorageOptions: the configuration a store is opened with, as plain Swift values.
// Owns defaults (LZ4 upper levels, ZSTD bottom, bloom filters, block cache size) and
// per-key-space merge operators; NativeOptions turns it into RocksDB's option objects.

/// How to open a `RocksDBStore`.
public struct StorageOptions: Sendable {
    /// RocksDB's default memtable size (`write_buffer_size`), used when ``writeBufferBytes`` is nil.
    public static let defaultWriteBufferBytes = 64 << 20

    /// Create the database if the directory holds none. Default `true`.
    public var createIfMissing: Bool = true
    /// Fail if the directory already holds a database. Default `false`.
    public var errorIfExists: Bool = false
    /// Capacity of the LRU block cache shared by all key spaces, in bytes. Default 64 MiB.
    public var blockCacheBytes: Int = 64 << 20
    /// Bits per key of the full-key bloom filter in each SST file; `nil` for no filter.
    /// Default 10 (about 1% false positives).
    public var bloomFilterBitsPerKey: Double? = 10
    /// Compression for each LSM level, level 0 first; the last entry also applies to all
    /// deeper levels and is used as RocksDB's bottommost compression. Codecs this build of
    /// RocksDB lacks are replaced by their fallbacks (see `Compression.resolved`).
    /// Default: LZ4 on levels 0–5, ZSTD at the bottom.
    public var compressionPerLevel: [Compression] = [.lz4, .lz4, .lz4, .lz4, .lz4, .lz4, .zstd]
    /// Size of one memtable before it is flushed, in bytes; `nil` keeps RocksDB's default (64 MiB).
    public var writeBufferBytes: Int? = nil
    /// After a full disk, how much free space there must be before RocksDB resumes writes by
    /// itself (its SstFileManager checks every 5 seconds, then flushes the memtables onto a
    /// new WAL). RocksDB takes this reserve from the largest memtable size the store opens
    /// with, so the key spaces open with memtables of this size and are given their real
    /// size (``writeBufferBytes``) right after. Default 64 MiB (RocksDB's own default);
    /// RocksDB raises anything below 64 KiB to 64 KiB.
    public var diskReserveBytes: Int = 64 << 20
    /// The most all key spaces' memtables may hold together before RocksDB flushes the
    /// largest (`db_write_buffer_size`). A store has a key space per collection and index,
    /// each with its own memtables, so without this cap memory grows with their number.
    /// Default 128 MiB; 0 lifts the cap.
    public var totalWriteBufferBytes: Int = 128 << 20
    /// The most write-ahead log RocksDB keeps before it flushes the key spaces holding the
    /// oldest log file (`max_total_wal_size`): bounds the log a restart replays. Default 256 MiB;
    /// 0 keeps RocksDB's own rule (four times the memtables' total).
    public var maximumWALBytes: Int = 256 << 20
    /// Maximum concurrent background flushes and compactions; `nil` keeps RocksDB's default.
    public var backgroundJobs: Int? = nil
    /// Maximum open SST files; -1 (the default) keeps them all open.
    public var maxOpenFiles: Int = -1
    /// How many of RocksDB's info LOG files to keep. Default 4.
    public var keepLogFiles: Int = 4
    /// The least severe message RocksDB writes to its info LOG. Default `.fatal`: Debian's
    /// librocksdb 7.8 is built with assertions, and once a write to LOG fails (a full disk)
    /// the next log line aborts the process (`WritableFileWriter::
    /// AssertFalseAndGetStatusForPrevError`), so a chatty LOG turns ENOSPC into a crash.
    /// Tessera logs every storage error itself, with RocksDB's status text.
    public var infoLogLevel: InfoLogLevel = .fatal
    /// Merge operators by key space name (`"default"` for the default key space). Applied
    /// when the key space is opened or created; a key space holding merge operands must be
    /// opened with the same operator every time.
    public var mergeOperators: [String: any MergeOperator] = [:]
    /// Merge operators for every key space whose name starts with a prefix (for key spaces
    /// created at run time, such as one per collection). An exact entry in `mergeOperators`
    /// wins; among prefixes, the longest matching one.
    public var mergeOperatorsByPrefix: [String: any MergeOperator] = [:]
    /// In key spaces with a merge operator: how many merge operands one key may collect in
    /// the memtable before a write folds them into a full value (RocksDB's
    /// `max_successive_merges`), which bounds the work of every read of a hot key. `nil`
    /// uses the operator's `successiveMergeLimit`; 0 (or `nil` with no operator preference)
    /// keeps RocksDB's default of never folding on write.
    public var maxSuccessiveMerges: Int? = nil
    /// Key spaces, by name prefix, whose memtables keep a whole-key bloom filter, sized as
    /// this share of the memtable (RocksDB's `memtable_prefix_bloom_size_ratio` with
    /// `memtable_whole_key_filtering`): a point read of a key the memtable lacks (the `_id`
    /// check of every insert) skips the skip-list search. The filter is allocated with each
    /// memtable, so give it to the key spaces that take point reads of new keys, not to all.
    /// The longest matching prefix wins; ratios above 0.25 are treated as 0.25. Default: none.
    public var memtableKeyFiltersByPrefix: [String: Double] = [:]
    /// Collect RocksDB's statistics (tickers such as `rocksdb.bytes.written`), read with
    /// `RocksDBStore.statistics()`. Costs a little on every operation. Default `false`.
    public var collectsStatistics: Bool = false
    /// Run no compaction in the background (RocksDB's `disable_auto_compactions`): for a
    /// short-lived copy that must keep its SST files as they are, such as a checkpoint being
    /// backed up. Default `false`.
    public var disablesAutoCompactions: Bool = false

    /// Options with the defaults above.
    public init() {}

    /// The merge operator configured for the key space `name`: its exact entry, else the
    /// longest matching prefix entry, else `nil`.
    public func mergeOperator(forKeySpace name: String) -> (any MergeOperator)? {
        if let exact = mergeOperators[name] { return exact }
        var best: (prefix: String, mergeOperator: any MergeOperator)?
        for (prefix, mergeOperator) in mergeOperatorsByPrefix where name.hasPrefix(prefix) {
            if best.map({ prefix.utf8.count > $0.prefix.utf8.count }) ?? true { best = (prefix, mergeOperator) }
        }
        return best?.mergeOperator
    }

    /// The memtable key filter ratio of the key space `name` (0: none).
    public func memtableKeyFilterRatio(forKeySpace name: String) -> Double {
        var best: (prefix: String, ratio: Double)?
        for (prefix, ratio) in memtableKeyFiltersByPrefix where name.hasPrefix(prefix) {
            if best.map({ prefix.utf8.count > $0.prefix.utf8.count }) ?? true { best = (prefix, ratio) }
        }
        guard let ratio = best?.ratio, ratio > 0 else { return 0 }
        return min(ratio, 0.25)
    }

    /// `compressionPerLevel` after replacing unsupported codecs with their fallbacks.
    public var effectiveCompressionPerLevel: [Compression] {
        compressionPerLevel.map(\.resolved)
    }
}

/// RocksDB's `InfoLogLevel`: the least severe message written to the info LOG.
public enum InfoLogLevel: Int32, Sendable {
    /// Everything, debug messages included.
    case debug = 0
    /// RocksDB's default: informational messages and worse.
    case info = 1
    /// Warnings and worse.
    case warn = 2
    /// Errors and worse.
    case error = 3
    /// Fatal errors only (plus the header RocksDB writes at open).
    case fatal = 4
    /// Only the header RocksDB writes at open.
    case header = 5
}
