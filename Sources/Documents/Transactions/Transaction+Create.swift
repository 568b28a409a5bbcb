// Transaction+Create: collections and indexes created inside a transaction (explicitly, or
// implicitly by its first write to a missing collection), as mongod 4.4+ allows. Their key
// spaces are made at once, but they exist for others only when the transaction commits: the
// catalog records, the change log's create/createIndex entries and the in-memory catalog
// change go into the commit's batch (stageCreations); an abort drops the key spaces.

public import BSON
internal import Storage

extension Transaction {
    /// 263, OperationNotSupportedInTransaction.
    static let notSupportedHere = MongoError.Code(263, "OperationNotSupportedInTransaction")

    /// The collection at `namespace` as this transaction sees it: one it created, else the
    /// catalog's.
    func openCollection(_ namespace: Namespace) -> Catalog.OpenCollection? {
        createdCollection(namespace) ?? store.catalog.openCollection(namespace)
    }

    /// The collection at `namespace` if this transaction created it.
    func createdCollection(_ namespace: Namespace) -> Catalog.OpenCollection? {
        buffer.withLock { $0.created[namespace] }
    }

    /// The collection at `namespace` as this transaction sees it, or `nil`.
    public func collectionDescription(_ namespace: Namespace) -> CollectionDescription? {
        openCollection(namespace)?.description
    }

    /// The collection at `namespace`, created in this transaction when missing (a write's
    /// implicit creation).
    func openOrCreateCollection(_ namespace: Namespace) throws(MongoError) -> Catalog.OpenCollection {
        if let open = openCollection(namespace) { return open }
        return try create(namespace, options: BSONDocument())
    }

    /// Creates the collection at `namespace` with `options` and its `_id_` index inside this
    /// transaction: visible to its statements now, to others once it commits.
    ///
    /// - Throws: `NamespaceExists` (48) when it exists (committed or created here);
    ///   `OperationNotSupportedInTransaction` (263) for a capped collection; `NoSuchTransaction`
    ///   (251) or `TransactionCommitted` (256) when the transaction has ended.
    @discardableResult
    public func createCollection(_ namespace: Namespace, options: BSONDocument = BSONDocument()) throws(MongoError)
        -> CollectionDescription
    {
        guard openCollection(namespace) == nil else {
            throw MongoError(.namespaceExists, "Collection \(namespace) already exists.")
        }
        return try create(namespace, options: options).description
    }

    /// Creates the index `key` (named `name`, or from the key pattern) with `options` on the
    /// collection at `namespace` inside this transaction, creating the collection here when
    /// missing; returns the index (the existing one when it repeats one). As in mongod, a
    /// collection that existed before the transaction gets no new index.
    ///
    /// - Throws: the specification errors of `DocumentStore.createIndex`; `IndexKeySpecsConflict`
    ///   (86) or `IndexOptionsConflict` (85) against an existing index;
    ///   `OperationNotSupportedInTransaction` (263) for a new index on a collection this
    ///   transaction did not create. Unique keys are checked at commit (`DuplicateKey`, 11000).
    @discardableResult
    public func createIndex(
        on namespace: Namespace, key: BSONDocument, name: String? = nil, options: BSONDocument = BSONDocument()
    ) throws(MongoError) -> IndexDescription {
        let requested = try store.checkedIndex(key: key, name: name, options: options)
        let collection = try openOrCreateCollection(namespace)
        if IndexKeyPattern.isIDPattern(key) {
            return collection.description.indexes.first(where: \.isIDIndex) ?? .idIndex
        }
        if let existing = try DocumentStore.existingIndex(matching: requested, in: collection.description) {
            return existing
        }
        guard createdCollection(namespace) != nil else {
            throw MongoError(Self.notSupportedHere,
                             "Cannot create new indexes on existing collection \(namespace) in a multi-document transaction.")
        }
        let (built, open, _) = try store.openNewIndex(requested)
        let keySpace = open.keySpace
        do {
            try buffer.withLock { (buffer) throws(MongoError) in
                try Self.checkActive(buffer.state)
                guard buffer.created[namespace] != nil else {
                    throw MongoError(.namespaceNotFound, "ns not found: \(namespace)")
                }
                buffer.created[namespace]?.description.indexes.append(built)
                buffer.created[namespace]?.indexes.append(open)
            }
        } catch {
            try? store.storage.dropKeySpace(keySpace)
            throw error
        }
        return built
    }

