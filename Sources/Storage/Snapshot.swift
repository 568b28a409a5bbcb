// Snapshot: a consistent, read-only view of a RocksDB store at one point in time.
// Owns one `rocksdb_snapshot_t` (released once, in deinit) and the read options that
// point at it; keeps its database open while alive.
internal import CRocksDB

/// A point-in-time view of a `RocksDBStore`: reads see exactly the writes committed before
/// the snapshot was taken, in every key space.
///
/// Release snapshots promptly: RocksDB keeps every version they can see.
///
/// `@unchecked Sendable` because: a RocksDB snapshot is immutable and may be read through
/// from any thread; the read options are written only in init and then only read; the
/// snapshot is released only from deinit.
public final class Snapshot: KeyValueSnapshot, @unchecked Sendable {
    let database: NativeDatabase
    let snapshotPointer: OpaquePointer
    let readOptions: OpaquePointer

    init(database: NativeDatabase) throws(StorageError) {
        guard let readOptions = rocksdb_readoptions_create() else {
            throw StorageError(.get, path: database.path, status: "rocksdb_readoptions_create failed", code: .unknown)
        }
        guard let snapshot = rocksdb_create_snapshot(database.pointer) else {
            rocksdb_readoptions_destroy(readOptions)
            throw StorageError(.get, path: database.path, status: "rocksdb_create_snapshot failed", code: .unknown)
        }
        rocksdb_readoptions_set_snapshot(readOptions, snapshot)
        self.database = database
        self.snapshotPointer = snapshot
        self.readOptions = readOptions
    }

    deinit {
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_release_snapshot(database.pointer, snapshotPointer)
    }

    /// The value of `key` in `keySpace` as of the snapshot, copied once; `nil` if absent.
    public func get(_ key: [UInt8], in keySpace: any KeySpace) throws(StorageError) -> [UInt8]? {
        try database.get(key, in: keySpace, readOptions: readOptions)
    }

    /// Calls `body` with the value of `key` as of the snapshot, pinned (not copied), or
    /// with `nil` if absent.
    public func withValue<Result>(
        forKey key: [UInt8], in keySpace: any KeySpace, _ body: (UnsafeRawBufferPointer?) -> Result
    ) throws(StorageError) -> Result {
        try database.withValue(forKey: key, in: keySpace, readOptions: readOptions, body)
    }

    /// The value of `key` as of the snapshot without copying it, or `nil` if absent.
    public func pinnedValue(forKey key: [UInt8], in keySpace: any KeySpace) throws(StorageError) -> PinnedValue? {
        guard let slice = try database.pinnedSlice(key, in: keySpace, readOptions: readOptions) else { return nil }
        return PinnedValue(slice: slice, keySpace: keySpace)
    }

    /// A cursor over `range` in `keySpace` as of the snapshot, unpositioned.
    public func makeCursor(over range: KeyRange, in keySpace: any KeySpace) throws(StorageError) -> StoreIterator {
        try StoreIterator(keySpace: database.columnFamily(keySpace, for: .iterate), range: range, snapshot: self)
    }
}
