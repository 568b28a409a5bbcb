// DocumentStore's TTL: removing documents whose TTL-indexed date has passed, through the
// normal delete path (index entries go, the change log records each delete), once on request
// or periodically by a background monitor.

public import BSON

/// Where a TTL pass runs: called with the (blocking) pass, runs it somewhere and returns when
/// it is done. A server passes one that runs it on its thread pool, off the event loops.
public typealias TTLPassRunner = @Sendable (_ pass: @escaping @Sendable () -> Void) async -> Void

/// What one TTL pass did.
public struct TTLPassResult: Sendable, Equatable {
    /// Sub-passes run: one, plus one more each time some index had a full batch left.
    public var subPasses = 0
    /// Documents deleted.
    public var deletedDocuments = 0
    /// Whether the pass ended early because its stop signal was raised.
    public var wasStopped = false
}

extension DocumentStore {
    /// The most documents one TTL batch deletes from one index in one commit.
    public static let ttlBatchSize = 1000

    /// Deletes every document whose TTL index date (for an array, its earliest date) is at or
    /// before `now` minus the index's `expireAfterSeconds`, as MongoDB's TTL monitor does;
    /// returns how many were deleted. Documents whose indexed field is not a date never expire.
    @discardableResult
    public func removeExpiredDocuments(now: BSONDateTime) throws(MongoError) -> Int {
        try runTTLPass(now: now).deletedDocuments
    }

    /// One TTL pass, as MongoDB runs them: sub-passes over every TTL index, each deleting at
    /// most `batchSize` expired documents per index in one commit (every delete goes through
    /// the change log), repeated while some index had a full batch. `stop` is checked before
    /// every batch and for every document a batch scans or deletes: a stop raised inside a
    /// batch abandons that batch's commit (nothing of it is written) and ends the pass. The
    /// pass is counted in ``ttlStatistics``.
    @discardableResult
    public func runTTLPass(
        now: BSONDateTime = WallClock.now(), batchSize: Int = DocumentStore.ttlBatchSize, stop: TTLStopSignal? = nil
    ) throws(MongoError) -> TTLPassResult {
        var result = TTLPassResult()
        defer { ttlMonitor.record(subPasses: result.subPasses, deleted: result.deletedDocuments) }
        let batch = max(1, batchSize)
        // Indexes (namespace and index name) that had a full batch in the last sub-pass.
        var unfinished: Set<[String]>?
        repeat {
            if stop?.isStopRequested == true {
                result.wasStopped = true
                break
            }
            result.subPasses += 1
            var stillUnfinished: Set<[String]> = []
            let collections = catalog.withState { Array($0.collections.values) }
            for collection in collections {
                for index in collection.indexes {
                    guard let seconds = index.spec.expireAfterSeconds else { continue }
                    let key = [collection.description.namespace.description, index.name]
                    if let unfinished, !unfinished.contains(key) { continue }
                    if stop?.isStopRequested == true {
                        result.wasStopped = true
                        return result
                    }
                    let (span, overflow) = Int64(seconds).multipliedReportingOverflow(by: 1000)
                    let (cutoff, underflow) = now.millisecondsSinceEpoch.subtractingReportingOverflow(overflow ? .max : span)
                    let expiry = BSONDateTime(millisecondsSinceEpoch: underflow ? .min : cutoff)
                    do {
                        let (deleted, full) = try removeExpiredBatch(
                            from: collection, index: index, expiry: expiry, limit: batch, stop: stop
                        )
                        result.deletedDocuments += deleted
                        if full { stillUnfinished.insert(key) }
                    } catch where error.code == .interruptedAtShutdown && stop?.isStopRequested == true {
                        result.wasStopped = true
                        return result
                    } catch where [.namespaceNotFound, .indexNotFound, .queryPlanKilled].contains(error.code) {
                        continue  // dropped meanwhile
                    }
                }
            }
            unfinished = stillUnfinished
        } while unfinished?.isEmpty == false
        return result
    }

    /// What TTL passes have done since the store opened.
    public var ttlStatistics: TTLStatistics {
        ttlMonitor.statistics
    }

