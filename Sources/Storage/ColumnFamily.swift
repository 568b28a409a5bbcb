// ColumnFamily: a RocksDB column family, the RocksDB form of a key space.
// Owns one `rocksdb_column_family_handle_t` (destroyed once, in deinit) and a strong
// reference to its database so the handle is always destroyed before the database closes.
internal import CRocksDB
internal import Synchronization

/// A named, independently configured and droppable key space inside a `RocksDBStore`.
///
/// Obtain one from `RocksDBStore.keySpace(named:)` or `defaultKeySpace`. After
/// `RocksDBStore.dropKeySpace(_:)` every operation on it throws `.keySpaceDropped`; its
/// files are deleted once the last reference to this object is released.
///
/// `@unchecked Sendable` because: RocksDB column family handles are safe to use from any
/// thread; `handle` and `database` are immutable; the dropped flag is an `Atomic`; the
/// handle is destroyed only from deinit.
public final class ColumnFamily: KeySpace, @unchecked Sendable, CustomStringConvertible {
    /// The key space's name.
    public let name: String
    let handle: OpaquePointer
    let database: NativeDatabase
    private let dropped = Atomic<Bool>(false)

    init(name: String, handle: OpaquePointer, database: NativeDatabase) {
        self.name = name
        self.handle = handle
        self.database = database
    }

    deinit {
        // For a dropped column family this is what lets RocksDB delete its files.
        rocksdb_column_family_handle_destroy(handle)
    }

    /// Whether the key space has been dropped.
    public var isDropped: Bool {
        dropped.load(ordering: .acquiring)
    }

    func markDropped() {
        dropped.store(true, ordering: .releasing)
    }

    /// The key space's name.
    public var description: String {
        "ColumnFamily(\(name))"
    }
}
