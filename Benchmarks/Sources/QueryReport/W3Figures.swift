// W3: 1,000,000 sports matches; a partial index holding only public, future matches
// answers the players' search (club, gender, level range, from now on) with about one
// document examined per document returned, and a TTL index on the match date removes the
// past matches (recorded in the change log).

import BenchKit
import BenchSupport
import ReportSupport
import BSON
import Documents
import Query

struct W3Figures {
    let documentCount: Int
    let loadSeconds: Double
    let indexSeconds: Double
    let searches: Int
    let searchesPerSecond: Double
    let returned: Int
    let docsExamined: Int
    let keysExamined: Int
    let winningPlan: String
    let pastBefore: Int
    let removedByTTL: Int
    let pastAfter: Int
    let changeLogDeletes: Int
    var docsExaminedPerReturned: Double { Double(docsExamined) / Double(max(returned, 1)) }

    static let clubs = 1_000
    static let genders = W3Matches.genders

    static func measure(in directory: String, documentCount: Int = 1_000_000, searches: Int = 500) throws -> W3Figures {
        let clock = ContinuousClock()
        let store = try DocumentStore(path: directory, options: QueryEngine.storeOptions())
        let engine = QueryEngine(store: store)
        let namespace = try Namespace(database: "w3", collection: "matches")
        let matches = engine.collection(namespace)
        var random = SeededGenerator(seed: 0x57_33)
        let now = W3Matches.now
        let day = W3Matches.day
        let started = clock.now
        var batch: [BSONDocument] = []
        var pastCount = 0
        for index in 0..<documentCount {
            let document = W3Matches.match(index, clubs: clubs, random: &random)
            if case let .datetime(date)? = document["date"], date.millisecondsSinceEpoch < now { pastCount += 1 }
            batch.append(document)
            if batch.count == 10_000 {
                try matches.insert(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try matches.insert(contentsOf: batch) }
        let loadSeconds = (clock.now - started).seconds

        let indexStarted = clock.now
        try engine.createIndex(
            on: namespace, key: ["club": 1, "gender": 1, "level": 1, "date": 1], name: "public_future",
            options: ["partialFilterExpression": [
                "public": true, "date": ["$gte": .datetime(BSONDateTime(millisecondsSinceEpoch: now))],
            ]])
        try engine.createIndex(on: namespace, key: ["date": 1], name: "expire_past",
                                     options: ["expireAfterSeconds": 0])
        let indexSeconds = (clock.now - indexStarted).seconds

        var returned = 0
        var docsExamined = 0
        var keysExamined = 0
        var winningPlan = ""
        var queries: [BSONDocument] = []
        for _ in 0..<searches {
            let level = Int32.random(in: 1...8, using: &random)
            queries.append([
                "public": true,
                "club": .string("club-\(Int.random(in: 0..<clubs, using: &random))"),
                "gender": .string(genders[Int.random(in: 0..<3, using: &random)]),
                "level": ["$gte": .int32(level), "$lte": .int32(level + 2)],
                "date": ["$gte": .datetime(BSONDateTime(millisecondsSinceEpoch: now + Int64.random(in: 0..<day, using: &random)))],
            ])
        }
        for query in queries {
            let explain = try matches.explain(FindQuery(filter: query))
            guard let stats = explain.document(at: "executionStats") else {
                throw ReportFailure(description: "W3 explain without executionStats")
            }
            returned += Int(stats["nReturned"]?.int64Value ?? 0)
            docsExamined += Int(stats["totalDocsExamined"]?.int64Value ?? 0)
            keysExamined += Int(stats["totalKeysExamined"]?.int64Value ?? 0)
            if winningPlan.isEmpty, let plan = explain.document(at: "queryPlanner")?.document(at: "winningPlan") {
                winningPlan = plan.extendedJSON()
            }
        }
        let searchStarted = clock.now
        for query in queries { _ = try matches.find(FindQuery(filter: query)) }
        let searchSeconds = (clock.now - searchStarted).seconds

        let pastBefore = try matches.count(["date": ["$lt": .datetime(BSONDateTime(millisecondsSinceEpoch: now))]])
        guard pastBefore == pastCount else {
            throw ReportFailure(description: "W3: \(pastBefore) past matches counted, \(pastCount) inserted")
        }
        let sequenceBefore = engine.latestCommitSequence
        let removed = try store.removeExpiredDocuments(now: BSONDateTime(millisecondsSinceEpoch: now))
        let logged = Int(engine.latestCommitSequence - sequenceBefore)
        let pastAfter = try matches.count(["date": ["$lt": .datetime(BSONDateTime(millisecondsSinceEpoch: now))]])
        return W3Figures(
            documentCount: documentCount, loadSeconds: loadSeconds, indexSeconds: indexSeconds, searches: searches,
            searchesPerSecond: Double(searches) / searchSeconds, returned: returned, docsExamined: docsExamined,
            keysExamined: keysExamined, winningPlan: winningPlan, pastBefore: pastBefore, removedByTTL: removed,
            pastAfter: pastAfter, changeLogDeletes: logged)
    }
}
