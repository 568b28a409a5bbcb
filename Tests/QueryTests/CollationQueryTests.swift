// Collations in the Query layer on a real store: filters, sorts, distinct and $group under a
// collation; a collection's default collation; indexes with a collation (comparison keys),
// used only by queries of the same collation and returning exactly what a collection scan
// returns for random strings and ranges; a case-insensitive unique index.

import BSON
import Collation
import Documents
import Testing
import TestSupport
@testable import Query

@Suite struct CollationQueryTests {
    private let caseInsensitive: BSONDocument = ["locale": "en", "strength": 2]

    private func words(_ engine: QueryEngine, _ words: [String]) throws -> QueryCollection {
        let collection = try engine.collection("words", in: "collation")
        try collection.collection.insert(contentsOf: words.enumerated().map { ["_id": .int32(Int32($0.offset)), "w": .string($0.element)] })
        return collection
    }

    private func values(_ documents: [BSONDocument]) -> [String] {
        documents.compactMap { $0["w"]?.stringValue }
    }

    @Test func filtersCompareStringsUnderTheCollationButRegexDoesNot() throws {
        try withEngine { engine in
            let plain = try words(engine, ["apple", "Apple", "APPLE", "äpple", "banana"])
            let collated = try plain.collated(by: caseInsensitive)
            #expect(values(try collated.find(FindQuery(filter: ["w": "apple"]))).sorted() == ["APPLE", "Apple", "apple"])
            #expect(values(try plain.find(FindQuery(filter: ["w": "apple"]))) == ["apple"])
            #expect(try collated.count(["w": ["$ne": "APPLE"]]) == 2)
            #expect(try collated.count(["w": ["$in": ["APPLE", "BANANA"]]]) == 4)
            #expect(try collated.count(["w": ["$nin": ["APPLE"]]]) == 2)
            #expect(try collated.count(["w": ["$gt": "APPLE"]]) == 2)
            #expect(try collated.count(["w": ["$regex": "^a"]]) == 1)
            #expect(try collated.count(["$expr": ["$eq": ["$w", "APPLE"]]]) == 3)
            #expect(try collated.count(["w": ["$elemMatch": ["$eq": "x"]]]) == 0)
            // The explicit simple collation is binary again.
            #expect(try plain.collated(by: ["locale": "simple"]).count(["w": "APPLE"]) == 1)
        }
    }

    @Test func sortDistinctAndGroupFollowTheCollation() throws {
        try withEngine { engine in
            let plain = try words(engine, ["b", "B", "a", "A", "c", "ä"])
            let collated = try plain.collated(by: ["locale": "en"])
            let sorted = values(try collated.find(FindQuery(sort: ["w": 1, "_id": 1])))
            #expect(sorted == ["a", "A", "ä", "b", "B", "c"])
            #expect(values(try plain.find(FindQuery(sort: ["w": 1]))) == ["A", "B", "a", "b", "c", "ä"])
            let distinct = try plain.collated(by: caseInsensitive).distinct("w")
            #expect(distinct.count == 4)
            let groups = try plain.collated(by: caseInsensitive).aggregate([["$group": ["_id": "$w", "n": ["$sum": 1]]],
                                                                           ["$sort": ["_id": 1]]])
            #expect(groups.map { $0["n"]?.int64Value } == [2, 1, 2, 1])
        }
    }

    @Test func collectionDefaultCollationAppliesAndIsStoredResolved() throws {
        try withEngine { engine in
            let namespace = try Namespace(database: "collation", collection: "default")
            let description = try engine.createCollection(namespace, options: ["collation": .document(caseInsensitive)])
            let stored = try #require(description.options["collation"]?.documentValue)
            #expect(stored["strength"] == .int32(2))
            #expect(stored["locale"] == "en")
            #expect(stored["version"] != nil)
            let collection = engine.collection(namespace)
            try collection.collection.insert(contentsOf: [["_id": 1, "w": "X"], ["_id": 2, "w": "x"]])
            #expect(try collection.count(["w": "x"]) == 2)
            #expect(try collection.collated(by: ["locale": "simple"]).count(["w": "x"]) == 1)
            // Indexes without a collation inherit the collection's.
            let index = try engine.createIndex(on: namespace, key: ["w": 1])
            #expect(index.options["collation"]?.documentValue?["strength"] == .int32(2))
            let simple = try engine.createIndex(on: namespace, key: ["w": 1], name: "w_simple",
                                                options: ["collation": ["locale": "simple"]])
            #expect(simple.options["collation"] == nil)
        }
    }

    @Test func indexWithCollationServesOnlyItsCollationAndAgreesWithAScan() throws {
        try withEngine { engine in
            var random = TestRandom(seed: 16)
            let alphabet = ["a", "A", "b", "B", "é", "É", "e", "-", " ", "1", "2", "10", "ß", "ss", "z"]
            let strings = (0..<400).map { _ in
                (0..<Int.random(in: 0...4, using: &random)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }.joined()
            }
            let plain = try words(engine, strings)
            try engine.store.createIndex(on: plain.namespace, key: ["w": 1], name: "w_ci", options: ["collation": .document(caseInsensitive)])
            let collated = try plain.collated(by: caseInsensitive)
            let explain = try collated.explain(FindQuery(filter: ["w": "AB"]))
            #expect(try #require(explain.document(atPath: "queryPlanner.winningPlan")).stageNames() == ["FETCH", "IXSCAN"])
            #expect(try #require(plain.explain(FindQuery(filter: ["w": "AB"])).document(atPath: "queryPlanner.winningPlan"))
                .stageNames() == ["COLLSCAN"])
            for _ in 0..<60 {
                let bound = BSONValue.string(strings[Int.random(in: 0..<strings.count, using: &random)])
                let other = BSONValue.string(strings[Int.random(in: 0..<strings.count, using: &random)])
                let filters: [BSONDocument] = [
                    ["w": bound], ["w": ["$lt": bound]], ["w": ["$gte": bound, "$lt": other]], ["w": ["$in": [bound, other]]],
                    ["w": ["$lte": bound]], ["w": ["$gt": bound]],
                ]
                for filter in filters {
                    let indexed = try collated.find(FindQuery(filter: filter, sort: ["w": 1, "_id": 1]))
                    let scanned = try collated.find(FindQuery(filter: filter, sort: ["w": 1, "_id": 1], hint: ["$natural": 1]))
                    #expect(ids(indexed) == ids(scanned), "\(filter)")
                    let binary = try plain.find(FindQuery(filter: filter, hint: ["$natural": 1]))
                    #expect(Set(ids(try plain.find(FindQuery(filter: filter)))) == Set(ids(binary)), "\(filter)")
                }
            }
        }
    }

    @Test func uniqueIndexWithCaseInsensitiveCollationRefusesAnotherCase() throws {
        try withEngine { engine in
            let collection = try engine.collection("unique", in: "collation")
            try engine.store.createIndex(on: collection.namespace, key: ["email": 1],
                                         options: ["unique": true, "collation": .document(caseInsensitive)])
            try collection.collection.insert(["email": "a@example.com"])
            let error = #expect(throws: MongoError.self) { try collection.collection.insert(["email": "A@EXAMPLE.COM"]) }
            #expect(error?.code == .duplicateKey)
            try collection.collection.insert(["email": "b@example.com"])
            #expect(try collection.count() == 2)
        }
    }
}
