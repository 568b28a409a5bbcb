// The executor: runs a QueryPlan against a collection. Reads candidates from a collection
// scan (through the compiled ShapeMatcher) or an index scan (fetching, or building covered
// results from index keys), re-checks the filter, then sorts, skips and limits. Counts
// keys and documents examined for explain.

internal import BSON
internal import Documents

/// What explain reports about one execution.
struct ExecutionStatistics {
    var nReturned = 0
    var totalKeysExamined = 0
    var totalDocsExamined = 0
    var executionTimeMillis = 0
    /// Records the compiled matcher rejected or accepted from their shape alone.
    var decidedByShape = 0
}

/// One matching document.
struct QueryMatch {
    /// The document's `_id`.
    let id: BSONValue
    /// The document (for covered plans: only the index's fields).
    let document: BSONDocument
    /// For the positional `$` operator.
    let positionalIndex: Int?
}

struct Executor {
    let collection: DocumentCollection
    /// When to stop: scans poll it every few hundred documents or keys, the in-memory
    /// sort before and after sorting.
    var interrupt: OperationInterrupt = .none
    /// What an unindexed sort may hold, and whether past it the sort spills to disk
    /// (find's `allowDiskUse`) instead of failing with 292.
    var sortMemory = SortMemoryLimit()

    /// The plan's matches after sort, skip and limit (projection is the caller's), all in
    /// memory (a sort that spilled is read back whole).
    func matches(
        _ plan: QueryPlan, wantPositional: Bool, statistics: inout ExecutionStatistics
    ) throws(MongoError) -> [QueryMatch] {
        switch try sortedMatches(plan, wantPositional: wantPositional, statistics: &statistics) {
        case let .inMemory(matches):
            return matches
        case let .spilled(spilled):
            var result: [QueryMatch] = []
            while let match = try spilled.next() { result.append(match) }
            statistics.nReturned = result.count
            return result
        }
    }

    /// The plan's matches after sort, skip and limit: in memory, or (a sort past its memory
    /// limit with `allowDiskUse`) in a spill file read back one document at a time.
    func sortedMatches(
        _ plan: QueryPlan, wantPositional: Bool, statistics: inout ExecutionStatistics
    ) throws(MongoError) -> SortedMatches {
        let clock = ContinuousClock()
        let started = clock.now
        defer {
            let elapsed = clock.now - started
            statistics.executionTimeMillis = Int(elapsed.components.seconds * 1000
                + elapsed.components.attoseconds / 1_000_000_000_000_000)
        }
        let sorting = plan.needsInMemorySort
        if sorting { interrupt.tally?.addInMemorySort() }
        let wanted = plan.wanted
        var collected: [QueryMatch] = []
        var held = 0
        var spilling: (sort: SortSink, output: SpillingSink)?
        try forEachCandidate(plan, wantPositional: wantPositional, statistics: &statistics) { (match) throws(MongoError) -> Bool in
            if let spilling { return try spilling.sort.push(match.document) }
            collected.append(match)
            guard sorting, let sort = plan.sort else {
                if let wanted, collected.count >= wanted { return false }
                return true
            }
            held += MemoryBudget.size(of: match.document)
            if let wanted, collected.count > wanted,
               collected.count >= max(2 * wanted, 1024) || held > sortMemory.limitBytes {
                // Top-k: only the first `wanted` in order can ever be returned.
                collected = try Self.sorted(collected, by: sort, keeping: wanted, interrupt: interrupt)
                held = collected.reduce(0) { $0 + MemoryBudget.size(of: $1.document) }
            }
            guard held > sortMemory.limitBytes else { return true }
            guard sortMemory.allowDiskUse else { throw sortMemory.exceededError }
            // Past the limit with allowDiskUse: hand everything to $sort's external sort,
            // whose output goes to a spill file the caller reads back.
            let output = try SpillingSink(dataDirectory: collection.store.path)
            let sink = try spillingSort(sort, keeping: wanted, into: output)
            for match in collected { _ = try sink.push(match.document) }
            collected = []
            spilling = (sink, output)
            return true
        }
        if let spilling {
            try spilling.sort.finish()
            return .spilled(try SpilledMatches(spilling.output, skip: plan.skip, limit: plan.limit))
        }
        if sorting, let sort = plan.sort {
            try interrupt.check()
            collected = try Self.sorted(collected, by: sort, keeping: wanted, interrupt: interrupt)
        }
        let result = Array(collected.dropFirst(plan.skip).prefix(plan.limit ?? Int.max))
        statistics.nReturned = result.count
        return .inMemory(result)
    }

