// DocumentStore: the Documents layer's entry type. Opens a storage engine (any
// `StorageEngine`; a path means RocksDB, see DocumentStore+DefaultEngine.swift), loads the
// catalog and shapes, and owns the commit section: every write is one atomic batch with its
// change log entries and new shapes.

internal import Synchronization
public import BSON
public import Storage

/// How durable a write is when the call returns (MongoDB's `j` write concern).
public enum WriteConcern: Sendable, Hashable {
    /// Written, with the engine's journal not yet synced (RocksDB: in the memtable and the
    /// WAL in the OS page cache): survives a process crash, not a power failure.
    case acknowledged
    /// The engine's journal has been synced (RocksDB: the WAL fsynced): survives power
    /// failure. Concurrent journaled writers share syncs (group commit).
    case journaled
}

/// How to open a `DocumentStore`.
public struct DocumentStoreOptions: Sendable {
    /// The default engine's settings, used when the store is opened by path (RocksDB).
    /// `createIfMissing` and `errorIfExists` are decided by the store.
    public var storage = StorageOptions()
    /// How much change history to keep.
    public var changeLogRetention = ChangeLogRetention()
    /// The most distinct document shapes the store will intern.
    public var maximumShapeCount = ShapeRegistry.defaultMaximumShapeCount
    /// The most shapes one collection's writes may create: smaller than
    /// ``maximumShapeCount``, so a collection that runs out leaves room for the others.
    public var maximumShapesPerCollection = ShapeRegistry.defaultMaximumShapesPerOwner
    /// How many shapes dropped collections may leave charged to nobody before a drop sweeps
    /// the store for unused shapes (``DocumentStore/reclaimUnusedShapes()``); the sweep reads
    /// every record, so it runs once per this many released shapes, not on every drop.
    public var shapeReclaimThreshold = DocumentStoreOptions.defaultShapeReclaimThreshold
    /// The default of ``shapeReclaimThreshold``.
    public static let defaultShapeReclaimThreshold = 1 << 16
    /// The most collections (views excluded) the store will hold. Each is a storage key
    /// space with its own memory and files, and any client can create one by writing to a
    /// new name, so their number is bounded.
    public var maximumCollectionCount = DocumentStoreOptions.defaultMaximumCollectionCount
    /// The default of ``maximumCollectionCount``.
    public static let defaultMaximumCollectionCount = 10_000
    /// Compiles partial index filters (`partialFilterExpression`); set by the Query layer.
    /// Without it, creating a partial index fails, and writes to a collection that has one
    /// fail rather than leave the index incomplete.
    public var predicateCompiler: DocumentPredicateCompiler?

    /// Options with the defaults above.
    public init() {}
}

/// How ``DocumentStore`` builds an index over existing documents
/// (``DocumentStore/indexBuildMode``).
public enum IndexBuildMode: Sendable, Hashable {
    /// Writers go on, maintaining the building index (they wait for one batch at most).
    case hybrid
    /// Every writer, on every server sharing the engine, waits for the whole build.
    case locked
}

/// A Tessera data directory: databases of collections of documents, with a change log.
///
/// Open one per directory per process; share it across threads. It closes when the last
/// reference to it (and to its collections and change log) goes away.
public final class DocumentStore: Sendable {
    /// The on-disk format this build writes and the newest it reads.
    public static let formatVersion = 1

    /// Where the data lives: the data directory, or the engine's location.
    public let path: String
    /// Databases, collections and indexes.
    public let catalog: Catalog
    /// The history of committed writes.
    public let changeLog: ChangeLog
    /// The document shapes records refer to.
    public let shapes: ShapeRegistry
    /// The storage engine underneath.
    public let storage: any StorageEngine
    /// BSON sizes of stored records, for the 16 MiB check of delta updates.
    let recordBSONSize = RecordPatchBSONSize()

