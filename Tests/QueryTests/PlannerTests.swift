// Planner and executor tests on a real store: which index a query uses, what explain
// reports (stage names, bounds, keys and documents examined), and that every plan returns
// exactly what a collection scan returns.

import BSON
import Documents
import Testing
import TestSupport
@testable import Query

@Suite struct PlannerTests {
    /// 200 documents: a (0..<20), b (0..<10), c string, tags array, some missing a.
    private func populate(_ engine: QueryEngine) throws -> QueryCollection {
        let people = try engine.collection("people", in: "planner")
        var random = TestRandom(seed: 7)
        var batch: [BSONDocument] = []
        for index in 0..<200 {
            var document: BSONDocument = ["_id": .int32(Int32(index))]
            if index % 17 != 0 { document["a"] = .int32(Int32.random(in: 0..<20, using: &random)) }
            document["b"] = .int32(Int32.random(in: 0..<10, using: &random))
            document["c"] = .string(["x", "y", "z"][index % 3])
            document["tags"] = .array((0..<(index % 4)).map { .string("t\(($0 + index) % 5)") })
            batch.append(document)
        }
        try people.collection.insert(contentsOf: batch)
        return people
    }

    @Test func equalityUsesIndexAndExaminesOnlyMatches() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["a": 1])
            let query = FindQuery(filter: ["a": 7])
            let explain = try people.explain(query)
            let plan = try #require(explain.document(atPath: "queryPlanner.winningPlan"))
            #expect(plan.stageNames() == ["FETCH", "IXSCAN"])
            let stats = try #require(explain.document(atPath: "executionStats"))
            let expected = try people.find(FindQuery(filter: ["a": 7], hint: ["$natural": 1]))
            #expect(stats["nReturned"]?.int64Value == Int64(expected.count))
            #expect(stats["totalDocsExamined"]?.int64Value == Int64(expected.count))
            #expect(stats["totalKeysExamined"]?.int64Value == Int64(expected.count))
            #expect(plan.document(atPath: "inputStage.indexBounds")?["a"] == .array(["[7, 7]"]))
            #expect(Set(ids(try people.find(query))) == Set(ids(expected)))
        }
    }

    @Test func unindexedQueryIsCollectionScan() throws {
        try withEngine { engine in
            let people = try populate(engine)
            let explain = try people.explain(FindQuery(filter: ["b": 3]))
            #expect(explain.document(atPath: "queryPlanner.winningPlan")?.stageNames() == ["COLLSCAN"])
            #expect(explain.document(atPath: "executionStats")?["totalDocsExamined"]?.int64Value == 200)
        }
    }

    @Test func compoundEqualityAndRangeBounds() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["b": 1, "a": -1])
            let filter: BSONDocument = ["b": 4, "a": ["$gt": 5, "$lte": 12]]
            let explain = try people.explain(FindQuery(filter: filter))
            let scan = try #require(explain.document(atPath: "queryPlanner.winningPlan.inputStage"))
            #expect(scan["indexName"] == "b_1_a_-1")
            #expect(scan.document(atPath: "indexBounds")?["b"] == .array(["[4, 4]"]))
            #expect(scan.document(atPath: "indexBounds")?["a"] == .array(["[12, 5)"]))
            let expected = try people.find(FindQuery(filter: filter, hint: ["$natural": 1]))
            let stats = try #require(explain.document(atPath: "executionStats"))
            #expect(stats["totalDocsExamined"]?.int64Value == Int64(expected.count))
        }
    }

    @Test func inBecomesSeveralIntervals() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["a": 1])
            let filter: BSONDocument = ["a": ["$in": [9, 2, 5]]]
            let explain = try people.explain(FindQuery(filter: filter))
            #expect(explain.document(atPath: "queryPlanner.winningPlan.inputStage.indexBounds")?["a"]
                == .array(["[2, 2]", "[5, 5]", "[9, 9]"]))
            let expected = try people.find(FindQuery(filter: filter, hint: ["$natural": 1]))
            #expect(Set(ids(try people.find(FindQuery(filter: filter)))) == Set(ids(expected)))
        }
    }

    @Test func sortFromIndexNeedsNoSortStageAndStopsAtLimit() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["b": 1, "a": -1])
            let query = FindQuery(filter: ["b": 3], sort: ["a": -1], limit: 5)
            let explain = try people.explain(query)
            let stages = explain.document(atPath: "queryPlanner.winningPlan")?.stageNames() ?? []
            #expect(!stages.contains("SORT"))
            #expect(stages.contains("IXSCAN"))
            #expect(explain.document(atPath: "executionStats")?["totalDocsExamined"]?.int64Value == 5)
            // Reverse order through the same index.
            let ascending = FindQuery(filter: ["b": 3], sort: ["a": 1], limit: 5)
            let reversed = try people.explain(ascending)
            #expect(reversed.document(atPath: "queryPlanner.winningPlan.inputStage.inputStage")?["direction"] == "backward")
            for query in [query, ascending] {
                var scanQuery = query
                scanQuery.hint = ["$natural": 1]
                #expect(try people.find(query).map { $0["a"] } == people.find(scanQuery).map { $0["a"] })
            }
        }
    }

    @Test func coveredQueryFetchesNothing() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["b": 1, "c": 1])
            let query = FindQuery(filter: ["b": 2, "c": "y"], projection: ["_id": 0, "b": 1, "c": 1])
            let explain = try people.explain(query)
            #expect(explain.document(atPath: "queryPlanner.winningPlan")?.stageNames() == ["PROJECTION_COVERED", "IXSCAN"])
            #expect(explain.document(atPath: "executionStats")?["totalDocsExamined"]?.int64Value == 0)
            var scanQuery = query
            scanQuery.hint = ["$natural": 1]
            let expected = try people.find(scanQuery)
            let found = try people.find(query)
            #expect(found.count == expected.count)
            #expect(found.allSatisfy { $0 == ["b": 2, "c": "y"] })
        }
    }

    @Test func multikeyIndexReturnsEachDocumentOnce() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["tags": 1])
            let filter: BSONDocument = ["tags": ["$in": ["t1", "t2"]]]
            let found = try people.find(FindQuery(filter: filter))
            let expected = try people.find(FindQuery(filter: filter, hint: ["$natural": 1]))
            #expect(ids(found).count == Set(ids(found)).count)
            #expect(Set(ids(found)) == Set(ids(expected)))
            #expect(try people.explain(FindQuery(filter: filter))
                .document(atPath: "queryPlanner.winningPlan.inputStage")?["isMultiKey"] == true)
        }
    }

    @Test func partialIndexOnlyWhenQueryImpliesItsFilter() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["a": 1], name: "a_big",
                                         options: ["partialFilterExpression": ["b": ["$gte": 5]]])
            let implied = FindQuery(filter: ["a": 3, "b": ["$gt": 6]])
            #expect(try people.explain(implied).document(atPath: "queryPlanner.winningPlan")?.stageNames()
                == ["FETCH", "IXSCAN"])
            let notImplied = FindQuery(filter: ["a": 3, "b": ["$gt": 2]])
            #expect(try people.explain(notImplied).document(atPath: "queryPlanner.winningPlan")?.stageNames()
                == ["COLLSCAN"])
            for query in [implied, notImplied] {
                var scan = query
                scan.hint = ["$natural": 1]
                #expect(Set(ids(try people.find(query))) == Set(ids(try people.find(scan))))
            }
        }
    }

    @Test func hiddenIndexIsNotChosenAndHintForcesOne() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["a": 1], options: ["hidden": true])
            #expect(try people.explain(FindQuery(filter: ["a": 3])).document(atPath: "queryPlanner.winningPlan")?
                .stageNames() == ["COLLSCAN"])
            try engine.store.createIndex(on: people.namespace, key: ["b": 1])
            let hinted = try people.explain(FindQuery(filter: ["a": 3], hint: "b_1"))
            #expect(hinted.document(atPath: "queryPlanner.winningPlan.inputStage")?["indexName"] == "b_1")
            #expect(throws: MongoError.self) { try people.find(FindQuery(filter: ["a": 3], hint: "nope_1")) }
        }
    }

    @Test func sparseIndexNotUsedForNullQuery() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["a": 1], options: ["sparse": true])
            let missing = FindQuery(filter: ["a": .null])
            #expect(try people.explain(missing).document(atPath: "queryPlanner.winningPlan")?.stageNames() == ["COLLSCAN"])
            #expect(ids(try people.find(missing)) == (0..<200).filter { $0 % 17 == 0 })
        }
    }

    /// Random filters over random documents: every plan the planner picks returns what a
    /// collection scan returns, in the requested order.
    @Test func indexPlansAgreeWithCollectionScans() throws {
        try withEngine { engine in
            let people = try populate(engine)
            try engine.store.createIndex(on: people.namespace, key: ["a": 1])
            try engine.store.createIndex(on: people.namespace, key: ["b": -1, "a": 1])
            try engine.store.createIndex(on: people.namespace, key: ["c": 1, "b": 1])
            var random = TestRandom(seed: 99)
            for _ in 0..<150 {
                var filter = BSONDocument()
                if Bool.random(using: &random) { filter["a"] = ["$gte": .int32(Int32.random(in: 0..<20, using: &random))] }
                if Bool.random(using: &random) { filter["b"] = .int32(Int32.random(in: 0..<10, using: &random)) }
                if Bool.random(using: &random) { filter["c"] = ["$in": ["x", "z"]] }
                let sort: BSONDocument? = Bool.random(using: &random) ? ["a": 1, "_id": 1] : nil
                let limit: Int? = Bool.random(using: &random) ? Int.random(in: 1...15, using: &random) : nil
                let query = FindQuery(filter: filter, sort: sort, limit: limit)
                var scan = query
                scan.hint = ["$natural": 1]
                let planned = try people.find(query)
                let scanned = try people.find(scan)
                if sort != nil {
                    #expect(ids(planned) == ids(scanned), "filter \(filter.extendedJSON())")
                } else if limit == nil {
                    #expect(Set(ids(planned)) == Set(ids(scanned)), "filter \(filter.extendedJSON())")
                } else {
                    #expect(planned.count == scanned.count, "filter \(filter.extendedJSON())")
                }
            }
        }
    }
}
