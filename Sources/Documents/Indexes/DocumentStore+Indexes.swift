// DocumentStore's index DDL: createIndex (validating the spec and building the index over
// the existing documents while writes go on — IndexBuild.swift — or, on an engine several
// servers share, holding the database commit lock: DocumentStore.indexBuildMode), dropIndex
// (freeing its key space) and setIndexHidden.

public import BSON
internal import Storage

extension DocumentStore {
    /// Creates an index on `namespace` (creating the collection if needed), builds it over the
    /// documents already there, and returns its description. Creating an identical index
    /// again does nothing; `{_id: 1}` is the `_id_` index every collection has.
    ///
    /// `options` is the rest of a createIndexes specification (`unique`, `sparse`,
    /// `partialFilterExpression`, `expireAfterSeconds`, `hidden`, ...); see
    /// `IndexSpecValidation.validate` for every check. Writes go on while the index is built
    /// (they wait at most for one batch of it), except on an engine several servers share,
    /// where every server's writes wait for the whole build (``indexBuildMode``); other DDL waits.
    ///
    /// - Throws: `IndexKeySpecsConflict` (86) when the name exists with another key pattern,
    ///   `IndexOptionsConflict` (85) when the name exists with other options or an equivalent
    ///   index exists under another name, `CannotCreateIndex` (67), `TypeMismatch` (14),
    ///   `InvalidIndexSpecificationOption` (197) or `BadValue` (2) for a bad specification
    ///   (`BadValue` also for a partial filter when the store has no predicate compiler), and
    ///   `DuplicateKey` (11000) or `CannotIndexParallelArrays` (171) when an existing document
    ///   cannot be indexed (also one written during the build), the interrupt's error
    ///   (`Interrupted` 11601, `InterruptedAtShutdown` 11600, `MaxTimeMSExpired` 50) — then
    ///   nothing of the index remains.
    @discardableResult
    public func createIndex(
        on namespace: Namespace, key: BSONDocument, name: String? = nil, options: BSONDocument = BSONDocument(),
        interrupt: OperationInterrupt = .none
    ) throws(MongoError) -> IndexDescription {
        let requested = try checkedIndex(key: key, name: name, options: options)
        if IndexKeyPattern.isIDPattern(key) {
            _ = try openOrCreateCollection(namespace)
            return catalog.collection(namespace)?.indexes.first(where: \.isIDIndex) ?? .idIndex
        }
        _ = try openOrCreateCollection(namespace)
        return try ddlSection.withLock { () throws(MongoError) -> IndexDescription in
            guard let collection = catalog.openCollection(namespace) else {
                throw MongoError(.namespaceNotFound, "ns not found: \(namespace)")
            }
            if let existing = try Self.existingIndex(matching: requested, in: collection.description) { return existing }
            return try build(requested, on: collection, namespace: namespace, interrupt: interrupt)
        }
    }

    /// The index `key`/`name`/`options` describe, validated (`IndexSpecValidation.validate`),
    /// its partial filter compiled once to check it.
    func checkedIndex(key: BSONDocument, name: String?, options: BSONDocument) throws(MongoError) -> IndexDescription {
        let requested = try IndexSpecValidation.validate(key: key, name: name, options: options)
        if let filter = requested.partialFilter {
            guard let predicateCompiler else {
                throw MongoError(.badValue,
                                 "partialFilterExpression needs a predicate compiler (DocumentStoreOptions.predicateCompiler)")
            }
            _ = try predicateCompiler(filter)
        }
        return requested
    }

    /// The index of `collection` that `requested` repeats (same name, key and options), or
    /// `nil` when it is new.
    ///
    /// - Throws: `IndexKeySpecsConflict` (86) for its name with another key pattern,
    ///   `IndexOptionsConflict` (85) for its name with other options or an equivalent index
    ///   under another name.
    static func existingIndex(matching requested: IndexDescription,
                              in collection: CollectionDescription) throws(MongoError) -> IndexDescription? {
        let spec = IndexSpec(requested)
        for existing in collection.indexes {
            let existingSpec = IndexSpec(existing)
            if existing.name == requested.name {
                guard BSONValue.compareDocuments(existing.key, requested.key) == 0 else {
                    throw MongoError(.indexKeySpecsConflict,
                                     "An existing index has the same name as the requested index: \(requested.name)")
                }
                guard existingSpec.isEquivalent(to: spec), existing.isHidden == requested.isHidden,
                      existing.expireAfterSeconds == requested.expireAfterSeconds, existingSpec.text == spec.text
                else {
                    throw MongoError(.indexOptionsConflict,
                                     "An equivalent index already exists with the same name but different options: \(requested.name)")
                }
                return existing
            }
            if existingSpec.isEquivalent(to: spec) {
                throw MongoError(.indexOptionsConflict, "Index already exists with a different name: \(existing.name)")
            }
            try TextIndexRules.checkOnlyTextIndex(existing: existing, requested: requested)
        }
        return nil
    }

