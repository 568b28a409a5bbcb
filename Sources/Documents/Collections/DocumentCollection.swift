// DocumentCollection: document operations on one collection — insert, get, replace, delete,
// scan and count by `_id`. Documents are shape-encoded records keyed by KeyEncoding of their
// `_id`; every write goes through DocumentStore.commit with its change log entry and its
// secondary index entries (IndexMaintenance), all in one batch.

public import BSON
internal import Storage

/// A handle to the collection at one namespace. Cheap to make; the collection need not exist
/// until something is inserted.
public struct DocumentCollection: Sendable {
    /// The store the collection lives in.
    public let store: DocumentStore
    /// The collection's namespace.
    public let namespace: Namespace
    /// The transaction reads and writes go through, if any (see `Transaction.collection(_:)`).
    public let transaction: Transaction?
    /// The point in time reads see outside a transaction (see ``reading(at:)``); `nil`: now.
    public let snapshot: ReadSnapshot?

    /// A handle to `namespace` in `store`.
    public init(store: DocumentStore, namespace: Namespace) {
        self.init(store: store, namespace: namespace, transaction: nil)
    }

    /// A handle to `namespace` in `store`, inside `transaction` when given, reading at
    /// `snapshot` when given.
    init(store: DocumentStore, namespace: Namespace, transaction: Transaction?, snapshot: ReadSnapshot? = nil) {
        self.store = store
        self.namespace = namespace
        self.transaction = transaction
        self.snapshot = snapshot
    }

    // MARK: Writes

    /// Inserts `document`, creating the collection if needed; returns its `_id`.
    ///
    /// A missing `_id` gets a new ObjectId; `_id` is always stored as the first field.
    ///
    /// - Throws: `DuplicateKey` (11000) if a document with the same `_id` exists or a unique
    ///   index already has one of its keys, `InvalidIdField` (53) for an array, regex or
    ///   undefined `_id`, `CannotIndexParallelArrays` (171) when a compound index key would
    ///   span two arrays.
    @discardableResult
    public func insert(_ document: BSONDocument, writeConcern: WriteConcern = .acknowledged) throws(MongoError) -> BSONValue {
        let ids = try insert(contentsOf: [document], writeConcern: writeConcern)
        guard let id = ids.first else { throw MongoError(.internalError, "insert produced no _id") }
        return id
    }

    /// Inserts `documents` atomically: all of them with all their index entries, or (on any
    /// error) nothing. Returns their `_id`s.
    ///
    /// - Throws: as `insert(_:writeConcern:)`, also for duplicates (of `_id` or of a unique
    ///   index key) within `documents`.
    @discardableResult
    public func insert(
        contentsOf documents: [BSONDocument], writeConcern: WriteConcern = .acknowledged
    ) throws(MongoError) -> [BSONValue] {
        guard !documents.isEmpty else { return [] }
        // Read before encoding: if shapes are reclaimed meanwhile, the records may name one.
        var generation = store.shapes.reclaimGeneration
        var prepared = try prepare(documents)
        if let transaction { return try insert(prepared, in: transaction) }
        // A concurrent drop can remove the collection between lookup and commit: retry then.
        var attempts = 0
        while true {
            attempts += 1
            let collection = try store.openOrCreateCollection(namespace)
            do {
                try store.commit(writeConcern) { (pending) throws(MongoError) in
                    let current = try stillExisting(collection)
                    // Reclamation holds the commit section, so the generation is stable here.
                    if store.shapes.reclaimGeneration != generation {
                        generation = store.shapes.reclaimGeneration
                        prepared = try prepare(documents)
                    }
                    try add(prepared, to: current, pending: pending)
                }
                return prepared.map(\.id)
            } catch let error where error.code == .namespaceNotFound && attempts < 3 {
                continue
            }
        }
    }