    /// The aggregation's `$sort` stage, spilling to the data directory, for a find's sort
    /// that outgrew memory.
    private func spillingSort(_ sort: SortSpec, keeping wanted: Int?, into sink: DocumentSink) throws(MongoError) -> SortSink {
        let options = AggregateOptions(allowDiskUse: true, memoryLimitBytes: sortMemory.limitBytes)
        let database = QueryDatabase(store: collection.store, name: collection.namespace.database, interrupt: interrupt)
        let runtime = PipelineRuntime(database: database, options: options,
                                      scope: ExpressionScope(root: .document(BSONDocument()), now: WallClock.now()))
        return SortSink(sort, limit: wanted, next: sink, runtime: runtime)
    }

    /// How many documents match (skip and limit applied), decoding none when possible.
    func count(_ plan: QueryPlan, statistics: inout ExecutionStatistics) throws(MongoError) -> Int {
        var total = 0
        let wanted = plan.wanted
        if case .collectionScan = plan.access {
            let matcher = ShapeMatcher(plan.filter)
            try collection.forEachRecord(interrupt: interrupt) { (record) throws(MongoError) -> Bool in
                statistics.totalDocsExamined += 1
                if try matcher.matches(record) { total += 1 }
                return wanted.map { total < $0 } ?? true
            }
            statistics.decidedByShape = matcher.decidedByShape
        } else {
            try forEachCandidate(plan, wantPositional: false, statistics: &statistics) { _ in
                total += 1
                return wanted.map { total < $0 } ?? true
            }
        }
        let counted = max(0, min(total, wanted ?? total) - plan.skip)
        statistics.nReturned = counted
        return counted
    }

    /// Calls `body` with every document the plan's access path yields that matches the
    /// filter, in access order, until `body` returns false.
    func forEachCandidate(
        _ plan: QueryPlan, wantPositional: Bool, statistics: inout ExecutionStatistics,
        _ body: (QueryMatch) throws(MongoError) -> Bool
    ) throws(MongoError) {
        var seen: Set<[UInt8]> = []
        try forEachCandidate(plan, wantPositional: wantPositional, after: nil, seen: &seen, statistics: &statistics) {
            (match, _) throws(MongoError) -> Bool in try body(match)
        }
    }

