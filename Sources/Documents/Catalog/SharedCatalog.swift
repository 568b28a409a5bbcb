// SharedCatalog: what a store does when its engine is shared by several Tessera servers
// (a PostgreSQL-protocol database, issue 21). Owns this server's hold on the database-wide
// commit lock (taken by the first local commit section, released by the last), the refresh
// done on taking it (change log tail, catalog reload when another server changed it), the
// catalog version row and id reservations. Stores on a private engine (RocksDB) have none.

internal import Synchronization
internal import Storage
internal import BSON

/// The coordination of a store with the other servers writing to the same database.
final class SharedCatalog: Sendable {
    /// How often each server reads the change log's tail for other servers' entries: the
    /// most a change stream waits for another server's commit (docs/scale-out.md).
    static let changeLogPollInterval: Duration = .milliseconds(50)
    /// The engine, as the shared capability.
    let storage: any SharedStorage
    /// Serialises taking and giving up the database lock; held while waiting for it.
    private let gate = ConditionLock()
    /// How many local sections hold the database lock, and the lock while any does.
    private let hold = Mutex<Hold>(Hold())
    /// The catalog version (the `V` record) this server's in-memory catalog reflects.
    private let knownVersion: Mutex<[UInt8]?>

    private struct Hold: Sendable {
        var count = 0
        var lock: (any SharedCommitLock)?
    }

    /// Reads the current catalog version: call before loading the catalog, so the catalog
    /// loaded is at least that new.
    init(storage: any SharedStorage, catalogKeySpace: any KeySpace) throws(StorageError) {
        self.storage = storage
        knownVersion = Mutex(try storage.get(CatalogKey.catalogVersion, in: catalogKeySpace))
    }

    /// Takes (or joins this server's hold on) the database commit lock. The first local
    /// holder refreshes `store` from the database once the lock is held: nothing another
    /// server commits can slip in until ``leave()``.
    func enter(_ store: DocumentStore) throws(MongoError) {
        gate.lock()
        defer { gate.unlock() }
        let joined = hold.withLock { hold -> Bool in
            guard hold.count > 0 else { return false }
            hold.count += 1
            return true
        }
        if joined { return }
        let lock: any SharedCommitLock
        do {
            lock = try storage.lockCommits()
        } catch {
            throw .storage(error)
        }
        do {
            try refresh(store)
        } catch {
            lock.release()
            throw error
        }
        hold.withLock { $0 = Hold(count: 1, lock: lock) }
    }

    /// Throws unless this server's hold on the database lock is still alive: a commit must
    /// not be written once the connection holding the lock has closed (the database failed
    /// over, or dropped the connection), because another server may hold the lock by then.
    func checkHeld() throws(MongoError) {
        guard let lock = hold.withLock({ $0.lock }), !lock.isHeld else { return }
        throw .storage(StorageError(.write, path: storage.location,
                                    status: "the database commit lock was lost with its connection; the write was not made",
                                    code: .connectionLost))
    }

    /// Gives up one local hold; the last one releases the database lock.
    func leave() {
        gate.lock()
        defer { gate.unlock() }
        let released = hold.withLock { hold -> (any SharedCommitLock)? in
            hold.count -= 1
            guard hold.count == 0 else { return nil }
            defer { hold.lock = nil }
            return hold.lock
        }
        released?.release()
    }

    /// Brings `store` up to what other servers committed: the change log's newest sequence
    /// number (so this server's next entries follow theirs) and, when the catalog version
    /// changed, the catalog. Runs holding the database lock.
    private func refresh(_ store: DocumentStore) throws(MongoError) {
        let version: [UInt8]?
        do {
            try store.changeLog.catchUp()
            version = try storage.get(CatalogKey.catalogVersion, in: store.catalogKeySpace)
        } catch {
            throw .storage(error)
        }
        guard version != knownVersion.withLock({ $0 }) else { return }
        try store.reloadCatalog()
        knownVersion.withLock { $0 = version }
    }

    /// Reloads the catalog if another server changed it since this one last looked: one
    /// point read of the version record; the reload itself takes the database lock.
    func refreshIfChanged(_ store: DocumentStore) throws(MongoError) {
        let version: [UInt8]?
        do {
            version = try storage.get(CatalogKey.catalogVersion, in: store.catalogKeySpace)
        } catch {
            throw .storage(error)
        }
        guard version != knownVersion.withLock({ $0 }) else { return }
        try store.ddlSection.withLock { () throws(MongoError) in
            try enter(store)
            leave()
        }
    }

    /// A new catalog version for a commit that changes the catalog, recorded as known once
    /// the commit is written (``noteWritten(_:)``).
    static func newVersion() -> [UInt8] {
        (0 ..< 16).map { _ in UInt8.random(in: .min ... .max) }
    }

    /// Records that this server wrote catalog version `version` (its catalog has the change).
    func noteWritten(_ version: [UInt8]) {
        knownVersion.withLock { $0 = version }
    }

    /// Reserves one collection or index key space id no server has used.
    func reserveKeySpaceID(floor: UInt64) throws(MongoError) -> UInt64 {
        do {
            return try storage.reserve(1, of: "collection", floor: floor)
        } catch {
            throw .storage(error)
        }
    }

    /// The shape registry's access to the database: id reservations from the `shape`
    /// counter, definitions from the catalog key space.
    static func shapeSource(storage: any SharedStorage, catalogKeySpace: any KeySpace) -> SharedShapeSource {
        SharedShapeSource(
            reserve: { (count, floor) throws(RecordError) -> UInt32 in
                let first: UInt64
                do {
                    first = try storage.reserve(UInt64(count), of: "shape", floor: UInt64(floor))
                } catch {
                    throw .invalidShapeDefinition("shape ids could not be reserved: \(error)")
                }
                guard let id = UInt32(exactly: first) else { throw .tooManyShapes(limit: Int(UInt32.max)) }
                return id
            },
            load: { id in
                guard let bytes = try? storage.get(CatalogKey.shape(id), in: catalogKeySpace) else { return nil }
                return try? ShapeDefinition(serialized: bytes)
            })
    }
}
