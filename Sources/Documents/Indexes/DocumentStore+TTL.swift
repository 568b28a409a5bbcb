// DocumentStore's TTL: removing documents whose TTL-indexed date has passed, through the
// normal delete path (index entries go, the change log records each delete), once on request
// or periodically by a background monitor.

public import BSON

extension DocumentStore {
    /// Deletes every document whose TTL index date (for an array, its earliest date) is at or
    /// before `now` minus the index's `expireAfterSeconds`, as MongoDB's TTL monitor does;
    /// returns how many were deleted. Documents whose indexed field is not a date never expire.
    @discardableResult
    public func removeExpiredDocuments(now: BSONDateTime) throws(MongoError) -> Int {
        let collections = catalog.withState { Array($0.collections.values) }
        var removed = 0
        for collection in collections {
            for index in collection.indexes {
                guard let seconds = index.spec.expireAfterSeconds else { continue }
                let (span, overflow) = Int64(seconds).multipliedReportingOverflow(by: 1000)
                let (cutoff, underflow) = now.millisecondsSinceEpoch.subtractingReportingOverflow(overflow ? .max : span)
                let expiry = BSONDateTime(millisecondsSinceEpoch: underflow ? .min : cutoff)
                do {
                    removed += try removeExpired(from: collection, index: index, expiry: expiry)
                } catch where [.namespaceNotFound, .indexNotFound, .queryPlanKilled].contains(error.code) {
                    continue  // dropped meanwhile
                }
            }
        }
        return removed
    }

    /// Starts deleting expired documents every `interval` in the background (replacing a
    /// running monitor). The monitor does not keep the store alive and stops with it.
    public func startTTLMonitor(every interval: Duration = .seconds(60)) {
        ttlMonitor.start(every: interval) { [weak self] in
            guard let self else { return false }
            _ = try? self.removeExpiredDocuments(now: WallClock.now())
            return true
        }
    }

    /// Stops the background TTL monitor; a pass already running finishes.
    public func stopTTLMonitor() {
        ttlMonitor.stop()
    }

    /// Whether the background TTL monitor is running.
    public var isTTLMonitorRunning: Bool {
        ttlMonitor.isRunning
    }

    private func removeExpired(
        from collection: Catalog.OpenCollection, index: Catalog.OpenIndex, expiry: BSONDateTime
    ) throws(MongoError) -> Int {
        let handle = self.collection(collection.description.namespace)
        let bounds = [[IndexInterval(lower: .datetime(BSONDateTime(millisecondsSinceEpoch: .min)), lowerInclusive: true,
                                     upper: .datetime(expiry), upperInclusive: true)]]
        let generator = IndexKeyGenerator(fields: index.spec.fields, isSparse: index.spec.isSparse)
        // Re-checked inside each delete's commit: a concurrent update may have moved the date.
        let stillExpired = { (document: BSONDocument) throws(MongoError) -> Bool in
            guard (try? index.includes(document)) == true else { return false }
            return try generator.keys(for: document).keys.contains { key in
                key.values.contains { value in
                    if case let .datetime(date) = value { return date <= expiry }
                    return false
                }
            }
        }
        // Scan and delete in rounds of at most `roundSize` documents, so memory stays small;
        // deleted documents leave the index, so each round starts from the front again.
        let roundSize = 1000
        var removed = 0
        while true {
            var ids: [BSONValue] = []
            var seen: Set<[UInt8]> = []
            var statistics = IndexScanStatistics()
            try handle.scanIndex(named: index.name, bounds: bounds, statistics: &statistics) { entry in
                if seen.insert(KeyEncoding.key(for: entry.id)).inserted { ids.append(entry.id) }
                return ids.count < roundSize
            }
            guard !ids.isEmpty else { break }
            let deleted = try handle.delete(ids: ids, where: stillExpired)
            removed += deleted
            // A round that deletes nothing found only documents updated meanwhile.
            if deleted == 0 || ids.count < roundSize { break }
        }
        return removed
    }
}