    /// The inside of ``insert(contentsOf:writeConcern:)``, in a commit the caller holds: adds
    /// `prepared` (encoded inside the commit section, or since the last shape reclamation) to
    /// `pending` with their index entries and change-log entries, refusing an `_id` that exists.
    func add(_ prepared: [PreparedDocument], to current: Catalog.OpenCollection, pending: PendingCommit) throws(MongoError) {
        let indexes = IndexMaintenance(store: store, namespace: namespace, collection: current, pending: pending)
        var seen: Set<[UInt8]> = []
        for document in prepared {
            guard seen.insert(document.key).inserted,
                  try read({ () throws(StorageError) in
                      try store.storage.get(document.key, in: current.keySpace)
                  }) == nil
            else {
                throw duplicateKey(document.id)
            }
            pending.batch.put(document.key, document.record.bytes, in: current.keySpace)
            try indexes.insert(document.document, id: document.id, idKey: document.key)
            pending.persist(document.record.unpersistedShapes)
            try pending.log(.insert, database: namespace.database, collection: namespace.collection,
                            documentKey: document.id, record: document.record.bytes,
                            collectionID: current.description.id)
        }
        if let capped = current.capped {
            let account = try admit(prepared, into: capped, collection: current, indexes: indexes, pending: pending)
            pending.onCommit(catalog: false) { capped.replace(account) }
        }
        try indexes.finish()
    }

    /// `documents` encoded as records (their shapes charged to this collection).
    func prepare(_ documents: [BSONDocument]) throws(MongoError) -> [PreparedDocument] {
        var encoder = RecordEncoder(registry: store.shapes, owner: namespace.description)
        var prepared: [PreparedDocument] = []
        prepared.reserveCapacity(documents.count)
        for document in documents {
            prepared.append(try PreparedDocument(document, encoder: &encoder))
        }
        return prepared
    }

    /// Replaces the document whose `_id` is `id` with `replacement` (keeping `_id` first).
    /// Returns whether a document matched.
    ///
    /// - Throws: `ImmutableField` (66) if `replacement` has a different `_id`.
    @discardableResult
    public func replace(
        id: BSONValue, with replacement: BSONDocument, writeConcern: WriteConcern = .acknowledged
    ) throws(MongoError) -> Bool {
        try modify(id: id, writeConcern: writeConcern) { _ throws(MongoError) in replacement } != .notFound
    }

    /// What ``modify(id:writeConcern:_:)`` did.
    public enum ModifyOutcome: Sendable, Equatable {
        /// No document has that `_id`.
        case notFound
        /// The transform returned `nil`: nothing was written.
        case unchanged
        /// The document was replaced by the transform's result.
        case replaced
    }

    /// Reads the document whose `_id` is `id`, passes it to `transform` and writes the result,
    /// all inside the commit section: no other write to the collection can land between the
    /// read and the write, so read-modify-write updates never lose a concurrent change.
    ///
    /// `transform` returns the new document, or `nil` to leave it unchanged (for example when
    /// it no longer matches an update's filter). It runs while writers wait, so keep it short.
    ///
    /// - Throws: `ImmutableField` (66) if the new document has a different `_id`; anything
    ///   `transform` throws, with nothing written.
    ///
    /// `loggedAs` says how the change log records it: `.replace` (the new document) or
    /// `.update` (the update description: the fields that changed, diffed from the old version).
    public func modify(
        id: BSONValue, writeConcern: WriteConcern = .acknowledged, loggedAs: ChangeLogEntry.Operation = .replace,
        _ transform: (BSONDocument) throws(MongoError) -> BSONDocument?
    ) throws(MongoError) -> ModifyOutcome {
        guard let collection = openCollection() else { return .notFound }
        if let transaction { return try modify(id: id, in: collection, transaction: transaction, loggedAs: loggedAs, transform) }
        let key = KeyEncoding.key(for: id)
        return try store.commit(writeConcern) { (pending) throws(MongoError) -> ModifyOutcome in
            let current = try stillExisting(collection)
            guard let stored = try read({ () throws(StorageError) in try store.storage.get(key, in: collection.keySpace) })
            else { return .notFound }
            return try rewrite(stored, id: id, key: key, current: current, pending: pending, loggedAs: loggedAs, transform)
        }
    }

