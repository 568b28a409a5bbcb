// DocumentStore's index DDL: createIndex (validating the spec and building the index over
// the existing documents), dropIndex (freeing its key space) and setIndexHidden. Builds hold
// the commit section, so writers wait and every document is indexed exactly once.

public import BSON
internal import Storage

extension DocumentStore {
    /// Creates an index on `namespace` (creating the collection if needed), builds it over the
    /// documents already there, and returns its description. Creating an identical index
    /// again does nothing; `{_id: 1}` is the `_id_` index every collection has.
    ///
    /// `options` is the rest of a createIndexes specification (`unique`, `sparse`,
    /// `partialFilterExpression`, `expireAfterSeconds`, `hidden`, ...); see
    /// `IndexSpecValidation.validate` for every check. Writers wait while the index is built.
    ///
    /// - Throws: `IndexKeySpecsConflict` (86) when the name exists with another key pattern,
    ///   `IndexOptionsConflict` (85) when the name exists with other options or an equivalent
    ///   index exists under another name, `CannotCreateIndex` (67), `TypeMismatch` (14),
    ///   `InvalidIndexSpecificationOption` (197) or `BadValue` (2) for a bad specification
    ///   (`BadValue` also for a partial filter when the store has no predicate compiler), and
    ///   `DuplicateKey` (11000) or `CannotIndexParallelArrays` (171) when an existing document
    ///   cannot be indexed — then nothing of the index remains.
    @discardableResult
    public func createIndex(
        on namespace: Namespace, key: BSONDocument, name: String? = nil, options: BSONDocument = BSONDocument(),
        interrupt: OperationInterrupt = .none
    ) throws(MongoError) -> IndexDescription {
        let requested = try IndexSpecValidation.validate(key: key, name: name, options: options)
        if IndexKeyPattern.isIDPattern(key) {
            _ = try openOrCreateCollection(namespace)
            return catalog.collection(namespace)?.indexes.first(where: \.isIDIndex) ?? .idIndex
        }
        if let filter = requested.partialFilter {
            guard let predicateCompiler else {
                throw MongoError(.badValue,
                                 "partialFilterExpression needs a predicate compiler (DocumentStoreOptions.predicateCompiler)")
            }
            _ = try predicateCompiler(filter)
        }
        let spec = IndexSpec(requested)
        _ = try openOrCreateCollection(namespace)
        return try ddlSection.withLock { () throws(MongoError) -> IndexDescription in
            guard let collection = catalog.openCollection(namespace) else {
                throw MongoError(.namespaceNotFound, "ns not found: \(namespace)")
            }
            for existing in collection.description.indexes {
                let existingSpec = IndexSpec(existing)
                if existing.name == requested.name {
                    guard BSONValue.compareDocuments(existing.key, requested.key) == 0 else {
                        throw MongoError(.indexKeySpecsConflict,
                                         "An existing index has the same name as the requested index: \(requested.name)")
                    }
                    guard existingSpec.isEquivalent(to: spec), existing.isHidden == requested.isHidden,
                          existing.expireAfterSeconds == requested.expireAfterSeconds
                    else {
                        throw MongoError(.indexOptionsConflict,
                                         "An equivalent index already exists with the same name but different options: \(requested.name)")
                    }
                    return existing
                }
                if existingSpec.isEquivalent(to: spec) {
                    throw MongoError(.indexOptionsConflict, "Index already exists with a different name: \(existing.name)")
                }
            }
            return try build(requested, on: collection, namespace: namespace, interrupt: interrupt)
        }
    }