    let catalogKeySpace: any KeySpace
    /// The executed-statement records of retryable writes (Sessions/RetryableWrites.swift).
    let sessionsKeySpace: any KeySpace
    /// The per-statement records of retryable writes (Sessions/RetryableWriteStatements.swift).
    let statementsKeySpace: any KeySpace
    /// Held while a batch is assembled, checked and written, so sequence numbers follow
    /// commit order and read-check-write sequences (duplicate keys) are atomic. Index builds
    /// hold it one batch at a time (IndexBuild.swift).
    let commitSection = ConditionLock()
    /// How long commits wait for and hold `commitSection` (serverStatus).
    let commitSectionTimes = CommitSectionTimes()
    /// Serialises catalog changes (create, drop, indexes) with each other.
    let ddlSection = ConditionLock()
    /// Compiles partial index filters.
    let predicateCompiler: DocumentPredicateCompiler?
    /// The most collections the store holds (``DocumentStoreOptions/maximumCollectionCount``).
    let maximumCollectionCount: Int
    /// ``DocumentStoreOptions/shapeReclaimThreshold``.
    let shapeReclaimThreshold: Int
    /// Released shapes the last sweep kept (still named by records or the change log).
    let shapeReclaimBaseline = Atomic<Int>(0)
    /// The background TTL pass, when started.
    let ttlMonitor = TTLMonitor()
    /// The documents open transactions have written.
    let writeIntents = WriteIntents()
    let groupCommit = GroupCommit()
    /// The background WAL sync for unjournaled writes, when started.
    let journalCommitter = JournalCommitter()
    /// The coordination with other servers when the engine is shared (PostgreSQL), else `nil`.
    let shared: SharedCatalog?

    /// Opens the store kept by the engine `configuration` describes, creating it if the
    /// engine holds none yet (a store is marked by its format record).
    ///
    /// - Throws: `StoreOpenError.newerFormat` for a store written by a newer format,
    ///   `.corruptCatalog` for an unreadable catalog, `.storage` when the engine fails.
    public init(storage configuration: any StorageEngineConfiguration, options: DocumentStoreOptions = DocumentStoreOptions()) throws(StoreOpenError) {
        let storage: any StorageEngine
        let catalogKeySpace: any KeySpace
        let changeLogKeySpace: any KeySpace
        let sessionsKeySpace: any KeySpace
        let statementsKeySpace: any KeySpace
        do {
            // Collection key spaces fold record patches (delta updates) on reads and
            // compactions. (Collection key spaces are named "c.<id>": CatalogKey.keySpaceName(collection:).)
            storage = try configuration.open(mergeOperators: ["c.": RecordPatchOperator()])
            catalogKeySpace = try storage.keySpace(named: Catalog.keySpaceName)
            changeLogKeySpace = try storage.keySpace(named: ChangeLog.keySpaceName)
            sessionsKeySpace = try storage.keySpace(named: RetryableWriteRecords.keySpaceName)
            statementsKeySpace = try storage.keySpace(named: RetryableStatementRecords.keySpaceName)
        } catch {
            throw .storage(error)
        }
        try Self.checkFormatRecord(storage: storage, keySpace: catalogKeySpace)
        let sharedStorage = storage as? any SharedStorage
        var shared: SharedCatalog?
        if let sharedStorage {
            do {
                shared = try SharedCatalog(storage: sharedStorage, catalogKeySpace: catalogKeySpace)
            } catch {
                throw .storage(error)
            }
        }
        let loaded = try Catalog.load(storage: storage, keySpace: catalogKeySpace, predicateCompiler: options.predicateCompiler,
                                      droppingOrphans: shared == nil)
        let shapes: ShapeRegistry
        do {
            shapes = try ShapeRegistry(
                restoring: loaded.shapes, maximumShapeCount: options.maximumShapeCount,
                maximumShapesPerOwner: options.maximumShapesPerCollection,
                shared: sharedStorage.map { SharedCatalog.shapeSource(storage: $0, catalogKeySpace: catalogKeySpace) }
            )
        } catch {
            throw .corruptCatalog(path: storage.location, reason: error.description)
        }
        do {
            changeLog = try ChangeLog(storage: storage, keySpace: changeLogKeySpace, shapes: shapes,
                                      retention: options.changeLogRetention)
        } catch {
            throw .storage(error)
        }
        self.path = storage.location
        self.predicateCompiler = options.predicateCompiler
        self.maximumCollectionCount = options.maximumCollectionCount
        self.shapeReclaimThreshold = max(1, options.shapeReclaimThreshold)
        self.storage = storage
        self.catalogKeySpace = catalogKeySpace
        self.sessionsKeySpace = sessionsKeySpace
        self.statementsKeySpace = statementsKeySpace
        self.shapes = shapes
        self.shared = shared
        self.catalog = Catalog(loaded.state)
        // Other servers append to the same log: poll its tail so their entries reach this
        // server's change streams without waiting for this server's next write.
        if shared != nil { changeLog.startFollowing(every: SharedCatalog.changeLogPollInterval) }
        // Another server's temporary collections are in use, not left over.
        if shared == nil { dropLeftoverTemporaryCollections() }
        releaseChargesOfMissingOwners()
    }