    /// The inside of ``modify(id:writeConcern:loggedAs:_:)``, in a commit the caller holds:
    /// decodes `stored` (the record at `key`), passes it to `transform` and adds the new
    /// version, its index entries and its change-log entry to `pending`.
    func rewrite(
        _ stored: [UInt8], id: BSONValue, key: [UInt8], current: Catalog.OpenCollection, pending: PendingCommit,
        loggedAs: ChangeLogEntry.Operation, _ transform: (BSONDocument) throws(MongoError) -> BSONDocument?
    ) throws(MongoError) -> ModifyOutcome {
        let old = try decode(stored, decoder: RecordDecoder(registry: store.shapes))
        guard let prepared = try replacement(for: old, id: id, transform) else { return .unchanged }
        let indexes = IndexMaintenance(store: store, namespace: namespace, collection: current, pending: pending)
        if !indexes.isEmpty {
            try indexes.replace(old, with: prepared.document, id: prepared.id, idKey: key)
            try indexes.finish()
        }
        pending.batch.put(key, prepared.record.bytes, in: current.keySpace)
        pending.persist(prepared.record.unpersistedShapes)
        let preImage = current.description.recordsPreImages ? old : nil
        if loggedAs == .update {
            let description = UpdateDescription(from: old, to: prepared.document)
            try pending.log(.update, database: namespace.database, collection: namespace.collection,
                            documentKey: prepared.id, document: description.document, preImage: preImage,
                            postImage: prepared.record.bytes, collectionID: current.description.id)
        } else {
            try pending.log(.replace, database: namespace.database, collection: namespace.collection,
                            documentKey: prepared.id, record: prepared.record.bytes, preImage: preImage,
                            collectionID: current.description.id)
        }
        return .replaced
    }

    /// `transform`'s replacement for `old`, with the stored `_id` kept and encoded; `nil` when
    /// `transform` leaves the document unchanged.
    ///
    /// - Throws: `ImmutableField` (66) if the replacement has a different `_id`.
    func replacement(
        for old: BSONDocument, id: BSONValue, _ transform: (BSONDocument) throws(MongoError) -> BSONDocument?
    ) throws(MongoError) -> PreparedDocument? {
        guard let replacement = try transform(old) else { return nil }
        let storedID = old["_id"] ?? id
        if let newID = replacement["_id"],
           BSONValue.compare(newID, storedID) != 0 || newID.type.canonicalRank != storedID.type.canonicalRank {
            throw MongoError(.immutableField,
                             "After applying the update, the (immutable) field '_id' was found to have been altered to _id: \(newID.extendedJSON())")
        }
        var document = replacement
        document["_id"] = storedID
        var encoder = RecordEncoder(registry: store.shapes, owner: namespace.description)
        return try PreparedDocument(document, encoder: &encoder)
    }

    /// Deletes the document whose `_id` is `id` (and its index entries); returns whether one
    /// existed.
    @discardableResult
    public func delete(id: BSONValue, writeConcern: WriteConcern = .acknowledged) throws(MongoError) -> Bool {
        try delete(ids: [id], writeConcern: writeConcern, where: nil) == 1
    }

    /// Deletes, in one commit, each document of `ids` that exists and satisfies
    /// `shouldDelete` (evaluated inside the commit, on the current version; `nil` deletes
    /// unconditionally); returns how many were deleted. Each delete is logged.
    public func delete(
        ids: [BSONValue], writeConcern: WriteConcern = .acknowledged,
        where shouldDelete: ((BSONDocument) throws(MongoError) -> Bool)?
    ) throws(MongoError) -> Int {
        guard let collection = openCollection(), !ids.isEmpty else { return 0 }
        if let transaction { return try delete(ids: ids, in: collection, transaction: transaction, where: shouldDelete) }
        return try store.commit(writeConcern) { (pending) throws(MongoError) -> Int in
            let current = try stillExisting(collection)
            let indexes = IndexMaintenance(store: store, namespace: namespace, collection: current, pending: pending)
            // The old version is decoded only when its index entries or the condition need it.
            let preImages = current.description.recordsPreImages
            let decoder = shouldDelete != nil || !indexes.isEmpty || preImages ? RecordDecoder(registry: store.shapes) : nil
            var deleted: Set<[UInt8]> = []
            for id in ids {
                let key = KeyEncoding.key(for: id)
                guard !deleted.contains(key),
                      let stored = try read({ () throws(StorageError) in try store.storage.get(key, in: collection.keySpace) })
                else { continue }
                var preImage: BSONDocument?
                if let decoder {
                    let document = try decode(stored, decoder: decoder)
                    if let shouldDelete, try !shouldDelete(document) { continue }
                    try indexes.delete(document, idKey: key)
                    if preImages { preImage = document }
                }
                pending.batch.delete(key, in: collection.keySpace)
                try pending.log(.delete, database: namespace.database, collection: namespace.collection, documentKey: id,
                                preImage: preImage, collectionID: current.description.id)
                deleted.insert(key)
            }
            return deleted.count
        }
    }

