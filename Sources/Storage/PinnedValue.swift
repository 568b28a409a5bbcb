// PinnedValue: a value read without copying, pinned in RocksDB's memtable or block cache.
// Owns one `rocksdb_pinnableslice_t` (destroyed once, in deinit); noncopyable so there is
// exactly one owner, and holds its key space so the database outlives the pin.
internal import CRocksDB

/// A value pinned in RocksDB's memory. Read it with `withUnsafeBytes`; it stays valid
/// until this value is consumed or goes out of scope.
public struct PinnedValue: ~Copyable {
    private let slice: OpaquePointer
    private let keySpace: any KeySpace

    init(slice: OpaquePointer, keySpace: any KeySpace) {
        self.slice = slice
        self.keySpace = keySpace
    }

    deinit {
        rocksdb_pinnableslice_destroy(slice)
    }

    /// The value's length in bytes.
    public var count: Int {
        var length = 0
        _ = rocksdb_pinnableslice_value(slice, &length)
        return length
    }

    /// Calls `body` with the value's bytes, valid only during the call.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var length = 0
        let value = rocksdb_pinnableslice_value(slice, &length)
        return try body(CBytes.view(value, count: length))
    }

    /// A copy of the value.
    public var bytes: [UInt8] {
        var length = 0
        let value = rocksdb_pinnableslice_value(slice, &length)
        return CBytes.copy(value, count: length)
    }
}