    // MARK: Several servers on one database

    /// Whether other Tessera servers may share this store's engine (PostgreSQL): each then
    /// presents itself as a router, not as a replica set's primary.
    public var isShared: Bool { shared != nil }

    /// How this store builds indexes, decided by whether other servers share its engine (the
    /// one place that chooses; see IndexBuild.swift):
    /// - ``IndexBuildMode/hybrid`` on a private engine (RocksDB): the building index is
    ///   registered in this process's catalog and every writer maintains it, so writes go on.
    /// - ``IndexBuildMode/locked`` on a shared engine (PostgreSQL): another server's writers
    ///   cannot see an index registered only in this process's memory, so the build holds the
    ///   database-wide commit lock from its first read to its catalog commit.
    public var indexBuildMode: IndexBuildMode { shared == nil ? .hybrid : .locked }

    /// Whether the shape sweep (``reclaimUnusedShapes()``) may run: only when no other server
    /// shares the engine. On a shared database another server's records, change log entries
    /// or writes in flight may name shapes this server has never loaded, and its registry
    /// would keep handing out shapes the sweep deleted, so `compact` and drops leave shapes alone.
    public var reclaimsShapes: Bool { shared == nil }

    /// Reloads the catalog when another server changed it since this one last looked (a
    /// point read of the catalog version; nothing for a store no other server shares). The
    /// command layer calls it before each command.
    public func refreshSharedCatalog() throws(MongoError) {
        try shared?.refreshIfChanged(self)
    }

    /// Replaces the in-memory catalog with the one stored (another server changed it).
    /// Runs holding the database commit lock, so no catalog change is under way anywhere.
    func reloadCatalog() throws(MongoError) {
        let loaded: Catalog.Loaded
        do {
            loaded = try Catalog.load(storage: storage, keySpace: catalogKeySpace, predicateCompiler: predicateCompiler,
                                      droppingOrphans: false)
        } catch {
            // A storage failure keeps its mapping (an unreachable database stays HostUnreachable).
            if case let .storage(storageError) = error { throw .storage(storageError) }
            throw MongoError(.internalError, "reloading the catalog: \(error)")
        }
        catalog.withState { $0 = loaded.state }
    }

    /// The key space id for a new collection or index: from the database counter when other
    /// servers share the store, else from the catalog's.
    func reserveKeySpaceID() throws(MongoError) -> UInt64 {
        guard let shared else { return catalog.reserveCollectionID() }
        return try shared.reserveKeySpaceID(floor: catalog.withState { $0.nextCollectionID })
    }

    /// Runs `body` holding the commit section and, on a shared store, the database commit
    /// lock (index builds, which keep every writer out while they scan).
    func withCommitSection<Result>(_ body: () throws(MongoError) -> Result) throws(MongoError) -> Result {
        let entered = enterCommitSection()
        defer { leaveCommitSection(enteredAt: entered) }
        try shared?.enter(self)
        defer { shared?.leave() }
        return try body()
    }

