// StoreIterator: a bounded RocksDB iterator over one key space, the RocksDB KeyValueCursor.
// Owns the `rocksdb_iterator_t`, its read options and the heap copies of its bounds
// (RocksDB keeps pointers to them), releasing them once, in that order, in deinit.
internal import CRocksDB

/// A cursor over one key space, limited to a `KeyRange` by RocksDB's iterate bounds.
///
/// Not `Sendable`: a RocksDB iterator must be used from one thread at a time. The byte
/// views it hands out are valid until the next call that moves it.
///
/// Newly made cursors are unpositioned: call `seekToFirst()`, `seekToLast()`,
/// `seek(to:)` or `seek(atOrBefore:)` first. Moving an invalid cursor does nothing.
public final class StoreIterator: KeyValueCursor {
    private let iterator: OpaquePointer
    private let readOptions: OpaquePointer
    private let lowerBound: OwnedBytes
    private let upperBound: OwnedBytes
    /// Kept alive for as long as the iterator reads through them.
    private let keySpace: ColumnFamily
    private let snapshot: Snapshot?

    /// The range this cursor is limited to.
    public let range: KeyRange

    init(keySpace: ColumnFamily, range: KeyRange, snapshot: Snapshot?) throws(StorageError) {
        let database = keySpace.database
        if let snapshot, snapshot.database !== database {
            throw StorageError(.iterate, path: database.path,
                               status: "snapshot belongs to the database at \(snapshot.database.path)",
                               code: .invalidArgument)
        }
        guard let readOptions = rocksdb_readoptions_create() else {
            throw StorageError(.iterate, path: database.path, status: "rocksdb_readoptions_create failed", code: .unknown)
        }
        let lower = OwnedBytes(copying: range.lowerBound)
        let upper = OwnedBytes(copying: range.upperBound)
        if let pointer = lower.cPointer {
            rocksdb_readoptions_set_iterate_lower_bound(readOptions, pointer, lower.count)
        }
        if let pointer = upper.cPointer {
            rocksdb_readoptions_set_iterate_upper_bound(readOptions, pointer, upper.count)
        }
        if let snapshot {
            // Copies the snapshot pointer; `self.snapshot` keeps it unreleased.
            rocksdb_readoptions_set_snapshot(readOptions, snapshot.snapshotPointer)
        }
        guard let iterator = rocksdb_create_iterator_cf(database.pointer, readOptions, keySpace.handle) else {
            rocksdb_readoptions_destroy(readOptions)
            throw StorageError(.iterate, path: database.path, status: "rocksdb_create_iterator_cf failed", code: .unknown)
        }
        self.iterator = iterator
        self.readOptions = readOptions
        self.lowerBound = lower
        self.upperBound = upper
        self.keySpace = keySpace
        self.snapshot = snapshot
        self.range = range
    }

    deinit {
        rocksdb_iter_destroy(iterator)
        rocksdb_readoptions_destroy(readOptions)
        // lowerBound and upperBound free themselves after this.
    }

    /// Whether the cursor is positioned on an entry.
    public var isValid: Bool {
        rocksdb_iter_valid(iterator) != 0
    }

    /// Positions on the first entry of the range.
    public func seekToFirst() {
        rocksdb_iter_seek_to_first(iterator)
    }

    /// Positions on the last entry of the range.
    public func seekToLast() {
        rocksdb_iter_seek_to_last(iterator)
    }

    /// Positions on the first entry whose key is `>= key` (clamped to the range).
    public func seek(to key: [UInt8]) {
        CBytes.with(key) { bytes, count in rocksdb_iter_seek(iterator, bytes, count) }
    }

    /// Positions on the last entry whose key is `<= key` (clamped to the range).
    public func seek(atOrBefore key: [UInt8]) {
        CBytes.with(key) { bytes, count in rocksdb_iter_seek_for_prev(iterator, bytes, count) }
    }

    /// Moves to the next entry; does nothing if the cursor is not valid.
    public func next() {
        guard isValid else { return }
        rocksdb_iter_next(iterator)
    }

    /// Moves to the previous entry; does nothing if the cursor is not valid.
    public func previous() {
        guard isValid else { return }
        rocksdb_iter_prev(iterator)
    }

    /// Calls `body` with the current key and value, valid only during the call; returns
    /// `nil` without calling it when the cursor is not valid.
    public func withCurrent<Result, Failure: Error>(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard isValid else { return nil }
        var keyLength = 0
        var valueLength = 0
        let key = rocksdb_iter_key(iterator, &keyLength)
        let value = rocksdb_iter_value(iterator, &valueLength)
        return try body(CBytes.view(key, count: keyLength), CBytes.view(value, count: valueLength))
    }

    /// A copy of the current key, or `nil` when not valid.
    public var key: [UInt8]? {
        guard isValid else { return nil }
        var length = 0
        let key = rocksdb_iter_key(iterator, &length)
        return CBytes.copy(key, count: length)
    }

    /// A copy of the current value, or `nil` when not valid.
    public var value: [UInt8]? {
        guard isValid else { return nil }
        var length = 0
        let value = rocksdb_iter_value(iterator, &length)
        return CBytes.copy(value, count: length)
    }

    /// Throws if the iterator stopped because of an error rather than the end of the range.
    /// Check it whenever `isValid` turns false.
    public func checkStatus() throws(StorageError) {
        try StorageError.check(.iterate, path: keySpace.database.path) { error in
            rocksdb_iter_get_error(iterator, error)
        }
    }
}

@available(*, unavailable, message: "RocksDB iterators must stay on one thread")
extension StoreIterator: Sendable {}
