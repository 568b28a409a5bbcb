// DatabaseOptions: the read and write option objects every call on an open database uses.
// Owns one `rocksdb_readoptions_t` and two `rocksdb_writeoptions_t` (buffered, journaled),
// created before the database opens so opening never has to unwind half-made state.
internal import CRocksDB

/// The shared per-call option objects of one database; noncopyable, so exactly one owner
/// destroys them.
struct DatabaseOptions: ~Copyable {
    /// Latest-state reads with checksums verified.
    let read: OpaquePointer
    /// WAL append, no fsync.
    let buffered: OpaquePointer
    /// WAL append and fsync before returning.
    let journaled: OpaquePointer

    init(path: String) throws(StorageError) {
        guard let read = rocksdb_readoptions_create() else {
            throw StorageError(.open, path: path, status: "rocksdb_readoptions_create failed", code: .unknown)
        }
        guard let buffered = rocksdb_writeoptions_create() else {
            rocksdb_readoptions_destroy(read)
            throw StorageError(.open, path: path, status: "rocksdb_writeoptions_create failed", code: .unknown)
        }
        guard let journaled = rocksdb_writeoptions_create() else {
            rocksdb_writeoptions_destroy(buffered)
            rocksdb_readoptions_destroy(read)
            throw StorageError(.open, path: path, status: "rocksdb_writeoptions_create failed", code: .unknown)
        }
        rocksdb_writeoptions_set_sync(buffered, 0)
        rocksdb_writeoptions_set_sync(journaled, 1)
        self.read = read
        self.buffered = buffered
        self.journaled = journaled
    }

    deinit {
        rocksdb_writeoptions_destroy(journaled)
        rocksdb_writeoptions_destroy(buffered)
        rocksdb_readoptions_destroy(read)
    }
}