    /// Writes the format record into a new store, or checks an existing one's version.
    private static func checkFormatRecord(storage: any StorageEngine, keySpace: any KeySpace) throws(StoreOpenError) {
        do {
            if let stored = try storage.get(CatalogKey.format, in: keySpace) {
                guard let record = try? BSONDocument(bsonBytes: stored), record["magic"]?.stringValue == "tessera",
                      let version = record["formatVersion"]?.int64Value
                else {
                    throw StoreOpenError.corruptCatalog(path: storage.location, reason: "malformed format record")
                }
                guard version <= Int64(formatVersion) else {
                    throw StoreOpenError.newerFormat(path: storage.location, found: Int(version), supported: formatVersion)
                }
            } else {
                let record: BSONDocument = ["magic": "tessera", "formatVersion": .int32(Int32(formatVersion))]
                try storage.put(CatalogKey.format, (try? record.bsonBytes()) ?? [], in: keySpace, durability: .journaled)
            }
        } catch let error as StoreOpenError {
            throw error
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw .io(path: storage.location, reason: "\(error)")
        }
    }

    // MARK: Collections

    /// The collection `name` in `database`; it need not exist yet (inserting creates it).
    public func collection(_ name: String, in database: String) throws(MongoError) -> DocumentCollection {
        DocumentCollection(store: self, namespace: try Namespace(database: database, collection: name))
    }

    /// The collection at `namespace`; it need not exist yet (inserting creates it).
    public func collection(_ namespace: Namespace) -> DocumentCollection {
        DocumentCollection(store: self, namespace: namespace)
    }

    /// Creates the collection at `namespace` with `options` and its `_id_` index.
    ///
    /// - Throws: `NamespaceExists` (48) if it exists.
    @discardableResult
    public func createCollection(
        _ namespace: Namespace, options: BSONDocument = BSONDocument()
    ) throws(MongoError) -> CollectionDescription {
        try ddlSection.withLock { () throws(MongoError) -> CollectionDescription in
            if catalog.collection(namespace) != nil {
                throw MongoError(.namespaceExists, "Collection \(namespace) already exists.")
            }
            return try createCollectionLocked(namespace, options: options)
        }
    }

    /// The open collection at `namespace`, created (as by `createCollection`) if missing.
    func openOrCreateCollection(_ namespace: Namespace) throws(MongoError) -> Catalog.OpenCollection {
        if let open = catalog.openCollection(namespace) { return open }
        return try ddlSection.withLock { () throws(MongoError) -> Catalog.OpenCollection in
            if let open = catalog.openCollection(namespace) { return open }
            do throws(MongoError) {
                _ = try createCollectionLocked(namespace, options: BSONDocument())
            } catch {
                guard error.code == .namespaceExists else { throw error }
                // Another server created it first (shared stores); use theirs.
                if let open = catalog.openCollection(namespace) { return open }
                throw error
            }
            guard let open = catalog.openCollection(namespace) else {
                throw MongoError(.internalError, "collection \(namespace) vanished after creation")
            }
            return open
        }
    }

