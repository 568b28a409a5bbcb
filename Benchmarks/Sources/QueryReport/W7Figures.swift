// W7: a leaderboard. Increment a player's score, read a game's top 10 — both served by
// indexes (`_id` for the increment, `{game: 1, score: -1}` for the top 10, which examines
// exactly the 10 documents it returns).

import BenchSupport
import ReportSupport
import BSON
import Documents
import Query

struct W7Figures {
    let players: Int
    let incrementsPerSecond: Double
    let topReadsPerSecond: Double
    let maxDocsExamined: Int
    let maxKeysExamined: Int
    let orderChecked: Bool
    let plan: String

    static func measure(in directory: String, games: Int = 100, playersPerGame: Int = 2_000,
                        increments: Int = 100_000, reads: Int = 2_000) throws -> W7Figures {
        let clock = ContinuousClock()
        let engine = try QueryEngine(path: directory)
        let namespace = try Namespace(database: "w7", collection: "scores")
        let scores = engine.collection(namespace)
        var random = SeededGenerator(seed: 0x57_37)
        try engine.createIndex(on: namespace, key: ["game": 1, "score": -1])
        var batch: [BSONDocument] = []
        for game in 0..<games {
            for player in 0..<playersPerGame {
                batch.append([
                    "_id": .string("g\(game)/p\(player)"), "game": .int32(Int32(game)),
                    "player": .int32(Int32(player)), "score": .int32(0),
                ])
            }
            try scores.insert(contentsOf: batch)
            batch.removeAll(keepingCapacity: true)
        }
        let incrementStarted = clock.now
        for _ in 0..<increments {
            let game = Int.random(in: 0..<games, using: &random)
            let player = Int.random(in: 0..<playersPerGame, using: &random)
            try scores.update(["_id": .string("g\(game)/p\(player)")],
                              ["$inc": ["score": .int32(Int32.random(in: 1...100, using: &random))]])
        }
        let incrementSeconds = (clock.now - incrementStarted).seconds

        var maxDocs = 0
        var maxKeys = 0
        var plan = ""
        var orderChecked = true
        let readStarted = clock.now
        for index in 0..<reads {
            let game = index % games
            let query = FindQuery(filter: ["game": .int32(Int32(game))], sort: ["score": -1], limit: 10)
            let top = try scores.find(query)
            let values = top.compactMap { $0["score"]?.int64Value }
            if values.count != 10 || values != values.sorted(by: >) { orderChecked = false }
        }
        let readSeconds = (clock.now - readStarted).seconds
        for game in 0..<games {
            let query = FindQuery(filter: ["game": .int32(Int32(game))], sort: ["score": -1], limit: 10)
            let explain = try scores.explain(query)
            let stats = explain.document(at: "executionStats")
            maxDocs = max(maxDocs, Int(stats?["totalDocsExamined"]?.int64Value ?? -1))
            maxKeys = max(maxKeys, Int(stats?["totalKeysExamined"]?.int64Value ?? -1))
            if plan.isEmpty { plan = explain.document(at: "queryPlanner")?.document(at: "winningPlan")?.extendedJSON() ?? "" }
            // The index's answer equals a full scan's answer.
            let all = try scores.find(FindQuery(filter: ["game": .int32(Int32(game))], hint: ["$natural": 1]))
            let best = all.compactMap { $0["score"]?.int64Value }.sorted(by: >).prefix(10)
            let fromIndex = try scores.find(query).compactMap { $0["score"]?.int64Value }
            if Array(best) != fromIndex { orderChecked = false }
        }
        return W7Figures(players: games * playersPerGame, incrementsPerSecond: Double(increments) / incrementSeconds,
                         topReadsPerSecond: Double(reads) / readSeconds, maxDocsExamined: maxDocs,
                         maxKeysExamined: maxKeys, orderChecked: orderChecked, plan: plan)
    }
}
