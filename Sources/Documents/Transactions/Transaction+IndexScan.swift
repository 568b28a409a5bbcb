// Transaction+IndexScan: index scans inside a transaction — the snapshot's entries, minus
// those of documents the transaction wrote, merged in key order with the entries its
// buffered documents will have. Planner and executor see an ordinary index.
//
// A cursor reads such a scan batch by batch, resuming after the last key it returned. Each
// part costs what it returns: the buffered documents' entries are built and sorted once per
// write set (cached in the transaction until its next write), found by binary search from
// the resume key, and merged lazily with the snapshot's cursor, which stops with the batch.

internal import BSON
internal import Storage

extension DocumentCollection {
    /// `scanIndex` as `transaction` sees the index (`index` nil: `_id_`). Every entry looked
    /// at, the snapshot's and the buffered documents', counts in `statistics.keysExamined`.
    func scanIndex(
        in transaction: Transaction, collection: Catalog.OpenCollection, index: Catalog.OpenIndex?, keySpace: any KeySpace,
        decoder: RecordDecoder?, plan: IndexScanPlan, reverse: Bool, after resumeKey: [UInt8]?,
        statistics: inout IndexScanStatistics, interrupt: OperationInterrupt,
        _ body: (IndexEntry, UnsafeRawBufferPointer) throws(MongoError) -> Bool
    ) throws(MongoError) {
        let overlay = try transaction.overlay(of: collection, namespace: namespace)
        let buffered = try transaction.overlayEntries(of: collection, namespace: namespace, index: index)
        let name = index?.name ?? IndexDescription.idIndex.name
        let cursor = try scanning(name) { () throws(StorageError) in try transaction.snapshot.makeCursor(over: .all, in: keySpace) }
        var poll = interrupt.poll()
        let direction: ScanDirection = reverse ? .reverse : .forward
        /// Whether `a` comes before `b` in the scan's direction.
        func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
            reverse ? b.lexicographicallyPrecedes(a) : a.lexicographicallyPrecedes(b)
        }
        /// The snapshot's next entry in `range` (the cursor stays on it) of a document the
        /// transaction did not write, or nil at the range's end.
        func nextStored(in range: KeyRange) throws(MongoError) -> (key: [UInt8], entry: IndexEntry)? {
            while true {
                try poll.tick()
                let step = try cursor.withCurrent { (key, value) throws(MongoError) -> (EntryStep, [UInt8]?) in
                    if reverse {
                        if let lower = range.lowerBound, key.lexicographicallyPrecedes(lower) { return (.endOfRange, nil) }
                    } else if let upper = range.upperBound, !key.lexicographicallyPrecedes(upper) {
                        return (.endOfRange, nil)
                    }
                    statistics.keysExamined += 1
                    let entry = try self.entry(value, decoder: decoder)
                    guard plan.passesFilters(entry.keyValues) else { return (.skip, nil) }
                    return (.entry(entry), [UInt8](key))
                }
                guard let step else {
                    try scanning(name) { () throws(StorageError) in try cursor.checkStatus() }
                    return nil
                }
                if case .endOfRange = step.0 { return nil }
                if case let .entry(entry) = step.0, let key = step.1,
                   !Self.contains(KeyEncoding.key(for: entry.id), in: overlay) {
                    return (key, entry)
                }
                if reverse { cursor.previous() } else { cursor.next() }
            }
        }
        for whole in reverse ? plan.ranges.reversed() : plan.ranges {
            guard let range = whole.resumed(after: resumeKey, direction: direction) else { continue }
            position(cursor, at: range, reverse: reverse)
            // The buffered entries of the range, from its start in the scan's direction.
            var next: Int
            if reverse {
                next = range.upperBound.map { (upper) in
                    Transaction.firstPosition(in: buffered.count) { !buffered[$0].key.lexicographicallyPrecedes(upper) }
                } ?? buffered.count
                next -= 1
            } else {
                next = range.lowerBound.map { (lower) in
                    Transaction.firstPosition(in: buffered.count) { !buffered[$0].key.lexicographicallyPrecedes(lower) }
                } ?? 0
            }
            func bufferedInRange() -> Transaction.OverlayEntry? {
                guard buffered.indices.contains(next) else { return nil }
                let candidate = buffered[next]
                if reverse {
                    if let lower = range.lowerBound, candidate.key.lexicographicallyPrecedes(lower) { return nil }
                } else if let upper = range.upperBound, !candidate.key.lexicographicallyPrecedes(upper) {
                    return nil
                }
                return candidate
            }
            var stored = try nextStored(in: range)
            while true {
                let pending = bufferedInRange()
                if let pending, stored.map({ precedes(pending.key, $0.key) }) ?? true {
                    next += reverse ? -1 : 1
                    statistics.keysExamined += 1
                    guard plan.passesFilters(pending.entry.keyValues) else { continue }
                    if try !withKeyBytes(pending.key, { (key) throws(MongoError) -> Bool in try body(pending.entry, key) }) {
                        return
                    }
                    continue
                }
                guard let current = stored else { break }
                if reverse { cursor.previous() } else { cursor.next() }
                if try !withKeyBytes(current.key, { (key) throws(MongoError) -> Bool in try body(current.entry, key) }) {
                    return
                }
                stored = try nextStored(in: range)
            }
        }
    }

    /// Whether the key-ordered `overlay` holds a write of the document with key `key`.
    static func contains(_ key: [UInt8], in overlay: [(key: [UInt8], write: Transaction.BufferedWrite)]) -> Bool {
        let position = Transaction.firstPosition(in: overlay.count) { !overlay[$0].key.lexicographicallyPrecedes(key) }
        return position < overlay.count && overlay[position].key == key
    }
}

extension Transaction {
    /// The entries `index` (nil: `_id_`) will have for the documents the transaction buffered
    /// for `collection`, in entry key order: built once per write set, then reused.
    func overlayEntries(
        of collection: Catalog.OpenCollection, namespace: Namespace, index: Catalog.OpenIndex?
    ) throws(MongoError) -> [OverlayEntry] {
        let slot = ObjectIdentifier(index?.keySpace ?? collection.keySpace)
        let cached = try buffer.withLock { (buffer) throws(MongoError) -> (entries: [OverlayEntry]?, generation: Int) in
            try Self.checkActive(buffer.state)
            guard let writes = buffer.collections[namespace], writes.id == collection.description.id else { return ([], 0) }
            return (writes.indexEntries[slot], writes.generation)
        }
        if let entries = cached.entries { return entries }
        var entries: [OverlayEntry] = []
        for (idKey, write) in try overlay(of: collection, namespace: namespace) {
            guard case let .put(document, id, _) = write.value else { continue }
            guard let index else {
                entries.append(OverlayEntry(key: idKey, entry: IndexEntry(keyValues: [id], id: id)))
                continue
            }
            guard try index.includes(document) else { continue }
            for key in try IndexKeyGenerator(index.spec).keys(for: document).keys {
                entries.append(OverlayEntry(key: IndexEntryCodec.entryKey(fields: key.encoded, id: idKey),
                                            entry: IndexEntry(keyValues: key.values, id: id)))
            }
        }
        if index != nil { entries.sort { $0.key.lexicographicallyPrecedes($1.key) } }
        buffer.withLock { buffer in
            guard buffer.collections[namespace]?.generation == cached.generation else { return }
            buffer.collections[namespace]?.indexEntries[slot] = entries
        }
        return entries
    }
}