    private func createCollectionLocked(_ namespace: Namespace, options: BSONDocument) throws(MongoError) -> CollectionDescription {
        let limits = try CappedLimits(options: options)
        let count = catalog.withState { $0.collections.count }
        guard count < maximumCollectionCount else {
            throw MongoError(.illegalOperation,
                             "cannot create collection \(namespace): the store already holds \(count) collections, the most allowed")
        }
        let id = try reserveKeySpaceID()
        let keySpace: any KeySpace
        let capped: CappedOrder?
        do {
            keySpace = try storage.keySpace(named: CatalogKey.keySpaceName(collection: id))
            capped = try limits.map { (limits) throws(StorageError) -> CappedOrder in
                try CappedOrder.open(limits: limits, collection: id, storage: storage)
            }
        } catch {
            throw .storage(error)
        }
        let idIndex: (description: IndexDescription, open: Catalog.OpenIndex?)
        do {
            idIndex = try makeIDIndex(collation: options["collation"]?.documentValue)
        } catch {
            try? storage.dropKeySpace(keySpace)
            if let capped { try? storage.dropKeySpace(capped.keySpace) }
            throw error
        }
        let description = CollectionDescription(namespace: namespace, id: id, options: options, indexes: [idIndex.description])
        let record: BSONDocument = ["id": .int64(Int64(id)), "options": .document(options)]
        do {
            try commit(.journaled) { (pending) throws(MongoError) in
                // Checked again under the database lock: another server may have created it.
                if shared != nil, catalog.collection(namespace) != nil {
                    throw MongoError(.namespaceExists, "Collection \(namespace) already exists.")
                }
                let catalogKeySpace = self.catalogKeySpace
                let newDatabase = !catalog.containsDatabase(namespace.database)
                if newDatabase {
                    pending.batch.put(CatalogKey.database(namespace.database), try bson(["name": .string(namespace.database)]),
                                      in: catalogKeySpace)
                }
                pending.batch.put(CatalogKey.collection(namespace), try bson(record), in: catalogKeySpace)
                var next: [UInt8] = []
                KeyEncoding.appendBigEndian(max(id, idIndex.description.keySpaceID ?? 0) + 1, to: &next)
                pending.batch.put(CatalogKey.nextCollectionID, next, in: catalogKeySpace)
                pending.batch.put(CatalogKey.index(collection: id, name: IndexDescription.idIndex.name),
                                  try bson(idIndex.description.catalogRecord), in: catalogKeySpace)
                try pending.log(.create, database: namespace.database, collection: namespace.collection, document: options,
                                collectionID: id)
                let catalog = self.catalog
                pending.onCommit {
                    catalog.withState { state in
                        state.databases.insert(namespace.database)
                        state.collections[namespace] = Catalog.OpenCollection(description: description, keySpace: keySpace,
                                                                              indexes: idIndex.open.map { [$0] } ?? [],
                                                                              capped: capped)
                    }
                }
            }
        } catch {
            try? storage.dropKeySpace(keySpace)
            if let capped { try? storage.dropKeySpace(capped.keySpace) }
            if let open = idIndex.open { try? storage.dropKeySpace(open.keySpace) }
            throw error
        }
        return description
    }

    /// The `_id_` index of a new collection whose default collation is `collation`. With a
    /// collation, `_id`s that compare equal under it may not coexist (as in mongod, whose
    /// `_id` index carries the collation): the index then has its own key space of collation
    /// keys, kept like a unique secondary index's; without one, the collection's own keys are
    /// its entries.
    func makeIDIndex(collation: BSONDocument?) throws(MongoError) -> (description: IndexDescription, open: Catalog.OpenIndex?) {
        let description = IndexDescription.idIndex(collation: collation)
        guard collation != nil else { return (description, nil) }
        let made = try openNewIndex(description)
        return (made.description, made.open)
    }

    /// Drops the collection at `namespace` and releases its disk space.
    ///
    /// - Throws: `NamespaceNotFound` (26) if it does not exist.
    public func dropCollection(_ namespace: Namespace) throws(MongoError) {
        let dropped = try ddlSection.withLock { () throws(MongoError) -> [any KeySpace] in
            guard catalog.collection(namespace) != nil else {
                throw MongoError(.namespaceNotFound, "ns not found: \(namespace)")
            }
            return try dropCollectionsLocked([namespace], database: nil)
        }
        try release(dropped)
        reclaimShapesIfManyReleased()
    }

