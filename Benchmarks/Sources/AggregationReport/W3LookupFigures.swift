// W3 with `$lookup`: the maintained collection of public future matches (7,700 documents, as
// in the workload's story) is searched through its own index and joined back to the source
// collection by `_id` with `$lookup`. The same search runs over a 100 K and a 1 M document
// source holding the same matches, so the results are identical and the time should be too:
// each join is one `_id` index seek, whatever the source's size.

import BenchKit
import BenchSupport
import ReportSupport
import BSON
import Documents
import Query
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct W3LookupFigures {
    struct Size {
        let sourceDocuments: Int
        let loadSeconds: Double
        let searches: Int
        let results: Int
        let seconds: Double
        let lookupDocsExamined: Int
        let lookupKeysExamined: Int
        let lookupIndexes: String
        let searchPlan: String
        var microsecondsPerResult: Double { seconds * 1e6 / Double(max(results, 1)) }
    }

    let small: Size
    let large: Size
    var timeRatio: Double { large.seconds / small.seconds }

    static let clubs = 100
    static let genders = W3Matches.genders
    static let now = W3Matches.now
    static let day = W3Matches.day

    /// The source document with `_id` `index`: the same whatever the collection's size.
    static func match(_ index: Int) -> BSONDocument {
        var random = SeededGenerator(seed: 0x57_33_00 &+ UInt64(index))
        return [
            "_id": .int32(Int32(index)),
            "club": .string("club-\(Int.random(in: 0..<clubs, using: &random))"),
            "level": .int32(Int32.random(in: 1...10, using: &random)),
            "players": .int32(Bool.random(using: &random) ? 2 : 4),
            "gender": .string(genders[Int.random(in: 0..<3, using: &random)]),
            "date": .datetime(BSONDateTime(millisecondsSinceEpoch: now + Int64.random(in: (-30 * day)..<(30 * day), using: &random))),
            "public": .bool(Int.random(in: 0..<10, using: &random) < 3),
            "notes": .string(String(repeating: "n", count: Int.random(in: 50...150, using: &random))),
        ]
    }

    static func measure(in directory: String, smallSize: Int, largeSize: Int, futureCount: Int = 7_700,
                        searches: Int = 2_000) throws -> W3LookupFigures {
        // The maintained collection: public matches of the next 21 days among the first
        // `smallSize` ids, so both sources hold every one of them.
        var future: [BSONDocument] = []
        var index = 0
        while future.count < futureCount && index < smallSize {
            let source = match(index)
            index += 1
            guard source["public"] == .bool(true), case .datetime(let date)? = source["date"],
                  date.millisecondsSinceEpoch >= now, date.millisecondsSinceEpoch < now + 21 * day else { continue }
            var entry = source
            entry["notes"] = nil
            entry["public"] = nil
            future.append(entry)
        }
        var random = SeededGenerator(seed: 0x57_33_01)
        var queries: [[BSONDocument]] = []
        for _ in 0..<searches {
            let level = Int32.random(in: 1...8, using: &random)
            let from = now + Int64.random(in: 0..<(7 * day), using: &random)
            queries.append([
                ["$match": [
                    "club": .string("club-\(Int.random(in: 0..<clubs, using: &random))"),
                    "gender": .string(genders[Int.random(in: 0..<3, using: &random)]),
                    "level": ["$gte": .int32(level), "$lte": .int32(level + 2)],
                    "date": ["$gte": .datetime(BSONDateTime(millisecondsSinceEpoch: from))],
                ]],
                ["$lookup": ["from": "matches", "localField": "_id", "foreignField": "_id", "as": "match"]],
                ["$unwind": "$match"],
            ])
        }
        mkdir(directory, 0o755)
        let small = try measureSize(in: directory + "/small", sourceDocuments: smallSize, future: future, queries: queries)
        let large = try measureSize(in: directory + "/large", sourceDocuments: largeSize, future: future, queries: queries)
        guard small.results == large.results else {
            throw ReportFailure(description: "W3: \(small.results) results over the small source, \(large.results) over the large")
        }
        return W3LookupFigures(small: small, large: large)
    }

    private static func measureSize(in directory: String, sourceDocuments: Int, future: [BSONDocument],
                                    queries: [[BSONDocument]]) throws -> Size {
        let clock = ContinuousClock()
        let store = try DocumentStore(path: directory, options: QueryEngine.storeOptions())
        let engine = QueryEngine(store: store)
        let matches = try engine.collection("matches", in: "w3")
        let started = clock.now
        var batch: [BSONDocument] = []
        for index in 0..<sourceDocuments {
            batch.append(match(index))
            if batch.count == 10_000 {
                try matches.insert(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try matches.insert(contentsOf: batch) }
        let searchable = try engine.collection("publicFuture", in: "w3")
        try searchable.insert(contentsOf: future)
        try engine.createIndex(on: searchable.namespace, key: ["club": 1, "gender": 1, "level": 1, "date": 1])
        try (store.storage as? any StorageMaintenance)?.flush()
        let loadSeconds = (clock.now - started).seconds

        var results = 0
        var docsExamined = 0
        var keysExamined = 0
        var lookupIndexes = ""
        var searchPlan = ""
        for query in queries {
            let explain = try searchable.explainAggregate(query, verbosity: .executionStats)
            for stage in explain["stages"]?.arrayValue ?? [] {
                guard let lookup = stage.documentValue, lookup["$lookup"] != nil else { continue }
                docsExamined += Int(lookup["totalDocsExamined"]?.int64Value ?? 0)
                keysExamined += Int(lookup["totalKeysExamined"]?.int64Value ?? 0)
                if lookupIndexes.isEmpty { lookupIndexes = lookup["indexesUsed"]?.extendedJSON() ?? "none" }
            }
            if searchPlan.isEmpty, let cursor = explain["stages"]?.arrayValue?.first?.documentValue?["$cursor"]?.documentValue {
                searchPlan = cursor.document(at: "queryPlanner")?.document(at: "winningPlan")?.stageChain() ?? "?"
            }
        }
        // Warm once, then time the best of three passes over all the searches.
        var best = Double.infinity
        for _ in 0..<4 {
            let passStarted = clock.now
            var returned = 0
            for query in queries { returned += try searchable.aggregate(query).count }
            best = min(best, (clock.now - passStarted).seconds)
            results = returned
        }
        return Size(sourceDocuments: sourceDocuments, loadSeconds: loadSeconds, searches: queries.count, results: results,
                    seconds: best, lookupDocsExamined: docsExamined, lookupKeysExamined: keysExamined,
                    lookupIndexes: lookupIndexes, searchPlan: searchPlan)
    }
}

extension BSONDocument {
    /// "FETCH > IXSCAN(index)": the stages of an explain plan from the root down.
    func stageChain() -> String {
        var names: [String] = []
        var stage: BSONDocument? = self
        while let current = stage {
            var name = current["stage"]?.stringValue ?? "?"
            if let index = current["indexName"]?.stringValue { name += "(\(index))" }
            names.append(name)
            stage = current.document(at: "inputStage")
        }
        return names.joined(separator: " > ")
    }
}