    /// Starts deleting expired documents every `interval` in the background (replacing a
    /// running monitor). The monitor does not keep the store alive and stops with it.
    public func startTTLMonitor(every interval: Duration = .seconds(60)) {
        startTTLMonitor(schedule: { TTLSchedule(isEnabled: true, interval: interval) })
    }

    /// Starts the background TTL monitor (replacing a running one): before each pass it reads
    /// `schedule`, so changes take effect live; each pass runs through `runner` (inline on
    /// the monitor's task when `nil`) and a pass that fails is reported to `onFailure` (the
    /// next pass tries again). The monitor does not keep the store alive.
    public func startTTLMonitor(
        schedule: @escaping @Sendable () -> TTLSchedule, runner: TTLPassRunner? = nil,
        onFailure: (@Sendable (MongoError) -> Void)? = nil
    ) {
        ttlMonitor.start(schedule: schedule) { [weak self] signal in
            guard let self else { return false }
            let pass: @Sendable () -> Void = { [weak self] in
                do throws(MongoError) {
                    _ = try self?.runTTLPass(now: WallClock.now(), stop: signal)
                } catch {
                    onFailure?(error)
                }
            }
            if let runner { await runner(pass) } else { pass() }
            return true
        }
    }

    /// Stops the background TTL monitor; a pass already running ends at its next document,
    /// abandoning the batch it was in.
    public func stopTTLMonitor() {
        ttlMonitor.stop()
    }

    /// Stops the background TTL monitor and waits until its task, including a pass in
    /// progress, has ended.
    public func stopTTLMonitorAndWait() async {
        await ttlMonitor.stop()?.value
    }

    /// Whether the background TTL monitor is running.
    public var isTTLMonitorRunning: Bool {
        ttlMonitor.isRunning
    }

    /// Deletes up to `limit` documents of `index` whose date is at or before `expiry`, in one
    /// commit; returns how many, and whether the batch was full (more may be left).
    ///
    /// - Throws: `InterruptedAtShutdown` (11600) when `stop` is raised while the batch scans
    ///   or deletes (checked per document; the batch's commit is then abandoned).
    private func removeExpiredBatch(
        from collection: Catalog.OpenCollection, index: Catalog.OpenIndex, expiry: BSONDateTime, limit: Int,
        stop: TTLStopSignal?
    ) throws(MongoError) -> (deleted: Int, full: Bool) {
        let checkStop = { () throws(MongoError) in
            if stop?.isStopRequested == true { throw MongoError(.interruptedAtShutdown, "TTL pass stopped") }
        }
        let handle = self.collection(collection.description.namespace)
        let bounds = [[IndexInterval(lower: .datetime(BSONDateTime(millisecondsSinceEpoch: .min)), lowerInclusive: true,
                                     upper: .datetime(expiry), upperInclusive: true)]]
        let generator = IndexKeyGenerator(index.spec)
        // Re-checked inside the delete's commit: a concurrent update may have moved the date.
        let stillExpired = { (document: BSONDocument) throws(MongoError) -> Bool in
            try checkStop()
            guard (try? index.includes(document)) == true else { return false }
            return try generator.keys(for: document).keys.contains { key in
                key.values.contains { value in
                    if case let .datetime(date) = value { return date <= expiry }
                    return false
                }
            }
        }
        var ids: [BSONValue] = []
        var seen: Set<[UInt8]> = []
        var statistics = IndexScanStatistics()
        try handle.scanIndex(named: index.name, bounds: bounds, statistics: &statistics) { (entry) throws(MongoError) in
            try checkStop()
            if seen.insert(KeyEncoding.key(for: entry.id)).inserted { ids.append(entry.id) }
            return ids.count < limit
        }
        guard !ids.isEmpty else { return (0, false) }
        let deleted = try handle.delete(ids: ids, where: stillExpired)
        // A batch that deletes nothing found only documents updated meanwhile: no progress, so
        // it does not ask for another sub-pass.
        return (deleted, deleted > 0 && ids.count >= limit)
    }
}