    /// Renames the collection at `source` to `target` in one commit: its documents and
    /// indexes stay where they are (they are keyed by the collection's id), only the catalog
    /// record moves; logged as one `rename` entry. With `dropTarget`, an existing target is
    /// dropped in the same commit (logged as `drop` first), so after a crash the target is
    /// either the old collection or the renamed one, never missing.
    ///
    /// - Throws: `NamespaceNotFound` (26) without a source, `NamespaceExists` (48) when the
    ///   target exists and `dropTarget` is false.
    public func renameCollection(_ source: Namespace, to target: Namespace, dropTarget: Bool) throws(MongoError) {
        let dropped = try ddlSection.withLock { () throws(MongoError) -> [any KeySpace] in
            guard let open = catalog.openCollection(source) else {
                throw MongoError(.namespaceNotFound, "Source collection \(source) does not exist")
            }
            var replaced: [Catalog.OpenCollection] = []
            if let existing = catalog.openCollection(target) {
                guard dropTarget else { throw MongoError(.namespaceExists, "target namespace exists") }
                replaced = [existing]
            }
            let description = open.description
            let record: BSONDocument = ["id": .int64(Int64(description.id)), "options": .document(description.options)]
            try commit(.journaled) { (pending) throws(MongoError) in
                // The target's database keeps its record: the renamed collection lands in it.
                try stageDrop(replaced, of: [target], database: nil, keeping: target.database, in: pending)
                let catalogKeySpace = self.catalogKeySpace
                if !catalog.containsDatabase(target.database) {
                    pending.batch.put(CatalogKey.database(target.database), try bson(["name": .string(target.database)]),
                                      in: catalogKeySpace)
                }
                pending.batch.delete(CatalogKey.collection(source), in: catalogKeySpace)
                pending.batch.put(CatalogKey.collection(target), try bson(record), in: catalogKeySpace)
                let emptied = source.database != target.database
                    && catalog.collections(in: source.database).allSatisfy { $0.namespace == source }
                if emptied { pending.batch.delete(CatalogKey.database(source.database), in: catalogKeySpace) }
                var renamed: BSONDocument = ["to": .string(target.description)]
                if let dropped = replaced.first?.description.id {
                    renamed.append("dropTarget", .binary(CollectionDescription.uuid(ofID: dropped)))
                }
                try pending.log(.rename, database: source.database, collection: source.collection,
                                document: renamed, collectionID: description.id)
                let catalog = self.catalog
                pending.onCommit {
                    catalog.withState { state in
                        guard var moved = state.collections.removeValue(forKey: source) else { return }
                        moved.description = CollectionDescription(namespace: target, id: description.id,
                                                                  options: description.options,
                                                                  indexes: moved.description.indexes)
                        state.collections[target] = moved
                        state.databases.insert(target.database)
                        if emptied { state.databases.remove(source.database) }
                    }
                    // New shapes of the renamed collection are charged to its new name.
                    self.releaseShapeCharges(of: [source])
                }
            }
            return Self.keySpaces(of: replaced)
        }
        try release(dropped)
        reclaimShapesIfManyReleased()
    }

    /// Drops every collection of `database` and the database itself; returns whether it existed.
    @discardableResult
    public func dropDatabase(_ database: String) throws(MongoError) -> Bool {
        try Namespace.validate(database: database)
        let dropped = try ddlSection.withLock { () throws(MongoError) -> [any KeySpace]? in
            guard catalog.containsDatabase(database) else { return nil }
            let namespaces = catalog.collections(in: database).map(\.namespace)
            return try dropCollectionsLocked(namespaces, database: database)
        }
        guard let dropped else { return false }
        try release(dropped)
        reclaimShapesIfManyReleased()
        return true
    }

    /// Removes the catalog records of `namespaces` (and of `database` when given, or when the
    /// last collection of a database goes) in one commit; returns their key spaces.
    private func dropCollectionsLocked(_ namespaces: [Namespace], database: String?) throws(MongoError) -> [any KeySpace] {
        let open = namespaces.compactMap { catalog.openCollection($0) }
        try commit(.journaled) { (pending) throws(MongoError) in
            try stageDrop(open, of: namespaces, database: database, keeping: nil, in: pending)
        }
        return Self.keySpaces(of: open)
    }

