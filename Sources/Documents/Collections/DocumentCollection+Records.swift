// Record-level reads for the query layer: scan a collection's shape-encoded records as lazy
// views (no decoding), so a compiled matcher can decide most documents from their shape
// and a few slots; and the key-space scan helper other store-wide readers share.

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
        try forEachRecord(after: nil, interrupt: interrupt) { (record, _) throws(MongoError) -> Bool in try body(record) }
    }

    /// ``forEachRecord(interrupt:_:)`` resumable: starts after the record whose scan key is
    /// `key` (`nil`: at the start), and gives `body` each record's scan key with it (valid
    /// only during the call; copy it to resume from there later). Reads at the collection's
    /// ``snapshot`` when it has one, so a scan resumed on the same snapshot sees the records
    /// the first part saw. `reverse` walks natural order backwards (MongoDB's `$natural: -1`).
    ///
    /// - Throws: `MaxTimeMSExpired` (50) or `Interrupted` (11601) when `interrupt` fires.
    public func forEachRecord(
        after key: [UInt8]?, reverse: Bool = false, interrupt: OperationInterrupt = .none,
        _ body: (Record, _ key: UnsafeRawBufferPointer) throws(MongoError) -> Bool
    ) throws(MongoError) {
        guard let collection = openCollection() else { return }
        let direction: ScanDirection = reverse ? .reverse : .forward
        guard let range = KeyRange.all.resumed(after: key, direction: direction) else { return }
        let decoder = RecordDecoder(registry: store.shapes)
        var poll = interrupt.poll()
        if let transaction {
            if reverse {
                // The transaction's overlay reads forwards only; its view is bounded by the transaction.
                var stored: [(key: [UInt8], value: [UInt8])] = []
                try transaction.forEachStored(in: collection, namespace: namespace) { (key, value) throws(MongoError) -> Bool in
                    try poll.tick()
                    if let upper = range.upperBound, !key.lexicographicallyPrecedes(upper) { return false }
                    stored.append((key, value))
                    return true
                }
                for (key, value) in stored.reversed() {
                    let record = try record(value, decoder: decoder)
                    guard try withKeyBytes(key, { (key) throws(MongoError) -> Bool in try body(record, key) }) else { return }
                }
                return
            }
            try transaction.forEachStored(in: collection, namespace: namespace, from: range.lowerBound) {
                (key, value) throws(MongoError) -> Bool in
                try poll.tick()
                let record = try record(value, decoder: decoder)
                return try withKeyBytes(key) { (key) throws(MongoError) -> Bool in try body(record, key) }
            }
            return
        }
        let reader = self.reader
        if let capped = collection.capped {
            // Natural order: follow the insertion-order key space to each document.
            try scanStopping(capped.keySpace, range: range, direction: direction) { (key, value) throws(MongoError) -> Bool in
                try poll.tick()
                guard let entry = CappedOrder.Entry(Array(value)) else { return true }
                guard let stored = try read({ () throws(StorageError) in
                    try reader.get(entry.idKey, in: collection.keySpace)
                }) else { return true }
                return try body(try record(stored, decoder: decoder), key)
            }
            return
        }
        var layouts = RecordLayoutCache()
        try scanStopping(collection.keySpace, range: range, direction: direction) { (key, value) throws(MongoError) -> Bool in
            try poll.tick()
            let record: Record
            do throws(RecordError) {
                record = try decoder.record(Array(value), layouts: &layouts)
            } catch {
                throw unreadable(error)
            }
            return try body(record, key)
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
    func unreadable(_ error: RecordError) -> MongoError {
        MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
    }

    /// Scans the entries of `range` in `keySpace` in key order (at the collection's snapshot
    /// when it has one) until `body` returns `false`. A key
    /// space dropped meanwhile ends the scan quietly; `body`'s error ends it and is thrown.
    private func scanStopping(
        _ keySpace: any KeySpace, range: KeyRange, direction: ScanDirection = .forward,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(MongoError) -> Bool
    ) throws(MongoError) {
        try scanEntries(of: reader, in: keySpace, range: range, direction: direction, body)
    }
}

/// Scans the entries of `range` in `keySpace` through `reader`, in key order (or reversed), until `body`
/// returns `false`. A key space dropped meanwhile ends the scan quietly; `body`'s error ends
/// it and is thrown; storage failures are thrown as MongoDB errors.
func scanEntries(
    of reader: any KeyValueReader, in keySpace: any KeySpace, range: KeyRange, direction: ScanDirection = .forward,
    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(MongoError) -> Bool
) throws(MongoError) {
    var failure: MongoError?
    do {
        try reader.scan(range, in: keySpace, direction: direction) { key, value in
            do throws(MongoError) {
                return try body(key, value) ? .continue : .stop
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
