// W4 at aggregation scale: 2,000,000 game events over 30 days; `$match` on a 7-day range of
// `ts` (indexed) → `$group` by game and hour of day with `$sum`/`$avg` → `$sort` → `$limit 20`,
// once in memory (the 100 MB default) and once with allowDiskUse and a 1 MB limit, which
// makes the $group spill. Time, the stages' peak memory and the process's RSS for each.

import BenchSupport
import ReportSupport
import BSON
import Documents
import Query

struct W4GroupFigures {
    struct Run {
        let seconds: Double
        let statistics: AggregateStatistics
        /// VmHWM during the run (after resetting it), and VmRSS after it.
        let peakResidentBytes: Int
        let residentBytesAfter: Int
        let residentBytesBefore: Int
    }

    let documentCount: Int
    let games: Int
    let loadSeconds: Double
    let matched: Int
    let groups: Int
    let inMemory: Run
    let spilled: Run
    let resultsEqual: Bool
    let top: [BSONDocument]
    let cursorPlan: String

    static let day: Int64 = 86_400_000
    /// 2026-10-22T00:00Z: the first of the 30 days of events.
    static let start: Int64 = 1_792_627_200_000

    static func pipeline() -> [BSONDocument] {
        let from = BSONValue.datetime(BSONDateTime(millisecondsSinceEpoch: start + 10 * day))
        let to = BSONValue.datetime(BSONDateTime(millisecondsSinceEpoch: start + 17 * day))
        return [
            ["$match": ["ts": ["$gte": from, "$lt": to]]],
            ["$group": [
                "_id": ["game": "$game", "hour": ["$hour": "$ts"]],
                "events": ["$sum": .int32(1)],
                "watched": ["$sum": "$duration"],
                "avgDuration": ["$avg": "$duration"],
            ]],
            ["$sort": ["events": .int32(-1), "_id.game": .int32(1), "_id.hour": .int32(1)]],
            ["$limit": .int32(20)],
        ]
    }

    static func measure(in directory: String, documentCount: Int, games: Int = 500, rounds: Int = 2) throws -> W4GroupFigures {
        let clock = ContinuousClock()
        let engine = try QueryEngine(path: directory)
        let namespace = try Namespace(database: "w4", collection: "events")
        let events = engine.collection(namespace)
        var random = SeededGenerator(seed: 0x57_34_A6)
        let kinds = ["view", "play", "pause", "share"]
        let started = clock.now
        var batch: [BSONDocument] = []
        for index in 0..<documentCount {
            let ts = start + Int64.random(in: 0..<(30 * day), using: &random)
            batch.append([
                "_id": .int64(Int64(index)),
                "game": .string("game-\(Int.random(in: 0..<games, using: &random))"),
                "player": .int32(Int32.random(in: 0..<200_000, using: &random)),
                "ts": .datetime(BSONDateTime(millisecondsSinceEpoch: ts)),
                "kind": .string(kinds[Int.random(in: 0..<kinds.count, using: &random)]),
                "duration": .int32(Int32.random(in: 1...3_600, using: &random)),
            ])
            if batch.count == 10_000 {
                try events.insert(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try events.insert(contentsOf: batch) }
        try engine.createIndex(on: namespace, key: ["ts": 1])
        let loadSeconds = (clock.now - started).seconds

        let stages = pipeline()
        let explain = try events.explainAggregate(stages)
        let cursor = explain["stages"]?.arrayValue?.first?.documentValue?["$cursor"]?.documentValue
        let plan = cursor?.document(at: "queryPlanner")?.document(at: "winningPlan")?.extendedJSON() ?? "?"
        let matched = try events.count(stages[0]["$match"]?.documentValue ?? BSONDocument())
        let groups = try events.aggregate(Array(stages.prefix(2)) + [["$count": "n"]]).first?["n"]?.int64Value ?? -1

        func run(_ options: AggregateOptions) throws -> (Run, [BSONDocument]) {
            var best: Run?
            var documents: [BSONDocument] = []
            for _ in 0..<rounds {
                ProcessMemory.resetPeak()
                let before = ProcessMemory.current().residentBytes
                let runStarted = clock.now
                let (result, statistics) = try events.aggregateWithStatistics(stages, options: options)
                let seconds = (clock.now - runStarted).seconds
                let memory = ProcessMemory.current()
                let this = Run(seconds: seconds, statistics: statistics, peakResidentBytes: memory.peakResidentBytes,
                               residentBytesAfter: memory.residentBytes, residentBytesBefore: before)
                if best == nil || seconds < (best?.seconds ?? 0) { best = this }
                documents = result
            }
            guard let best else { throw ReportFailure(description: "W4: no run") }
            return (best, documents)
        }
        // The spilling run first, so memory the allocator kept from the in-memory run does not
        // count in its RSS.
        let (spilled, spilledResult) = try run(AggregateOptions(allowDiskUse: true, memoryLimitBytes: 1_048_576))
        let (inMemory, inMemoryResult) = try run(AggregateOptions())
        return W4GroupFigures(documentCount: documentCount, games: games, loadSeconds: loadSeconds, matched: matched,
                              groups: Int(groups), inMemory: inMemory, spilled: spilled,
                              resultsEqual: spilledResult == inMemoryResult && spilledResult.count == 20,
                              top: Array(inMemoryResult.prefix(3)), cursorPlan: plan)
    }
}

extension BSONDocument {
    /// The embedded document at `key`, if that is what it holds.
    func document(at key: String) -> BSONDocument? {
        if case let .document(document)? = self[key] { return document }
        return nil
    }
}
