// Transaction+IndexScan: index scans inside a transaction — the snapshot's entries, minus
// those of documents the transaction wrote, merged in key order with the entries its
// buffered documents will have. Planner and executor see an ordinary index.

internal import BSON
internal import Storage

extension DocumentCollection {
    /// `scanIndex` as `transaction` sees the index (`index` nil: `_id_`).
    func scanIndex(
        in transaction: Transaction, collection: Catalog.OpenCollection, index: Catalog.OpenIndex?, keySpace: any KeySpace,
        decoder: RecordDecoder?, plan: IndexScanPlan, reverse: Bool, after resumeKey: [UInt8]?,
        statistics: inout IndexScanStatistics, interrupt: OperationInterrupt,
        _ body: (IndexEntry, UnsafeRawBufferPointer) throws(MongoError) -> Bool
    ) throws(MongoError) {
        let overlay = try transaction.overlay(of: collection, namespace: namespace)
        let written = Set(overlay.map(\.key))
        var merged: [(key: [UInt8], entry: IndexEntry)] = []
        for (idKey, write) in overlay {
            guard case let .put(document, id, _) = write.value else { continue }
            guard let index else {
                if plan.contains(idKey), plan.passesFilters([id]) { merged.append((idKey, IndexEntry(keyValues: [id], id: id))) }
                continue
            }
            guard try index.includes(document) else { continue }
            let generator = IndexKeyGenerator(index.spec)
            for key in try generator.keys(for: document).keys {
                let entryKey = IndexEntryCodec.entryKey(fields: key.encoded, id: idKey)
                if plan.contains(entryKey), plan.passesFilters(key.values) {
                    merged.append((entryKey, IndexEntry(keyValues: key.values, id: id)))
                }
            }
        }
        let name = index?.name ?? IndexDescription.idIndex.name
        let cursor = try scanning(name) { () throws(StorageError) in try transaction.snapshot.makeCursor(over: .all, in: keySpace) }
        var poll = interrupt.poll()
        let direction: ScanDirection = reverse ? .reverse : .forward
        for whole in reverse ? plan.ranges.reversed() : plan.ranges {
            guard let range = whole.resumed(after: resumeKey, direction: direction) else { continue }
            position(cursor, at: range, reverse: reverse)
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
                    break
                }
                if case .endOfRange = step.0 { break }
                if case let .entry(entry) = step.0, let key = step.1, !written.contains(KeyEncoding.key(for: entry.id)) {
                    merged.append((key, entry))
                }
                if reverse { cursor.previous() } else { cursor.next() }
            }
        }
        merged.sort { reverse ? $1.key.lexicographicallyPrecedes($0.key) : $0.key.lexicographicallyPrecedes($1.key) }
        for (key, entry) in merged {
            if let resumeKey, reverse ? !key.lexicographicallyPrecedes(resumeKey) : !resumeKey.lexicographicallyPrecedes(key) {
                continue
            }
            if try !withKeyBytes(key, { (key) throws(MongoError) -> Bool in try body(entry, key) }) { return }
        }
    }
}

extension IndexScanPlan {
    /// Whether `key` lies in one of the plan's ranges.
    func contains(_ key: [UInt8]) -> Bool {
        ranges.contains { range in
            if let lower = range.lowerBound, key.lexicographicallyPrecedes(lower) { return false }
            if let upper = range.upperBound, !key.lexicographicallyPrecedes(upper) { return false }
            return true
        }
    }
}
