// The planner and a hashed index on a real store: equality and `$in` scan the points of the
// values' hashes (FETCH over IXSCAN, one key examined per matching hash), ranges and sorts
// do not use it, and every plan returns what a collection scan returns.

import BSON
import Documents
import Testing
import TestSupport
@testable import Query

@Suite struct HashedPlannerTests {
    private func populate(_ engine: QueryEngine) throws -> QueryCollection {
        let players = try engine.collection("players", in: "hashed")
        var batch: [BSONDocument] = []
        for index in 0..<120 {
            let value: BSONValue = index % 3 == 0 ? .int32(Int32(index % 30)) : index % 3 == 1 ? .double(Double(index % 30)) : .string("p\(index % 30)")
            batch.append(["_id": .int32(Int32(index)), "a": value])
        }
        try players.collection.insert(contentsOf: batch)
        try engine.store.createIndex(on: players.namespace, key: ["a": "hashed"])
        return players
    }

    @Test func equalityAndInScanTheHashes() throws {
        try withEngine { engine in
            let players = try populate(engine)
            for filter: BSONDocument in [["a": 4], ["a": "p5"], ["a": ["$in": [4, "p5", 99]]]] {
                let explain = try players.explain(FindQuery(filter: filter))
                let plan = try #require(explain.document(atPath: "queryPlanner.winningPlan"))
                #expect(plan.stageNames() == ["FETCH", "IXSCAN"])
                let operands = filter["a"]?.documentValue?["$in"]?.arrayValue ?? [filter["a"] ?? .null]
                let hashes = operands.map { BSONValueHasher.hash64($0) }.sorted()
                #expect(plan.document(atPath: "inputStage.indexBounds")?["a"] == .array(hashes.map { .string("[\($0), \($0)]") }))
                let expected = try players.find(FindQuery(filter: filter, hint: ["$natural": 1]))
                #expect(!expected.isEmpty)
                #expect(Set(ids(try players.find(FindQuery(filter: filter)))) == Set(ids(expected)))
            }
        }
    }

    @Test func rangesAndSortsDoNotUseTheHashedIndex() throws {
        try withEngine { engine in
            let players = try populate(engine)
            let range = try players.explain(FindQuery(filter: ["a": ["$gte": 10]]))
            #expect(range.document(atPath: "queryPlanner.winningPlan")?.stageNames() == ["COLLSCAN"])
            let sorted = try players.explain(FindQuery(filter: ["a": ["$gte": 10]], sort: ["a": 1]))
            #expect(sorted.document(atPath: "queryPlanner.winningPlan")?.stageNames().contains("IXSCAN") == false)
        }
    }
}