    // MARK: Reads

    /// The collection as this handle sees it: inside a transaction, one the transaction
    /// created counts.
    func openCollection() -> Catalog.OpenCollection? {
        transaction?.openCollection(namespace) ?? store.catalog.openCollection(namespace)
    }

    /// The collection's catalog entry as this handle sees it (inside a transaction, one the
    /// transaction created counts), or `nil` when it does not exist.
    public var catalogEntry: CollectionDescription? {
        guard let collection = openCollection() else { return nil }
        return transaction?.withBufferedMultikey(collection, namespace: namespace) ?? collection.description
    }

    /// The document whose `_id` equals `id` (by MongoDB's comparison: `1` finds `1.0`), or
    /// `nil`; `nil` also when the collection does not exist.
    public func document(withID id: BSONValue) throws(MongoError) -> BSONDocument? {
        guard let collection = openCollection() else { return nil }
        return try document(withID: id, in: collection)
    }

    /// ``document(withID:)`` and the collection's catalog entry (`nil` when it does not
    /// exist) from one catalog lookup: a point read needs the entry's collation too.
    public func documentAndEntry(withID id: BSONValue) throws(MongoError) -> (document: BSONDocument?, entry: CollectionDescription?) {
        guard let collection = openCollection() else { return (nil, nil) }
        return (try document(withID: id, in: collection), collection.description)
    }

    /// The document whose `_id` equals `id` in the open `collection`.
    private func document(withID id: BSONValue, in collection: Catalog.OpenCollection) throws(MongoError) -> BSONDocument? {
        if let transaction {
            let stored = try transaction.storedValue(forKey: KeyEncoding.key(for: id), in: collection, namespace: namespace)
            return try stored.map { (bytes) throws(MongoError) in try decode(bytes, decoder: RecordDecoder(registry: store.shapes)) }
        }
        // Decoded straight from the engine's memory (RocksDB: the pinned slice), not a copy.
        let decoder = RecordDecoder(registry: store.shapes)
        let read: Result<BSONDocument, RecordError>?
        do {
            read = try reader.withValue(forKey: KeyEncoding.key(for: id), in: collection.keySpace) { stored in
                stored.map { stored in Result { () throws(RecordError) in try decoder.document(stored) } }
            }
        } catch where error.code == .keySpaceDropped {
            return nil
        } catch {
            throw .storage(error)
        }
        switch read {
        case nil: return nil
        case let .success(document)?: return document
        case let .failure(error)?: throw unreadable(error)
        }
    }

    /// Calls `body` with each document in `_id` order until it returns `false`, polling
    /// `interrupt` as it goes.
    public func forEachDocument(
        interrupt: OperationInterrupt = .none, _ body: (BSONDocument) throws(MongoError) -> Bool
    ) throws(MongoError) {
        try forEachRecord(interrupt: interrupt) { (record) throws(MongoError) -> Bool in
            let document: BSONDocument
            do throws(RecordError) {
                document = try record.document()
            } catch {
                throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
            }
            return try body(document)
        }
    }

    /// Every document in `_id` order, at most `limit` of them.
    public func documents(limit: Int? = nil, interrupt: OperationInterrupt = .none) throws(MongoError) -> [BSONDocument] {
        var result: [BSONDocument] = []
        if let limit, limit <= 0 { return result }
        try forEachDocument(interrupt: interrupt) { document in
            result.append(document)
            return limit.map { result.count < $0 } ?? true
        }
        return result
    }