    /// Builds `requested` over `collection` in a new key space while holding the commit
    /// section, then records it; on any error drops the key space and records nothing.
    private func build(
        _ requested: IndexDescription, on collection: Catalog.OpenCollection, namespace: Namespace,
        interrupt: OperationInterrupt
    ) throws(MongoError) -> IndexDescription {
        let id = try reserveKeySpaceID()
        let keySpace: any KeySpace
        do {
            keySpace = try storage.keySpace(named: CatalogKey.keySpaceName(index: id))
        } catch {
            throw .storage(error)
        }
        var description = requested
        description.keySpaceID = id
        let open = Catalog.OpenIndex(description: description, keySpace: keySpace, compiler: predicateCompiler)
        do {
            let result = try withCommitSection { () throws(MongoError) -> IndexDescription in
                guard let current = catalog.openCollection(namespace), current.description.id == collection.description.id else {
                    throw MongoError(.namespaceNotFound, "collection \(namespace) was dropped during the index build")
                }
                // Another server sharing the store built it meanwhile (the catalog was just
                // refreshed under the database lock): theirs stands.
                if shared != nil, let existing = current.index(named: requested.name) { return existing }
                let builder = IndexBuilder(store: self, namespace: namespace, collection: current, index: open,
                                           interrupt: interrupt)
                description.multikeyFields = try builder.build()
                let built = description
                try commit(.journaled, holdingSection: true) { (pending) throws(MongoError) in
                    pending.batch.put(CatalogKey.index(collection: current.description.id, name: built.name),
                                      try bson(built.catalogRecord), in: catalogKeySpace)
                    var next: [UInt8] = []
                    KeyEncoding.appendBigEndian(id + 1, to: &next)
                    pending.batch.put(CatalogKey.nextCollectionID, next, in: catalogKeySpace)
                    try pending.log(.createIndex, database: namespace.database, collection: namespace.collection,
                                    document: built.document)
                    let catalog = self.catalog
                    pending.onCommit {
                        catalog.withState { state in
                            state.collections[namespace]?.description.indexes.append(built)
                            state.collections[namespace]?.indexes.append(open)
                        }
                    }
                }
                return built
            }
            if result.keySpaceID != id { try? storage.dropKeySpace(keySpace) }
            return result
        } catch {
            try? storage.dropKeySpace(keySpace)
            throw error
        }
    }

    /// Removes the index `name` from `namespace` and releases its disk space.
    ///
    /// - Throws: `NamespaceNotFound` (26), `IndexNotFound` (27), or `InvalidOptions` (72)
    ///   for `_id_`.
    public func dropIndex(_ name: String, on namespace: Namespace) throws(MongoError) {
        let released = try ddlSection.withLock { () throws(MongoError) -> (any KeySpace)? in
            guard let collection = catalog.openCollection(namespace) else {
                throw MongoError(.namespaceNotFound, "ns not found: \(namespace)")
            }
            guard name != IndexDescription.idIndex.name else {
                throw MongoError(.invalidOptions, "cannot drop _id index")
            }
            guard collection.index(named: name) != nil else {
                throw MongoError(.indexNotFound, "index not found with name [\(name)]")
            }
            try commit(.journaled) { (pending) throws(MongoError) in
                pending.batch.delete(CatalogKey.index(collection: collection.description.id, name: name), in: catalogKeySpace)
                try pending.log(.dropIndex, database: namespace.database, collection: namespace.collection,
                                document: ["name": .string(name)])
                let catalog = self.catalog
                pending.onCommit {
                    catalog.withState { state in
                        state.collections[namespace]?.description.indexes.removeAll { $0.name == name }
                        state.collections[namespace]?.indexes.removeAll { $0.name == name }
                    }
                }
            }
            return collection.indexes.first { $0.name == name }?.keySpace
        }
        guard let released else { return }
        do {
            try storage.dropKeySpace(released)
        } catch {
            // The catalog no longer names it; the next open drops the orphan.
            throw .storage(error)
        }
    }

