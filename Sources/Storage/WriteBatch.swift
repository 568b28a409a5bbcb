// WriteBatch: RocksDB's write batch, the RocksDB KeyValueWriteBatch.
// Owns one `rocksdb_writebatch_t` (destroyed once, in deinit) and remembers which key
// spaces it touches so a write can refuse dropped or foreign key spaces before RocksDB sees it.
internal import CRocksDB

/// Puts, deletes, range deletes and merges across column families of one `RocksDBStore`,
/// applied atomically by `RocksDBStore.write(_:durability:)`.
///
/// Not `Sendable`: a RocksDB write batch is unsynchronised. Build it on one thread, then
/// write it (the write itself may happen on any thread that owns the batch).
public final class WriteBatch: KeyValueWriteBatch {
    let batch: OpaquePointer
    let database: NativeDatabase
    /// Every key space this batch has written to, each once (batches rarely touch more
    /// than a handful, so a linear scan beats hashing).
    private(set) var keySpaces: [ColumnFamily] = []
    /// The first key space given that is not a RocksDB column family: the batch is refused.
    private var foreignKeySpace: String?

    init(database: NativeDatabase) throws(StorageError) {
        guard let batch = rocksdb_writebatch_create() else {
            throw StorageError(.write, path: database.path, status: "rocksdb_writebatch_create failed", code: .unknown)
        }
        self.batch = batch
        self.database = database
    }

    deinit {
        rocksdb_writebatch_destroy(batch)
    }

    /// `keySpace` as a column family, remembered for validation; `nil` (and the batch
    /// refused at write) when it is another engine's key space.
    @inline(__always)
    private func note(_ keySpace: any KeySpace) -> ColumnFamily? {
        guard let family = keySpace as? ColumnFamily else {
            if foreignKeySpace == nil { foreignKeySpace = keySpace.name }
            return nil
        }
        for known in keySpaces where known === family { return family }
        keySpaces.append(family)
        return family
    }

    /// Sets `key` to `value` in `keySpace`.
    public func put(_ key: [UInt8], _ value: [UInt8], in keySpace: any KeySpace) {
        guard let keySpace = note(keySpace) else { return }
        CBytes.with(key) { keyBytes, keyCount in
            CBytes.with(value) { valueBytes, valueCount in
                rocksdb_writebatch_put_cf(batch, keySpace.handle, keyBytes, keyCount, valueBytes, valueCount)
            }
        }
    }

    /// Removes `key` from `keySpace`.
    public func delete(_ key: [UInt8], in keySpace: any KeySpace) {
        guard let keySpace = note(keySpace) else { return }
        CBytes.with(key) { bytes, count in
            rocksdb_writebatch_delete_cf(batch, keySpace.handle, bytes, count)
        }
    }

    /// Removes every key `k` with `start <= k < end` from `keySpace` (one range tombstone).
    public func deleteRange(from start: [UInt8], to end: [UInt8], in keySpace: any KeySpace) {
        guard let keySpace = note(keySpace) else { return }
        CBytes.with(start) { startBytes, startCount in
            CBytes.with(end) { endBytes, endCount in
                rocksdb_writebatch_delete_range_cf(batch, keySpace.handle, startBytes, startCount, endBytes, endCount)
            }
        }
    }

    /// Adds a merge operand for `key` in `keySpace`; the key space needs a `MergeOperator`.
    public func merge(_ key: [UInt8], _ operand: [UInt8], in keySpace: any KeySpace) {
        guard let keySpace = note(keySpace) else { return }
        CBytes.with(key) { keyBytes, keyCount in
            CBytes.with(operand) { operandBytes, operandCount in
                rocksdb_writebatch_merge_cf(batch, keySpace.handle, keyBytes, keyCount, operandBytes, operandCount)
            }
        }
    }

    /// The number of writes in the batch.
    public var count: Int {
        Int(rocksdb_writebatch_count(batch))
    }

    /// The size of the batch's serialized form in bytes (what the WAL record will carry).
    public var byteCount: Int {
        var size = 0
        _ = rocksdb_writebatch_data(batch, &size)
        return size
    }

    /// Removes every write so the batch can be reused.
    public func clear() {
        rocksdb_writebatch_clear(batch)
        keySpaces.removeAll(keepingCapacity: true)
        foreignKeySpace = nil
    }

    /// Throws unless every key space written belongs to `database` and none was dropped,
    /// so such a batch is refused as a whole before RocksDB sees it (a foreign key space's
    /// column family id could name an unrelated column family in this database).
    func validate(for database: NativeDatabase) throws(StorageError) {
        guard self.database === database else {
            throw StorageError(.write, path: database.path,
                               status: "write batch was made by the store at \(self.database.path)",
                               code: .invalidArgument)
        }
        if let foreignKeySpace {
            throw StorageError(.write, path: database.path,
                               status: "key space \(foreignKeySpace) is not a RocksDB column family",
                               code: .invalidArgument)
        }
        for keySpace in keySpaces {
            try database.validate(keySpace, for: .write)
        }
    }
}

@available(*, unavailable, message: "RocksDB write batches are not synchronised")
extension WriteBatch: Sendable {}
