// DocumentStore's collMod DDL: replacing a collection's stored options (validator, validation
// level and action, pre-images, capped bounds) and an index's mutable options (hidden,
// expireAfterSeconds, prepareUnique). Each change is one catalog record rewritten in one
// commit; the in-memory catalog follows when it lands. Parsing and MongoDB's rules stay above.
// Also the change log entries of DDL kept outside the catalog (recordChange).

public import BSON
internal import Storage

extension DocumentStore {
    /// Records `operation` on `namespace` in the change log, in a commit of its own that
    /// changes nothing else: what change streams report of DDL the catalog does not log
    /// itself (a view's creation, a collMod). `document` is the entry's description.
    public func recordChange(
        _ operation: ChangeLogEntry.Operation, on namespace: Namespace, document: BSONDocument, collectionID: UInt64? = nil
    ) throws(MongoError) {
        try commit(.journaled) { (pending) throws(MongoError) in
            try pending.log(operation, database: namespace.database, collection: namespace.collection, document: document,
                            collectionID: collectionID)
        }
    }

    /// Replaces the options of the collection at `namespace` with `options` (stored verbatim,
    /// listed by listCollections). New capped bounds (`size`, `max` of a capped collection)
    /// apply from the next insert, which evicts down to them.
    ///
    /// - Throws: `NamespaceNotFound` (26) when the collection does not exist; `InvalidOptions`
    ///   (72) for capped bounds `CappedLimits` refuses.
    public func setCollectionOptions(_ namespace: Namespace, options: BSONDocument) throws(MongoError) {
        try ddlSection.withLock { () throws(MongoError) in
            guard let open = catalog.openCollection(namespace) else {
                throw MongoError(.namespaceNotFound, "ns does not exist: \(namespace)")
            }
            let limits = try CappedLimits(options: options)
            let capped: CappedOrder? = open.capped.map { order in
                guard let limits, limits != order.limits else { return order }
                return CappedOrder(limits: limits, keySpace: order.keySpace, account: order.current)
            }
            let record: BSONDocument = ["id": .int64(Int64(open.description.id)), "options": .document(options)]
            try commit(.journaled) { (pending) throws(MongoError) in
                pending.batch.put(CatalogKey.collection(namespace), try bson(record), in: catalogKeySpace)
                let catalog = self.catalog
                pending.onCommit {
                    catalog.withState { state in
                        state.collections[namespace]?.description.options = options
                        state.collections[namespace]?.capped = capped
                    }
                }
            }
        }
    }

    /// Applies `changes` to the options of the index `name` on `namespace` (a `null` value
    /// removes an option) and returns the index as it was before. Only options that do not
    /// change the index's entries may change here: `hidden`, `expireAfterSeconds`,
    /// `prepareUnique`.
    ///
    /// - Throws: `NamespaceNotFound` (26), `IndexNotFound` (27), `BadValue` (2) for an option
    ///   whose change would need a rebuild.
    @discardableResult
    public func setIndexOptions(_ name: String, on namespace: Namespace, changes: BSONDocument) throws(MongoError) -> IndexDescription {
        let mutable: Set<String> = ["hidden", "expireAfterSeconds", "prepareUnique"]
        if let other = changes.keys.first(where: { !mutable.contains($0) }) {
            throw MongoError(.badValue, "index option '\(other)' cannot change without rebuilding the index")
        }
        return try ddlSection.withLock { () throws(MongoError) -> IndexDescription in
            guard let collection = catalog.openCollection(namespace) else {
                throw MongoError(.namespaceNotFound, "ns does not exist: \(namespace)")
            }
            guard let before = collection.index(named: name) else {
                throw MongoError(.indexNotFound, "cannot find index \(name) for ns \(namespace)")
            }
            var updated = before
            for change in changes.elements {
                // (BSONValue is nil-literal convertible: remove explicitly, never store null.)
                if change.value == .null { updated.options[change.key] = BSONValue?.none } else { updated.options[change.key] = change.value }
            }
            guard updated.options != before.options else { return before }
            let record = updated
            try commit(.journaled) { (pending) throws(MongoError) in
                pending.batch.put(CatalogKey.index(collection: collection.description.id, name: name),
                                  try bson(record.catalogRecord), in: catalogKeySpace)
                let catalog = self.catalog
                let compiler = predicateCompiler
                pending.onCommit {
                    catalog.withState { state in
                        guard let slot = state.collections[namespace]?.description.indexes.firstIndex(where: { $0.name == name })
                        else { return }
                        state.collections[namespace]?.description.indexes[slot].options = record.options
                        // The open index's spec carries the TTL the monitor reads: rebuild it.
                        if let open = state.collections[namespace]?.indexes.firstIndex(where: { $0.name == name }),
                           let keySpace = state.collections[namespace]?.indexes[open].keySpace {
                            state.collections[namespace]?.indexes[open] = Catalog.OpenIndex(
                                description: record, keySpace: keySpace, compiler: compiler)
                        }
                    }
                }
            }
            return before
        }
    }
}
