// NativeDatabase: the one owner of an open `rocksdb_t*` and its shared read/write options.
// Closes the database exactly once, in deinit, which runs only after every key space,
// snapshot, iterator, pinned value and batch (each holds a strong reference) is released.
// A close still running when the process exits is waited for (bounded) before RocksDB's own
// static destructors run: the last holder may let go on another thread just as `main` returns.
internal import CRocksDB
#if canImport(Glibc)
internal import Glibc
#else
internal import Darwin
#endif
internal import Synchronization

/// Closes in progress, and whether the exit hook that waits for them is registered.
private let closesInProgress = Atomic<Int>(0)
private let exitHookRegistered = Atomic<Bool>(false)

/// An open RocksDB database handle.
///
/// `@unchecked Sendable` because: RocksDB documents `DB` as safe for concurrent use from
/// any thread; the pointers here are immutable after init; the shared option objects are
/// only read after init; and `rocksdb_close` runs only from deinit, when no other
/// reference exists.
final class NativeDatabase: @unchecked Sendable {
    let pointer: OpaquePointer
    let path: String
    /// Per-call option objects; destroyed after the database closes.
    private let options: DatabaseOptions

    /// Takes ownership of the open database `pointer` and of `options`.
    init(taking pointer: OpaquePointer, path: String, options: consuming DatabaseOptions) {
        self.pointer = pointer
        self.path = path
        self.options = options
        if !exitHookRegistered.exchange(true, ordering: .acquiringAndReleasing) {
            // Registered after RocksDB's static objects were constructed, so it runs before
            // their destructors (exit runs its hooks and destructors in reverse order).
            atexit { NativeDatabase.waitForClosesInProgress() }
        }
    }

    deinit {
        closesInProgress.add(1, ordering: .acquiringAndReleasing)
        rocksdb_close(pointer)
        closesInProgress.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// At exit: waits up to 60 s while any database is still closing on another thread, so
    /// the process does not tear down RocksDB's statics under a running close (which aborts).
    private static func waitForClosesInProgress() {
        var waited = 0
        while closesInProgress.load(ordering: .acquiring) > 0, waited < 6_000 {
            usleep(10_000)
            waited += 1
        }
    }

    /// Default read options: latest state, checksums verified.
    var readOptions: OpaquePointer {
        options.read
    }

    /// The write options for `durability`.
    func writeOptions(_ durability: Durability) -> OpaquePointer {
        switch durability {
        case .buffered: options.buffered
        case .journaled: options.journaled
        }
    }

    /// `keySpace` as this database's column family; throws unless it is one of this
    /// database's column families and has not been dropped.
    @inline(__always)
    func columnFamily(_ keySpace: any KeySpace, for operation: StorageError.Operation) throws(StorageError) -> ColumnFamily {
        guard let family = keySpace as? ColumnFamily else {
            throw StorageError(operation, path: path, status: "key space \(keySpace.name) is not a RocksDB column family",
                               code: .invalidArgument)
        }
        try validate(family, for: operation)
        return family
    }

    /// Throws unless `keySpace` belongs to this database and has not been dropped.
    @inline(__always)
    func validate(_ keySpace: ColumnFamily, for operation: StorageError.Operation) throws(StorageError) {
        guard keySpace.database === self else {
            throw StorageError(operation, path: path,
                               status: "key space \(keySpace.name) belongs to the database at \(keySpace.database.path)",
                               code: .invalidArgument)
        }
        guard !keySpace.isDropped else {
            throw StorageError(operation, path: path, status: "key space \(keySpace.name) was dropped",
                               code: .keySpaceDropped)
        }
    }

    // MARK: Reads shared by the store (latest state) and snapshots

    /// Reads `key` with `readOptions` into a new array (one copy out of the pinned slice).
    func get(_ key: [UInt8], in keySpace: any KeySpace, readOptions: OpaquePointer) throws(StorageError) -> [UInt8]? {
        guard let pinned = try pinnedSlice(key, in: keySpace, readOptions: readOptions) else { return nil }
        defer { rocksdb_pinnableslice_destroy(pinned) }
        var length = 0
        let value = rocksdb_pinnableslice_value(pinned, &length)
        return CBytes.copy(value, count: length)
    }

    /// Calls `body` with `key`'s value read with `readOptions`, pinned in RocksDB's memory
    /// for the call (no copy), or with `nil` when absent.
    func withValue<Result>(
        forKey key: [UInt8], in keySpace: any KeySpace, readOptions: OpaquePointer,
        _ body: (UnsafeRawBufferPointer?) -> Result
    ) throws(StorageError) -> Result {
        guard let pinned = try pinnedSlice(key, in: keySpace, readOptions: readOptions) else { return body(nil) }
        defer { rocksdb_pinnableslice_destroy(pinned) }
        var length = 0
        let value = rocksdb_pinnableslice_value(pinned, &length)
        return body(CBytes.view(value, count: length))
    }

    /// Reads `key` without copying; the caller owns the returned slice.
    func pinnedSlice(_ key: [UInt8], in keySpace: any KeySpace, readOptions: OpaquePointer) throws(StorageError) -> OpaquePointer? {
        let family = try columnFamily(keySpace, for: .get)
        return try StorageError.check(.get, path: path) { error in
            CBytes.with(key) { bytes, count in
                rocksdb_get_pinned_cf(pointer, readOptions, family.handle, bytes, count, error)
            }
        }
    }
}
