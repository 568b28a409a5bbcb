// DocumentCollection+Transaction: the collection's writes when it is used inside a transaction
// — the same checks as outside (duplicate _id, immutable _id, conditions on the current
// version) against what the transaction sees, with the result buffered instead of committed.

internal import BSON
internal import Storage

extension DocumentCollection {
    /// Buffers the insert of `prepared` in `transaction`, all or nothing.
    func insert(_ prepared: [PreparedDocument], in transaction: Transaction) throws(MongoError) -> [BSONValue] {
        let collection = try transaction.openOrCreateCollection(namespace)
        try checkNotCapped(collection)
        var seen: Set<[UInt8]> = []
        var writes: [(value: Transaction.BufferedWrite.Value, key: [UInt8], change: Transaction.BufferedChange)] = []
        var shapes: [ShapeDefinition] = []
        for document in prepared {
            guard seen.insert(document.key).inserted,
                  try transaction.storedValue(forKey: document.key, in: collection, namespace: namespace) == nil
            else {
                throw duplicateKey(document.id)
            }
            try checkIndexable(document.document, in: collection, transaction: transaction)
            writes.append((.put(document: document.document, id: document.id, record: document.record.bytes), document.key,
                           Transaction.BufferedChange(operation: .insert, namespace: namespace, documentKey: document.id,
                                                      record: document.record.bytes)))
            shapes += document.record.unpersistedShapes
        }
        try transaction.buffer(writes, in: collection, namespace: namespace, shapes: shapes)
        return prepared.map(\.id)
    }

    /// `modify(id:writeConcern:_:)` inside `transaction`.
    func modify(
        id: BSONValue, in collection: Catalog.OpenCollection, transaction: Transaction,
        loggedAs: ChangeLogEntry.Operation, _ transform: (BSONDocument) throws(MongoError) -> BSONDocument?
    ) throws(MongoError) -> ModifyOutcome {
        try checkNotCapped(collection)
        let key = KeyEncoding.key(for: id)
        guard let stored = try transaction.storedValue(forKey: key, in: collection, namespace: namespace) else {
            return .notFound
        }
        let old = try decode(stored, decoder: RecordDecoder(registry: store.shapes))
        guard let prepared = try replacement(for: old, id: id, transform) else { return .unchanged }
        try checkIndexable(prepared.document, in: collection, transaction: transaction)
        var change = Transaction.BufferedChange(operation: loggedAs == .update ? .update : .replace, namespace: namespace,
                                                documentKey: prepared.id)
        if loggedAs == .update {
            change.document = UpdateDescription(from: old, to: prepared.document).document
            change.postImage = prepared.record.bytes
        } else {
            change.record = prepared.record.bytes
        }
        if collection.description.recordsPreImages { change.preImage = old }
        try transaction.buffer(
            .put(document: prepared.document, id: prepared.id, record: prepared.record.bytes), key: key, in: collection,
            namespace: namespace, change: change, shapes: prepared.record.unpersistedShapes)
        return .replaced
    }

    /// `delete(ids:writeConcern:where:)` inside `transaction`.
    func delete(
        ids: [BSONValue], in collection: Catalog.OpenCollection, transaction: Transaction,
        where shouldDelete: ((BSONDocument) throws(MongoError) -> Bool)?
    ) throws(MongoError) -> Int {
        try checkNotCapped(collection)
        let decoder = RecordDecoder(registry: store.shapes)
        var writes: [(value: Transaction.BufferedWrite.Value, key: [UInt8], change: Transaction.BufferedChange)] = []
        var deleted: Set<[UInt8]> = []
        for id in ids {
            let key = KeyEncoding.key(for: id)
            guard !deleted.contains(key),
                  let stored = try transaction.storedValue(forKey: key, in: collection, namespace: namespace)
            else { continue }
            let preImages = collection.description.recordsPreImages
            let document = shouldDelete != nil || preImages ? try decode(stored, decoder: decoder) : nil
            if let shouldDelete, let document, try !shouldDelete(document) { continue }
            writes.append((.deleted, key,
                           Transaction.BufferedChange(operation: .delete, namespace: namespace, documentKey: id,
                                                      preImage: preImages ? document : nil)))
            deleted.insert(key)
        }
        if !writes.isEmpty { try transaction.buffer(writes, in: collection, namespace: namespace, shapes: []) }
        return deleted.count
    }

    /// MongoDB refuses writes to capped collections inside transactions.
    private func checkNotCapped(_ collection: Catalog.OpenCollection) throws(MongoError) {
        guard collection.capped != nil else { return }
        throw MongoError(MongoError.Code(263, "OperationNotSupportedInTransaction"),
                         "Collection '\(namespace)' is a capped collection. Writes in transactions are not allowed on capped collections.")
    }

    /// Fails now, as outside a transaction, for a document no index can hold (parallel
    /// arrays, a partial filter that cannot be evaluated); unique keys are checked at commit.
    /// Notes the multikey names the document shows, so the transaction's own reads plan with them.
    private func checkIndexable(_ document: BSONDocument, in collection: Catalog.OpenCollection, transaction: Transaction) throws(MongoError) {
        for index in collection.indexes where try index.includes(document) {
            let names = try IndexKeyGenerator(index.spec).keys(for: document).multikeyNames(index.spec.fields)
            if !names.isEmpty { transaction.noteMultikey(names, index: index.name, in: namespace) }
        }
    }
}
