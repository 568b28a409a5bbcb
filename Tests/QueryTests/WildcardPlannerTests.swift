// The planner and a wildcard index on a real store: an equality or range on one indexed path scans
// that path's point on `$_path` and the predicate's values (keyPattern {"$_path": 1, <path>: 1});
// null, documents, positional paths and paths outside the projection are not answered from it;
// `$exists: true` scans the path and the paths below it; a hinted wildcard index that bounds
// nothing is refused (NoQueryExecutionPlans); one single-key path projected alone without `_id` is
// covered; an ordinary index on the path is preferred; a sort is served only on a path that is not
// multikey; every plan returns what a collection scan returns. A compound wildcard index scans its
// regular prefix around the path, or the prefix alone over every `$_path`, and is not used without
// its leading field.

import BSON
import Documents
import Testing
import TestSupport
@testable import Query

@Suite struct WildcardPlannerTests {
    private func populate(_ engine: QueryEngine, projection: BSONDocument? = nil) throws -> QueryCollection {
        let items = try engine.collection("items", in: "wild")
        var batch: [BSONDocument] = []
        for index in 0..<90 {
            let value: BSONValue = index % 3 == 0 ? .int32(Int32(index % 10)) : index % 3 == 1 ? .string("s\(index % 7)") : .null
            var document: BSONDocument = ["_id": .int32(Int32(index)), "a": ["b": value], "n": .int32(Int32(index))]
            if index % 5 == 0 { document["m"] = [.int32(Int32(index)), ["k": .int32(Int32(index % 4))]] }
            if index % 4 == 0 { document["a"] = .int32(Int32(index % 6)) }
            batch.append(document)
        }
        try items.collection.insert(contentsOf: batch)
        try engine.store.createIndex(on: items.namespace, key: ["$**": 1], name: "wild",
                                     options: projection.map { ["wildcardProjection": .document($0)] } ?? [:])
        return items
    }

    private func winningPlan(_ items: QueryCollection, _ query: FindQuery) throws -> BSONDocument? {
        try items.explain(query).document(atPath: "queryPlanner.winningPlan")
    }

    @Test func predicatesOnOnePathScanItsKeys() throws {
        try withEngine { engine in
            let items = try populate(engine)
            for filter: BSONDocument in [["a.b": 4], ["a.b": ["$gte": "s2"]], ["n": ["$gt": 10, "$lt": 20]], ["m.k": ["$in": [1, 3]]],
                                         ["m": ["$lt": 50]], ["a": ["$lte": 3]]] {
                let plan = try #require(try winningPlan(items, FindQuery(filter: filter)))
                #expect(plan.stageNames() == ["FETCH", "IXSCAN"], "\(filter)")
                let path = try #require(filter.first?.key)
                let keyPattern = try #require(plan.document(atPath: "inputStage.keyPattern"))
                #expect(keyPattern.map(\.key) == ["$_path", path])
                #expect(plan.document(atPath: "inputStage.indexBounds")?["$_path"] == .array([.string("[\"\(path)\", \"\(path)\"]")]))
                let expected = try items.find(FindQuery(filter: filter, hint: ["$natural": 1]))
                #expect(!expected.isEmpty, "\(filter)")
                #expect(Set(ids(try items.find(FindQuery(filter: filter)))) == Set(ids(expected)), "\(filter)")
            }
        }
    }

    @Test func whatTheKeysCannotAnswerIsACollectionScan() throws {
        try withEngine { engine in
            let items = try populate(engine, projection: ["a": 1, "m": 1])
            for filter: BSONDocument in [["a.b": .null], ["a": ["b": 4]], ["m.0": 5], ["n": 5], ["n": ["$exists": true]],
                                         ["a.b": ["$exists": false]]] {
                #expect(try winningPlan(items, FindQuery(filter: filter))?.stageNames() == ["COLLSCAN"], "\(filter)")
                let expected = try items.find(FindQuery(filter: filter, hint: ["$natural": 1]))
                #expect(Set(ids(try items.find(FindQuery(filter: filter)))) == Set(ids(expected)), "\(filter)")
            }
        }
    }