    /// Makes the key space of a new collection and records it as created here.
    private func create(_ namespace: Namespace, options: BSONDocument) throws(MongoError) -> Catalog.OpenCollection {
        if options["capped"]?.boolValue == true {
            throw MongoError(Self.notSupportedHere,
                             "Cannot create a capped collection in a multi-document transaction.")
        }
        let count = store.catalog.withState { $0.collections.count }
        guard count < store.maximumCollectionCount else {
            throw MongoError(.illegalOperation,
                             "cannot create collection \(namespace): the store already holds \(count) collections, the most allowed")
        }
        let id = try store.reserveKeySpaceID()
        let keySpace = try store.makeKeySpace(named: CatalogKey.keySpaceName(collection: id))
        let idIndex: (description: IndexDescription, open: Catalog.OpenIndex?)
        do {
            idIndex = try store.makeIDIndex(collation: options["collation"]?.documentValue)
        } catch {
            try? store.storage.dropKeySpace(keySpace)
            throw error
        }
        let open = Catalog.OpenCollection(
            description: CollectionDescription(namespace: namespace, id: id, options: options, indexes: [idIndex.description]),
            keySpace: keySpace, indexes: idIndex.open.map { [$0] } ?? [])
        do {
            try buffer.withLock { (buffer) throws(MongoError) in
                try Self.checkActive(buffer.state)
                guard buffer.created[namespace] == nil else {
                    throw MongoError(.namespaceExists, "Collection \(namespace) already exists.")
                }
                buffer.created[namespace] = open
            }
        } catch {
            try? store.storage.dropKeySpace(keySpace)
            if let indexKeySpace = idIndex.open?.keySpace { try? store.storage.dropKeySpace(indexKeySpace) }
            throw error
        }
        return open
    }

    /// Adds the creation of `created` to `pending` (inside the commit section, holding the
    /// store's DDL section): catalog records, change log entries, and the in-memory catalog
    /// change on commit, registered before the commit's document writes touch them.
    ///
    /// - Throws: `WriteConflict` (112, `TransientTransactionError`) when another operation
    ///   created one of the namespaces since.
    func stageCreations(_ created: [Namespace: Catalog.OpenCollection], in pending: PendingCommit) throws(MongoError) {
        guard !created.isEmpty else { return }
        let catalog = store.catalog
        let catalogKeySpace = store.catalogKeySpace
        var newDatabases: Set<String> = []
        for namespace in created.keys.sorted() {
            guard let open = created[namespace] else { continue }
            guard catalog.openCollection(namespace) == nil else { throw Self.writeConflict() }
            let description = open.description
            if !catalog.containsDatabase(namespace.database), newDatabases.insert(namespace.database).inserted {
                pending.batch.put(CatalogKey.database(namespace.database), try bson(["name": .string(namespace.database)]),
                                  in: catalogKeySpace)
            }
            let record: BSONDocument = ["id": .int64(Int64(description.id)), "options": .document(description.options)]
            pending.batch.put(CatalogKey.collection(namespace), try bson(record), in: catalogKeySpace)
            try pending.log(.create, database: namespace.database, collection: namespace.collection,
                            document: description.options, collectionID: description.id)
            for index in description.indexes {
                pending.batch.put(CatalogKey.index(collection: description.id, name: index.name),
                                  try bson(index.catalogRecord), in: catalogKeySpace)
                if !index.isIDIndex {
                    try pending.log(.createIndex, database: namespace.database, collection: namespace.collection,
                                    document: index.document, collectionID: description.id)
                }
            }
        }
        var next: [UInt8] = []
        KeyEncoding.appendBigEndian(catalog.withState { $0.nextCollectionID }, to: &next)
        pending.batch.put(CatalogKey.nextCollectionID, next, in: catalogKeySpace)
        pending.onCommit {
            catalog.withState { state in
                for (namespace, open) in created {
                    state.databases.insert(namespace.database)
                    state.collections[namespace] = open
                }
            }
        }
    }

    /// Drops the key spaces of the collections and indexes created here (the transaction
    /// aborted or its commit failed). Best effort: the next open drops any orphan left.
    func releaseCreatedKeySpaces() {
        let created = buffer.withLock { (buffer) -> [Catalog.OpenCollection] in
            defer { buffer.created = [:] }
            return Array(buffer.created.values)
        }
        for open in created {
            for keySpace in [open.keySpace] + open.indexes.map(\.keySpace) {
                try? store.storage.dropKeySpace(keySpace)
            }
        }
    }
}