    /// The number of documents (a key scan; no document is decoded).
    public func count() throws(MongoError) -> Int {
        guard let collection = openCollection() else { return 0 }
        var total = 0
        if let transaction {
            try transaction.forEachStored(in: collection, namespace: namespace) { _, _ in
                total += 1
                return true
            }
            return total
        }
        do {
            try store.storage.scan(.all, in: collection.keySpace) { _, _ in
                total += 1
                return .continue
            }
        } catch let error as StorageError where error.code == .keySpaceDropped {
            return 0
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw MongoError(.internalError, "\(error)")
        }
        return total
    }

    // MARK: Helpers

    /// The collection as the catalog knows it now (inside the commit section: with exactly
    /// the indexes this commit must maintain); throws `NamespaceNotFound` if `collection` was
    /// dropped (or replaced) since it was looked up.
    func stillExisting(_ collection: Catalog.OpenCollection) throws(MongoError) -> Catalog.OpenCollection {
        guard let current = store.catalog.openCollection(namespace), current.description.id == collection.description.id
        else {
            throw MongoError(.namespaceNotFound, "collection \(namespace) was dropped during the write")
        }
        return current
    }

    func duplicateKey(_ id: BSONValue) -> MongoError {
        MongoError(.duplicateKey,
                   "E11000 duplicate key error collection: \(namespace) index: _id_ dup key: { _id: \(id.extendedJSON()) }",
                   details: ["keyPattern": ["_id": 1], "keyValue": ["_id": id]])
    }

    func read(_ body: () throws(StorageError) -> [UInt8]?) throws(MongoError) -> [UInt8]? {
        do {
            return try body()
        } catch {
            throw .storage(error)
        }
    }

    func decode(_ bytes: [UInt8], decoder: RecordDecoder) throws(MongoError) -> BSONDocument {
        do {
            return try decoder.document(bytes)
        } catch {
            throw unreadable(error)
        }
    }
}

/// A document ready to write: `_id` first, its key, and its record.
struct PreparedDocument {
    let id: BSONValue
    let key: [UInt8]
    let record: EncodedRecord
    /// The document as written (`_id` first), for index keys.
    let document: BSONDocument

    /// mongod's `storageValidEmbedded` for an `_id` document: no `$`-prefixed field name at
    /// any depth, except a DBRef's `$ref`, `$id` and `$db`.
    ///
    /// - Throws: `DollarPrefixedFieldName` (52).
    static func checkStorable(_ embedded: BSONDocument) throws(MongoError) {
        for element in embedded {
            if element.key.hasPrefix("$"), !["$ref", "$id", "$db"].contains(element.key) {
                throw MongoError(.dollarPrefixedFieldName,
                                 "_id fields may not contain '$'-prefixed fields: \(element.key) is not valid for storage.")
            }
            try checkStorable(element.value)
        }
    }

    private static func checkStorable(_ value: BSONValue) throws(MongoError) {
        switch value {
        case let .document(inner): try checkStorable(inner)
        case let .array(elements): for element in elements { try checkStorable(element) }
        default: break
        }
    }

    init(_ document: BSONDocument, encoder: inout RecordEncoder) throws(MongoError) {
        var ordered = BSONDocument()
        ordered.reserveCapacity(document.count + 1)
        let id: BSONValue
        if let index = document.index(forKey: "_id") {
            id = document[index].value
            ordered.append("_id", id)
            for (position, element) in document.enumerated() where position != index {
                ordered.append(element.key, element.value)
            }
        } else {
            id = .objectId(ObjectId())
            ordered.append("_id", id)
            for element in document { ordered.append(element.key, element.value) }
        }
        switch id {
        case .array, .regex, .undefined:
            throw MongoError(.invalidIdField, "The '_id' value cannot be of type \(id.type.alias)")
        case let .document(embedded):
            try Self.checkStorable(embedded)
        default:
            break
        }
        self.id = id
        key = KeyEncoding.key(for: id)
        self.document = ordered
        do {
            record = try encoder.encode(ordered)
        } catch {
            throw MongoError(.badValue, error.description)
        }
    }
}
