// StorageStatistics: one reading of RocksDB's statistics counters (tickers), parsed from the
// text dump the C API offers (RocksDB 7.8 has no per-ticker getter). Owns the parsing only.

/// RocksDB's ticker counters at one moment, by name (`rocksdb.bytes.written`, ...).
///
/// Tickers only grow while the store is open; subtract two readings to measure an interval.
public struct StorageStatistics: Sendable, Equatable {
    /// Every ticker's count by its RocksDB name.
    public let tickers: [String: UInt64]

    /// Counters read from RocksDB's dump, whose ticker lines read `name COUNT : value`
    /// (histogram lines, which carry percentiles too, are skipped).
    init(parsing text: String) {
        var tickers: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 4, parts[1] == "COUNT", parts[2] == ":", let value = UInt64(parts[3]) else { continue }
            tickers[String(parts[0])] = value
        }
        self.tickers = tickers
    }

    /// The count of ticker `name`, 0 when RocksDB did not report it.
    public subscript(_ name: String) -> UInt64 {
        tickers[name] ?? 0
    }

    /// Uncompressed bytes of user writes (`Put`, `Merge`, `Delete` and batches) as issued to
    /// the database: what the WAL and the memtable receive, before flushes and compactions.
    public var bytesWritten: UInt64 { self["rocksdb.bytes.written"] }
    /// Bytes appended to the write-ahead log.
    public var walBytes: UInt64 { self["rocksdb.wal.bytes"] }
    /// Bytes written to SST files by memtable flushes.
    public var flushBytesWritten: UInt64 { self["rocksdb.flush.write.bytes"] }
    /// Bytes written to SST files by compactions.
    public var compactionBytesWritten: UInt64 { self["rocksdb.compact.write.bytes"] }
}