    /// Hides the index `name` from the planner, or shows it again (it is maintained either
    /// way); returns whether it was hidden before. What collMod's `hidden` does.
    ///
    /// - Throws: `NamespaceNotFound` (26), `IndexNotFound` (27), or `BadValue` (2) for `_id_`.
    @discardableResult
    public func setIndexHidden(_ name: String, on namespace: Namespace, hidden: Bool) throws(MongoError) -> Bool {
        try ddlSection.withLock { () throws(MongoError) -> Bool in
            guard let collection = catalog.openCollection(namespace) else {
                throw MongoError(.namespaceNotFound, "ns not found: \(namespace)")
            }
            guard name != IndexDescription.idIndex.name else { throw MongoError(.badValue, "can't hide _id index") }
            guard var description = collection.index(named: name) else {
                throw MongoError(.indexNotFound, "cannot find index \(name) for ns \(namespace)")
            }
            let wasHidden = description.isHidden
            guard wasHidden != hidden else { return wasHidden }
            description.options["hidden"] = hidden ? .bool(true) : nil
            let updated = description
            try commit(.journaled) { (pending) throws(MongoError) in
                pending.batch.put(CatalogKey.index(collection: collection.description.id, name: name),
                                  try bson(updated.catalogRecord), in: catalogKeySpace)
                let catalog = self.catalog
                pending.onCommit {
                    catalog.withState { state in
                        guard let slot = state.collections[namespace]?.description.indexes.firstIndex(where: { $0.name == name })
                        else { return }
                        state.collections[namespace]?.description.indexes[slot].options = updated.options
                    }
                }
            }
            return wasHidden
        }
    }
}

/// Fills a new index's key space from a collection's documents.
///
/// Runs with the commit section held, so the documents cannot change; writes go straight to
/// the new key space (nothing names it yet) in batches of about `batchSize` entries.
private struct IndexBuilder {
    let store: DocumentStore
    let namespace: Namespace
    let collection: Catalog.OpenCollection
    let index: Catalog.OpenIndex
    /// Polled every few hundred documents: a killed or timed-out build drops its key space.
    let interrupt: OperationInterrupt
    let batchSize = 1000

    /// Writes every entry; returns the key fields that turned out multikey.
    ///
    /// - Throws: `DuplicateKey` (11000) for a unique index two documents share a key of,
    ///   `CannotIndexParallelArrays` (171), or the partial filter's error.
    func build() throws(MongoError) -> [String] {
        let generator = IndexKeyGenerator(index.spec)
        let decoder = RecordDecoder(registry: store.shapes)
        let handle = store.collection(namespace)
        let storage = store.storage
        var multikey: Set<Int> = []
        var batch = try storing { () throws(StorageError) in try storage.makeWriteBatch() }
        // Unique keys in `batch`, not yet readable from the key space.
        var unwritten: [[UInt8]: [UInt8]] = [:]
        let cursor = try storing { () throws(StorageError) in try storage.makeCursor(over: .all, in: collection.keySpace) }
        cursor.seekToFirst()
        var poll = interrupt.poll()
        while let idKey = cursor.key, let record = cursor.value {
            try poll.tick()
            let document = try handle.decode(record, decoder: decoder)
            if try index.includes(document) {
                let generated = try generator.keys(for: document)
                multikey.formUnion(generated.multikeyFields)
                let id = document["_id"] ?? .null
                for key in generated.keys {
                    if index.spec.isUnique {
                        // A document's keys are distinct and its entries share one batch, so
                        // any entry already there belongs to another document.
                        let written = try IndexMaintenance.firstEntry(withPrefix: key.encoded, in: index.keySpace,
                                                                      storage: storage) { _ in true }
                        if written || unwritten[key.encoded] != nil {
                            throw IndexMaintenance.duplicateKey(namespace: namespace, index: index.name,
                                                                fields: index.spec.fields, values: key.values)
                        }
                        unwritten[key.encoded] = idKey
                    }
                    batch.put(IndexEntryCodec.entryKey(fields: key.encoded, id: idKey),
                              try IndexEntryCodec.entryValue(values: key.values, id: id), in: index.keySpace)
                }
            }
            if batch.count >= batchSize {
                let full = batch
                try storing { () throws(StorageError) in try storage.write(full, durability: .buffered) }
                batch = try storing { () throws(StorageError) in try storage.makeWriteBatch() }
                unwritten.removeAll(keepingCapacity: true)
            }
            cursor.next()
        }
        try storing { () throws(StorageError) in try cursor.checkStatus() }
        if !batch.isEmpty {
            let last = batch
            try storing { () throws(StorageError) in try storage.write(last, durability: .buffered) }
        }
        return index.spec.fields.enumerated().filter { multikey.contains($0.offset) }.map(\.element.path)
    }

    private func storing<Result>(_ body: () throws(StorageError) -> Result) throws(MongoError) -> Result {
        do {
            return try body()
        } catch {
            throw .storage(error)
        }
    }
}