    /// Every key space of `collections` (documents, indexes, capped order), to release once
    /// their drop has committed.
    private static func keySpaces(of collections: [Catalog.OpenCollection]) -> [any KeySpace] {
        collections.flatMap { [$0.keySpace] + $0.indexes.map(\.keySpace) + ($0.capped.map { [$0.keySpace] } ?? []) }
    }

    /// Adds the drop of `open` (the collections at `namespaces`, and `database` itself when
    /// given) to `pending`: catalog records, change log entries, and the in-memory catalog
    /// change on commit. A database left empty loses its record unless it is `kept`.
    private func stageDrop(
        _ open: [Catalog.OpenCollection], of namespaces: [Namespace], database: String?, keeping kept: String?,
        in pending: PendingCommit
    ) throws(MongoError) {
        let catalogKeySpace = self.catalogKeySpace
        var emptied: Set<String> = []
        if let database { emptied.insert(database) }
        for collection in open {
            let namespace = collection.description.namespace
            let id = collection.description.id
            pending.batch.delete(CatalogKey.collection(namespace), in: catalogKeySpace)
            let prefix = CatalogKey.indexPrefix(collection: id)
            if let end = KeyRange.successor(ofPrefix: prefix) {
                pending.batch.deleteRange(from: prefix, to: end, in: catalogKeySpace)
            }
            try pending.log(.drop, database: namespace.database, collection: namespace.collection, collectionID: id)
            let remaining = catalog.collections(in: namespace.database).filter { !namespaces.contains($0.namespace) }
            if remaining.isEmpty { emptied.insert(namespace.database) }
        }
        if let kept { emptied.remove(kept) }
        for name in emptied {
            pending.batch.delete(CatalogKey.database(name), in: catalogKeySpace)
        }
        if let database {
            try pending.log(.dropDatabase, database: database, collection: nil)
        }
        let catalog = self.catalog
        let dropped = open.map(\.description.namespace)
        pending.onCommit {
            catalog.withState { state in
                for namespace in namespaces { state.collections[namespace] = nil }
                state.databases.subtract(emptied)
            }
            self.releaseShapeCharges(of: dropped)
        }
    }

    /// Drops the key spaces of dropped collections (RocksDB deletes their files once the
    /// last handle is released: here, unless a reader still holds one).
    private func release(_ keySpaces: [any KeySpace]) throws(MongoError) {
        for keySpace in keySpaces {
            do {
                try storage.dropKeySpace(keySpace)
            } catch {
                // The catalog no longer names it; the next open drops the orphan.
                throw .storage(error)
            }
        }
    }

    // MARK: Indexes: see Indexes/DocumentStore+Indexes.swift

    // MARK: Commit