    /// `requested` with a new, empty key space of its own (its id reserved): what an index
    /// build or a transaction's createIndex fills. Nothing records it yet.
    func openNewIndex(_ requested: IndexDescription) throws(MongoError)
        -> (description: IndexDescription, open: Catalog.OpenIndex, id: UInt64)
    {
        let id = try reserveKeySpaceID()
        let keySpace = try makeKeySpace(named: CatalogKey.keySpaceName(index: id))
        var description = requested
        description.keySpaceID = id
        return (description, Catalog.OpenIndex(description: description, keySpace: keySpace, compiler: predicateCompiler), id)
    }

    /// The key space `name`, opened or made.
    func makeKeySpace(named name: String) throws(MongoError) -> any KeySpace {
        do {
            return try storage.keySpace(named: name)
        } catch {
            throw .storage(error)
        }
    }

    /// Builds `requested` over `collection` in a new key space, then records it; on any error
    /// unregisters it, drops the key space and records nothing. How writers fare meanwhile is
    /// ``DocumentStore/indexBuildMode``'s choice: they go on (a hybrid build, IndexBuild.swift),
    /// or, on an engine other servers share, the whole build holds the database commit lock.
    private func build(
        _ requested: IndexDescription, on collection: Catalog.OpenCollection, namespace: Namespace,
        interrupt: OperationInterrupt
    ) throws(MongoError) -> IndexDescription {
        let (description, open, id) = try openNewIndex(requested)
        let keySpace = open.keySpace
        let build = IndexBuild(description: description, index: open)
        do {
            switch indexBuildMode {
            case .hybrid:
                let registered = try commitSection.withLock { () throws(MongoError) -> Catalog.OpenCollection in
                    guard let current = catalog.openCollection(namespace), current.description.id == collection.description.id else {
                        throw MongoError(.namespaceNotFound, "collection \(namespace) was dropped during the index build")
                    }
                    catalog.withState { state in state.collections[namespace]?.building.append(build) }
                    return current
                }
                return try HybridIndexBuilder(store: self, namespace: namespace, collection: registered, build: build,
                                              interrupt: interrupt).run()
            case .locked:
                let result = try withCommitSection { () throws(MongoError) -> IndexDescription in
                    guard let current = catalog.openCollection(namespace), current.description.id == collection.description.id else {
                        throw MongoError(.namespaceNotFound, "collection \(namespace) was dropped during the index build")
                    }
                    // Another server sharing the store built it meanwhile (the catalog was just
                    // refreshed under the database lock): theirs stands, or conflicts.
                    if let existing = try Self.existingIndex(matching: requested, in: current.description) { return existing }
                    return try HybridIndexBuilder(store: self, namespace: namespace, collection: current, build: build,
                                                  interrupt: interrupt, holdsCommitSection: true).run()
                }
                if result.keySpaceID != id { try? storage.dropKeySpace(keySpace) }
                return result
            }
        } catch {
            let isReady = commitSection.withLock {
                catalog.withState { state in
                    state.collections[namespace]?.building.removeAll { $0 === build }
                    // Committed, then failed waiting for the journal: the index exists.
                    return state.collections[namespace]?.description.indexes.contains { $0.keySpaceID == id } == true
                }
            }
            if !isReady { try? storage.dropKeySpace(keySpace) }
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
                // The whole description (replay reads only the name), for change streams.
                try pending.log(.dropIndex, database: namespace.database, collection: namespace.collection,
                                document: collection.index(named: name)?.document ?? ["name": .string(name)],
                                collectionID: collection.description.id)
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
