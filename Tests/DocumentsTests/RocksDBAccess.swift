// The RocksDB engine under a test store, for the checks only RocksDB can answer (flushes,
// compactions, statistics, SST sizes). Every store these tests open by path uses it.
import Documents
import Storage
import Testing

extension DocumentStore {
    /// The store's RocksDB engine; records a failure and throws if the store uses another.
    var rocksDB: RocksDBStore {
        get throws {
            try #require(storage as? RocksDBStore, "a store opened by path runs on RocksDB")
        }
    }
}
