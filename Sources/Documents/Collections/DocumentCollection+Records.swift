// Record-level reads for the query layer: scan a collection's shape-encoded records as lazy
// views (no decoding), so a compiled matcher can decide most documents from their shape
// and a few slots.

public import BSON
internal import Storage

extension DocumentCollection {
    /// Calls `body` with each record, in `_id` order (insertion order for a capped
    /// collection: MongoDB's natural order), until it returns `false`. The record
    /// is a lazy view; decode it with `Record.document()` only when needed. `interrupt` is
    /// polled every few hundred records.
    ///
    /// - Throws: `MaxTimeMSExpired` (50) or `Interrupted` (11601) when `interrupt` fires.
    public func forEachRecord(
        interrupt: OperationInterrupt = .none, _ body: (Record) throws(MongoError) -> Bool
    ) throws(MongoError) {
        guard let collection = store.catalog.openCollection(namespace) else { return }
        let decoder = RecordDecoder(registry: store.shapes)
        var poll = interrupt.poll()
        if let transaction {
            try transaction.forEachStored(in: collection, namespace: namespace) { (_, value) throws(MongoError) -> Bool in
                try poll.tick()
                return try body(try record(value, decoder: decoder))
            }
            return
        }
        if let capped = collection.capped {
            // Natural order: follow the insertion-order key space to each document.
            try scanStopping(capped.keySpace) { (value) throws(MongoError) -> Bool in
                try poll.tick()
                guard let entry = CappedOrder.Entry(value) else { return true }
                guard let stored = try read({ () throws(StorageError) in
                    try store.storage.get(entry.idKey, in: collection.keySpace)
                }) else { return true }
                return try body(try record(stored, decoder: decoder))
            }
            return
        }
        var layouts = RecordLayoutCache()
        try scanStopping(collection.keySpace) { (value) throws(MongoError) -> Bool in
            try poll.tick()
            let record: Record
            do throws(RecordError) {
                record = try decoder.record(value, layouts: &layouts)
            } catch {
                throw unreadable(error)
            }
            return try body(record)
        }
    }

    /// `bytes` as a record view, or an `InternalError` naming this collection.
    private func record(_ bytes: [UInt8], decoder: RecordDecoder) throws(MongoError) -> Record {
        do throws(RecordError) {
            return try decoder.record(bytes)
        } catch {
            throw unreadable(error)
        }
    }

    /// The `InternalError` for a record of this collection that cannot be read.
    private func unreadable(_ error: RecordError) -> MongoError {
        MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
    }

    /// Scans every value of `keySpace` in key order until `body` returns `false`. A key
    /// space dropped meanwhile ends the scan quietly; `body`'s error ends it and is thrown.
    private func scanStopping(_ keySpace: any KeySpace, _ body: ([UInt8]) throws(MongoError) -> Bool) throws(MongoError) {
        var failure: MongoError?
        do {
            try store.storage.scan(.all, in: keySpace) { _, value in
                do throws(MongoError) {
                    return try body(Array(value)) ? .continue : .stop
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
