// StorageOptions: the configuration a store is opened with, as plain Swift values.
// Owns defaults (LZ4 upper levels, ZSTD bottom, bloom filters, block cache size) and
// per-key-space merge operators; NativeOptions turns it into RocksDB's option objects.

/// How to open a `RocksDBStore`.
public struct StorageOptions: Sendable {
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
    /// Maximum concurrent background flushes and compactions; `nil` keeps RocksDB's default.
    public var backgroundJobs: Int? = nil
    /// Maximum open SST files; -1 (the default) keeps them all open.
    public var maxOpenFiles: Int = -1
    /// How many of RocksDB's info LOG files to keep. Default 4.
    public var keepLogFiles: Int = 4
    /// Merge operators by key space name (`"default"` for the default key space). Applied
    /// when the key space is opened or created; a key space holding merge operands must be
    /// opened with the same operator every time.
    public var mergeOperators: [String: any MergeOperator] = [:]

    /// Options with the defaults above.
    public init() {}

    /// `compressionPerLevel` after replacing unsupported codecs with their fallbacks.
    public var effectiveCompressionPerLevel: [Compression] {
        compressionPerLevel.map(\.resolved)
    }
}