    /// ``forEachCandidate(_:wantPositional:statistics:_:)`` resumable: the access path starts
    /// after the scan key `resumeKey` (a record key for a collection scan, an index key for an
    /// index scan), `body` gets each match's scan key (valid during the call), and `seen`
    /// carries a multikey scan's already returned documents from one call to the next.
    func forEachCandidate(
        _ plan: QueryPlan, wantPositional: Bool, after resumeKey: [UInt8]?, seen: inout Set<[UInt8]>,
        statistics: inout ExecutionStatistics,
        _ body: (QueryMatch, _ key: UnsafeRawBufferPointer) throws(MongoError) -> Bool
    ) throws(MongoError) {
        switch plan.access {
        case .collectionScan:
            let matcher = ShapeMatcher(plan.filter)
            var examined = 0
            interrupt.tally?.addPlan(indexKey: nil)
            defer {
                statistics.totalDocsExamined += examined
                interrupt.tally?.add(keysExamined: 0, docsExamined: examined)
            }
            try collection.forEachRecord(after: resumeKey, reverse: plan.reverse, interrupt: interrupt) {
                (record, key) throws(MongoError) -> Bool in
                examined += 1
                guard try matcher.matches(record) else { return true }
                let document = try Self.decode(record)
                let positional = wantPositional ? plan.filter.match(document)?.positionalIndex : nil
                return try body(QueryMatch(id: document["_id"] ?? .null, document: document, positionalIndex: positional), key)
            }
            statistics.decidedByShape += matcher.decidedByShape
        case let .geoNear(near):
            var search = GeoNearSearch(plan: near, filter: plan.filter)
            interrupt.tally?.addPlan(indexKey: near.index.key)
            while let found = try search.next(in: collection, interrupt: interrupt, statistics: &statistics) {
                guard try body(found.match, UnsafeRawBufferPointer(start: nil, count: 0)) else { return }
            }
        case let .indexScan(scan):
            var scanStatistics = IndexScanStatistics()
            var docsExamined = 0
            interrupt.tally?.addPlan(indexKey: scan.index.key)
            defer {
                statistics.totalKeysExamined += scanStatistics.keysExamined
                statistics.totalDocsExamined += docsExamined
                interrupt.tally?.add(keysExamined: scanStatistics.keysExamined, docsExamined: docsExamined)
            }
            let collection = self.collection
            let mayRepeat = scan.mayRepeatDocuments
            try collection.scanIndex(named: scan.index.name, bounds: scan.bounds, reverse: scan.reverse, after: resumeKey,
                                     statistics: &scanStatistics, interrupt: interrupt) { (entry, key) throws(MongoError) -> Bool in
                if mayRepeat, !seen.insert(KeyEncoding.key(for: entry.id)).inserted { return true }
                let document: BSONDocument
                if scan.covered {
                    document = Self.coveredDocument(entry, keyFields: scan.keyFields)
                } else {
                    docsExamined += 1
                    guard let fetched = try collection.document(withID: entry.id) else { return true }
                    document = fetched
                }
                guard let match = plan.filter.match(document) else { return true }
                return try body(QueryMatch(id: entry.id, document: document,
                                           positionalIndex: wantPositional ? match.positionalIndex : nil), key)
            }
        }
    }

    /// A document holding an index entry's key values at their paths (and `_id`).
    static func coveredDocument(_ entry: IndexEntry, keyFields: [(path: String, ascending: Bool)]) -> BSONDocument {
        var document: BSONDocument = ["_id": entry.id]
        for (field, value) in zip(keyFields, entry.keyValues) where field.path != "_id" {
            set(value, at: field.path.split(separator: ".").map(String.init)[...], in: &document)
        }
        return document
    }

    private static func set(_ value: BSONValue, at path: ArraySlice<String>, in document: inout BSONDocument) {
        guard let first = path.first else { return }
        if path.count == 1 {
            document[first] = value
            return
        }
        var child: BSONDocument
        if case let .document(existing)? = document[first] { child = existing } else { child = BSONDocument() }
        set(value, at: path.dropFirst(), in: &child)
        document[first] = .document(child)
    }

    /// `matches` in sort order (stable); only the first `keeping` when given.
    /// The sort itself is one call; `interrupt` is polled while its keys are built and
    /// checked again once it returns.
    static func sorted(
        _ matches: [QueryMatch], by sort: SortSpec, keeping: Int?, interrupt: OperationInterrupt = .none
    ) throws(MongoError) -> [QueryMatch] {
        var poll = interrupt.poll()
        var keyed: [(position: Int, key: [BSONValue])] = []
        keyed.reserveCapacity(matches.count)
        for (position, match) in matches.enumerated() {
            try poll.tick()
            keyed.append((position, sort.sortKey(for: match.document)))
        }
        let order = keyed.sorted { a, b in
            let order = sort.compareKeys(a.key, b.key)
            return order != 0 ? order < 0 : a.position < b.position
        }
        try interrupt.check()
        return order.prefix(keeping ?? Int.max).map { matches[$0.position] }
    }

    static func decode(_ record: Record) throws(MongoError) -> BSONDocument {
        do {
            return try record.document()
        } catch {
            throw MongoError(.internalError, "unreadable record: \(error.description)")
        }
    }
}
