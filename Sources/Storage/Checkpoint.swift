// Checkpoint: RocksDB checkpoints, an openable copy of a live database made of hard links
// (same file system) or copies. Owns the `rocksdb_checkpoint_t` for the duration of one
// call and destroys it exactly once.
internal import CRocksDB

/// A RocksDB checkpoint object bound to one open database; noncopyable so it has one owner.
struct Checkpoint: ~Copyable {
    private let handle: OpaquePointer
    private let database: NativeDatabase

    init(of database: NativeDatabase) throws(StorageError) {
        let handle = try StorageError.check(.checkpoint, path: database.path) { error in
            rocksdb_checkpoint_object_create(database.pointer, error)
        }
        guard let handle else {
            throw StorageError(.checkpoint, path: database.path, status: "rocksdb_checkpoint_object_create returned NULL",
                               code: .unknown)
        }
        self.handle = handle
        self.database = database
    }

    deinit {
        rocksdb_checkpoint_object_destroy(handle)
    }

    /// Writes the checkpoint into `directory`, which must not exist yet.
    func create(at directory: String, logSizeForFlush: UInt64) throws(StorageError) {
        try StorageError.check(.checkpoint, path: directory) { error in
            rocksdb_checkpoint_create(handle, directory, logSizeForFlush, error)
        }
    }
}

extension RocksDBStore {
    /// Creates a consistent, openable copy of the whole database (every key space) in
    /// `directory`, which must not exist. SST files are hard-linked when `directory` is on
    /// the same file system. Open it with `RocksDBStore(path:options:)`.
    ///
    /// - Parameter logSizeForFlush: when the WAL is at least this many bytes, flush the
    ///   memtables first instead of copying the WAL; 0 always flushes.
    public func createCheckpoint(at directory: String, logSizeForFlush: UInt64) throws(StorageError) {
        guard !directory.isEmpty, !directory.utf8.contains(0) else {
            throw StorageError(.checkpoint, path: directory, status: "checkpoint path must be non-empty and contain no NUL bytes",
                               code: .invalidArgument)
        }
        let checkpoint = try Checkpoint(of: database)
        try checkpoint.create(at: directory, logSizeForFlush: logSizeForFlush)
    }

    /// Creates a checkpoint in `directory` after flushing the memtables (so it needs no WAL).
    public func createCheckpoint(at directory: String) throws(StorageError) {
        try createCheckpoint(at: directory, logSizeForFlush: 0)
    }
}
