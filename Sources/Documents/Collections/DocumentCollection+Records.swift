// Record-level reads for the query layer: scan a collection's shape-encoded records as lazy
// views (no decoding), so a compiled matcher can decide most documents from their shape
// and a few slots.

internal import Storage

extension DocumentCollection {
    /// Calls `body` with each record, in `_id` order (insertion order for a capped
    /// collection: MongoDB's natural order), until it returns `false`. The record
    /// is a lazy view; decode it with `Record.document()` only when needed.
    public func forEachRecord(_ body: (Record) throws(MongoError) -> Bool) throws(MongoError) {
        guard let collection = store.catalog.openCollection(namespace) else { return }
        let decoder = RecordDecoder(registry: store.shapes)
        if let transaction {
            try transaction.forEachStored(in: collection, namespace: namespace) { (_, value) throws(MongoError) -> Bool in
                let record: Record
                do throws(RecordError) {
                    record = try decoder.record(value)
                } catch {
                    throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
                }
                return try body(record)
            }
            return
        }
        if let capped = collection.capped {
            try forEachRecordInInsertionOrder(capped, collection: collection, decoder: decoder, body)
            return
        }
        var failure: MongoError?
        do {
            try store.storage.scan(.all, in: collection.keySpace) { _, value in
                do throws(MongoError) {
                    let record: Record
                    do throws(RecordError) {
                        record = try decoder.record(Array(value))
                    } catch {
                        throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
                    }
                    return try body(record) ? .continue : .stop
                } catch {
                    failure = error
                    return .stop
                }
            }
        } catch let error as StorageError where error.code == .keySpaceDropped {
            return
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw MongoError(.internalError, "\(error)")
        }
        if let failure { throw failure }
    }

    private func forEachRecordInInsertionOrder(
        _ capped: CappedOrder, collection: Catalog.OpenCollection, decoder: RecordDecoder,
        _ body: (Record) throws(MongoError) -> Bool
    ) throws(MongoError) {
        var failure: MongoError?
        do {
            try store.storage.scan(.all, in: capped.keySpace) { _, value in
                guard let entry = CappedOrder.Entry(Array(value)) else { return .continue }
                do throws(MongoError) {
                    guard let stored = try read({ () throws(StorageError) in
                        try store.storage.get(entry.idKey, in: collection.keySpace)
                    }) else { return .continue }
                    let record: Record
                    do throws(RecordError) {
                        record = try decoder.record(stored)
                    } catch {
                        throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
                    }
                    return try body(record) ? .continue : .stop
                } catch {
                    failure = error
                    return .stop
                }
            }
        } catch let error as StorageError where error.code == .keySpaceDropped {
            return
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw MongoError(.internalError, "\(error)")
        }
        if let failure { throw failure }
    }
}