    @Test func existsTrueScansThePathAndEveryPathBelowIt() throws {
        try withEngine { engine in
            let items = try populate(engine, projection: ["a": 1, "m": 1])
            // "a" is a number or {b}; "m" an array of a number and {k}; "a.b" is null in some.
            for path in ["a", "a.b", "m", "m.k"] {
                let filter: BSONDocument = [path: ["$exists": true]]
                let plan = try #require(try winningPlan(items, FindQuery(filter: filter)))
                #expect(plan.stageNames() == ["FETCH", "IXSCAN"], "\(filter)")
                #expect(plan.document(atPath: "inputStage.keyPattern")?.map(\.key) == ["$_path", path])
                #expect(plan.document(atPath: "inputStage.indexBounds")
                    == ["$_path": [.string("[\"\(path)\", \"\(path)\"]"), .string("[\"\(path).\", \"\(path)/\")")],
                        path: ["[MinKey, MaxKey]"]], "\(filter)")
                let expected = try items.find(FindQuery(filter: filter, hint: ["$natural": 1]))
                #expect(!expected.isEmpty, "\(filter)")
                #expect(Set(ids(try items.find(FindQuery(filter: filter)))) == Set(ids(expected)), "\(filter)")
            }
            // Beside a predicate that bounds its path's values, that path is scanned instead.
            for (filter, path) in [(["a": ["$exists": true], "m": ["$gte": 40]], "m"),
                                   (["a.b": ["$exists": true], "m.k": ["$exists": true]], "a.b")] as [(BSONDocument, String)] {
                let plan = try #require(try winningPlan(items, FindQuery(filter: filter)))
                #expect(plan.document(atPath: "inputStage.keyPattern")?.map(\.key) == ["$_path", path], "\(filter)")
                let expected = try items.find(FindQuery(filter: filter, hint: ["$natural": 1]))
                #expect(Set(ids(try items.find(FindQuery(filter: filter)))) == Set(ids(expected)), "\(filter)")
            }
        }
    }

    @Test func aHintedWildcardIndexThatCannotBoundTheQueryIsRefused() throws {
        try withEngine { engine in
            let items = try populate(engine)
            try engine.store.createIndex(on: items.namespace, key: ["n": 1, "a.$**": 1], name: "cw", options: [:])
            let cases: [(BSONDocument, BSONValue)] = [
                ([:], "wild"), (["a.b": .null], "wild"), (["a": ["$ne": 1]], ["$**": 1]),
                (["a.b": 4], "cw"), ([:], ["n": 1, "a.$**": 1]),
            ]
            for (filter, hint) in cases {
                #expect {
                    _ = try items.find(FindQuery(filter: filter, hint: hint))
                } throws: { error in
                    (error as? MongoError)?.code == .noQueryExecutionPlans
                }
            }
            // A hint naming no index stays BadValue.
            #expect {
                _ = try items.find(FindQuery(filter: [:], hint: ["nope.$**": 1]))
            } throws: { error in
                (error as? MongoError)?.code == .badValue
            }
        }
    }

    @Test func oneSingleKeyPathProjectedAloneIsCovered() throws {
        try withEngine { engine in
            let items = try populate(engine)
            // "n" and "a.b" never hold arrays; "m" does.
            let covered: [(BSONDocument, BSONDocument)] = [(["n": ["$gt": 80]], ["n": 1, "_id": 0]), (["a.b": 3], ["a.b": 1, "_id": 0])]
            for (filter, projection) in covered {
                let query = FindQuery(filter: filter, projection: projection)
                let plan = try #require(try winningPlan(items, query))
                #expect(plan.stageNames() == ["PROJECTION_COVERED", "IXSCAN"], "\(filter)")
                let expected = try items.find(FindQuery(filter: filter, projection: projection, hint: ["$natural": 1]))
                #expect(!expected.isEmpty)
                #expect(Set(try items.find(query).map { $0.extendedJSON() }) == Set(expected.map { $0.extendedJSON() }), "\(filter)")
            }
            let fetched: [(BSONDocument, BSONDocument)] = [
                (["n": ["$gt": 80]], ["n": 1]), (["m": 5], ["m": 1, "_id": 0]), (["n": 3, "a.b": 3], ["n": 1, "_id": 0]),
                (["n": ["$gt": 80, "$ne": 85]], ["n": 1, "_id": 0]),
            ]
            for (filter, projection) in fetched {
                let plan = try #require(try winningPlan(items, FindQuery(filter: filter, projection: projection)))
                #expect(plan.stageNames().contains("FETCH"), "\(filter)")
            }
        }
    }

    @Test func anOrdinaryIndexOnThePathWinsAndSortsNeedASingleKeyPath() throws {
        try withEngine { engine in
            let items = try populate(engine)
            try engine.store.createIndex(on: items.namespace, key: ["n": 1], name: "n_1")
            #expect(try winningPlan(items, FindQuery(filter: ["n": 7]))?.document(atPath: "inputStage")?["indexName"] == .string("n_1"))
            #expect(try winningPlan(items, FindQuery(filter: ["a.b": 7]))?.document(atPath: "inputStage")?["indexName"] == .string("wild"))
            let sorted = try #require(try winningPlan(items, FindQuery(filter: ["a.b": ["$gte": 2]], sort: ["a.b": -1])))
            #expect(sorted.stageNames() == ["FETCH", "IXSCAN"])
            let multikey = try #require(try winningPlan(items, FindQuery(filter: ["m": ["$gte": 2]], sort: ["m": 1])))
            #expect(multikey.stageNames().contains("SORT"))
        }
    }

    @Test func explainShowsTheScannedPathsMultikeyPrefixes() throws {
        try withEngine { engine in
            let items = try populate(engine)
            // "m" holds arrays (of numbers and of {k}); "a.b" and "n" never do.
            for (filter, prefixes) in [(["m.k": 1], ["m"]), (["m": ["$lt": 50]], ["m"]), (["a.b": 4], []), (["n": 3], [])]
                as [(BSONDocument, [String])] {
                let scan = try #require(try winningPlan(items, FindQuery(filter: filter))?.document(atPath: "inputStage"))
                let path = try #require(filter.first?.key)
                let paths = try #require(scan["multiKeyPaths"]?.documentValue)
                #expect(paths.map(\.key) == ["$_path", path])
                #expect(paths["$_path"] == .array([]))
                #expect(paths[path] == .array(prefixes.map(BSONValue.string)), "\(filter)")
                #expect(scan["isMultiKey"] == .bool(!prefixes.isEmpty), "\(filter)")
            }
        }
    }
    @Test func compoundIndexesScanTheRegularPrefixAroundThePath() throws {
        try withEngine { engine in
            let items = try engine.collection("items", in: "wild")
            try items.collection.insert(contentsOf: (0..<60).map { index -> BSONDocument in
                var document: BSONDocument = ["_id": .int32(Int32(index)), "n": .int32(Int32(index % 6))]
                if index % 3 != 0 { document["a"] = ["b": .int32(Int32(index % 5)), "c": .int32(Int32(index))] }
                if index % 7 == 0 { document["n"] = nil }
                return document
            })
            try engine.store.createIndex(on: items.namespace, key: ["n": 1, "a.$**": 1], name: "cw", options: [:])
            let cases: [(BSONDocument, [String]?)] = [
                (["n": 2, "a.b": 4], ["n", "$_path", "a.b"]),
                (["n": ["$gte": 1, "$lt": 3], "a.c": ["$gt": 10]], ["n", "$_path", "a.c"]),
                (["n": 4], ["n", "$_path", "a.$**"]),
                (["n": ["$in": [1, 5]]], ["n", "$_path", "a.$**"]),
                (["a.b": 4], nil),  // the leading field is not bound
                (["n": .null], nil),  // matches documents with no key
            ]
            for (filter, keyPattern) in cases {
                let plan = try #require(try winningPlan(items, FindQuery(filter: filter)))
                if let keyPattern {
                    #expect(plan.stageNames() == ["FETCH", "IXSCAN"], "\(filter)")
                    #expect(plan.document(atPath: "inputStage.keyPattern")?.map(\.key) == keyPattern, "\(filter)")
                } else {
                    #expect(plan.stageNames() == ["COLLSCAN"], "\(filter)")
                }
                let expected = try items.find(FindQuery(filter: filter, hint: ["$natural": 1]))
                #expect(ids(try items.find(FindQuery(filter: filter))).sorted() == ids(expected).sorted(), "\(filter)")
            }
            // The prefix gives the order; the path does not when scanning every path.
            let sorted = try #require(try winningPlan(items, FindQuery(filter: ["n": ["$gte": 1]], sort: ["n": -1])))
            #expect(sorted.stageNames() == ["FETCH", "IXSCAN"])
            let unsorted = try #require(try winningPlan(items, FindQuery(filter: ["n": ["$gte": 1]], sort: ["a.b": 1])))
            #expect(unsorted.stageNames().contains("SORT"))
            let byPath = try #require(try winningPlan(items, FindQuery(filter: ["n": 2, "a.b": ["$gt": 0]], sort: ["a.b": 1])))
            #expect(byPath.stageNames() == ["FETCH", "IXSCAN"])
        }
    }
}