    /// Runs `body` inside the commit section to fill one batch, writes it atomically with its
    /// change log entries, applies its catalog changes, and waits for durability.
    ///
    /// Sequence numbers are assigned inside the section, so they follow commit order. If
    /// `body` throws, or the write fails, nothing is written and no number is used. With
    /// `.journaled`, returns only after a journal sync (WAL fsync) that covers this batch. Pass
    /// `holdingSection` when the caller already holds the commit section (index builds).
    func commit<Result>(
        _ writeConcern: WriteConcern, holdingSection: Bool = false, _ body: (PendingCommit) throws(MongoError) -> Result
    ) throws(MongoError) -> Result {
        if let failure = groupCommit.failure { throw .journalFailed(failure) }
        let batch: any KeyValueWriteBatch
        do {
            batch = try storage.makeWriteBatch()
        } catch {
            throw .storage(error)
        }
        let entered = holdingSection ? nil : enterCommitSection()
        do {
            try shared?.enter(self)
        } catch {
            if let entered { leaveCommitSection(enteredAt: entered) }
            throw error
        }
        let pending = PendingCommit(batch: batch, changeLog: changeLog, catalogKeySpace: catalogKeySpace,
                                    firstSequence: changeLog.latestSequence + 1)
        let result: Result
        var ticket: UInt64?
        do throws(MongoError) {
            result = try body(pending)
            if !batch.isEmpty {
                try markRetryableWrite(in: pending)
                var version: [UInt8]?
                if shared != nil, pending.changesCatalog {
                    let token = SharedCatalog.newVersion()
                    batch.put(CatalogKey.catalogVersion, token, in: catalogKeySpace)
                    version = token
                }
                try shared?.checkHeld()
                do {
                    try storage.write(batch, durability: .buffered)
                } catch {
                    // An I/O error may leave a torn WAL record: no later write or sync can be
                    // trusted until the store is reopened. A full disk only suspends syncs
                    // until RocksDB recovers (GroupCommitStateMachine).
                    // A shared engine is a database server: a lost connection tears nothing,
                    // and the next write reconnects (to a promoted standby after a failover).
                    if error.code == .ioError, shared == nil { groupCommit.writeFailed(error) }
                    throw .storage(error)
                }
                if let version { shared?.noteWritten(version) }
                ticket = groupCommit.ticket()
                changeLog.publish(through: pending.nextSequence - 1, count: pending.entryCount, bytes: pending.entryBytes)
                shapes.markPersisted(pending.persistedShapes)
                for change in pending.afterCommit { change() }
            }
        } catch {
            shared?.leave()
            if let entered { leaveCommitSection(enteredAt: entered) }
            throw error
        }
        // Given up before the commit section, so the next local commit takes the database
        // lock again (queueing behind other servers) instead of joining this hold forever.
        shared?.leave()
        if let entered { leaveCommitSection(enteredAt: entered) }
        if let ticket, writeConcern == .journaled {
            do {
                try groupCommit.waitUntilSynced(ticket) { () throws(StorageError) in
                    try storage.syncJournal()
                }
            } catch {
                throw .journalFailed(error)
            }
        }
        changeLog.noteCommitted(pending.entryCount)
        return result
    }

    /// Takes the commit section, recording how long the caller waited; returns when it
    /// entered, for ``leaveCommitSection(enteredAt:)``.
    func enterCommitSection() -> ContinuousClock.Instant {
        let asked = ContinuousClock.now
        commitSection.lock()
        let entered = ContinuousClock.now
        commitSectionTimes.recordWait(entered - asked)
        return entered
    }

    /// Records how long the section was held since `entered` and releases it.
    func leaveCommitSection(enteredAt entered: ContinuousClock.Instant) {
        commitSectionTimes.recordHold(.now - entered)
        commitSection.unlock()
    }

    /// How long commits have waited for and held the commit section since open.
    public var commitSectionFigures: CommitSectionFigures {
        commitSectionTimes.figures
    }

    /// Makes every write committed so far durable (one WAL fsync, shared with concurrent
    /// journaled writers).
    public func waitForJournal() throws(MongoError) {
        let ticket = groupCommit.ticket()
        do {
            try groupCommit.waitUntilSynced(ticket) { () throws(StorageError) in
                try storage.syncJournal()
            }
        } catch {
            throw .journalFailed(error)
        }
    }

    /// The failed journal sync that made this store refuse writes, or `nil` while writes
    /// are accepted. Reads go on either way; reopening the store clears it.
    public var journalFailure: StorageError? {
        groupCommit.failure
    }

    /// How many WAL fsyncs group commit has run since open.
    public var journalSyncCount: Int {
        groupCommit.syncCount.load(ordering: .relaxed)
    }

    /// How many writes group commit's syncs made durable, by batch size.
    public var groupCommitFigures: GroupCommitFigures {
        groupCommit.batches.figures
    }

    /// Bytes the store occupies on disk (RocksDB: every file in the data directory).
    public func diskUsage() throws(MongoError) -> UInt64 {
        do {
            return try storage.diskUsage()
        } catch {
            throw .storage(error)
        }
    }
}

/// `document` as BSON bytes, or `BadValue` when BSON cannot represent it.
func bson(_ document: BSONDocument) throws(MongoError) -> [UInt8] {
    do {
        return try document.bsonBytes()
    } catch {
        throw MongoError(.badValue, error.description)
    }
}
