// End-to-end tests of QueryCollection on a real store: find with sort/skip/limit and
// projection, count, distinct, updates (one, many, upsert, the counter delta path), deletes,
// and bad input that must write nothing.

import BSON
import Documents
import Testing
import TestSupport
@testable import Query

@Suite struct QueryCollectionTests {
    private func fruit(_ engine: QueryEngine) throws -> QueryCollection {
        let fruit = try engine.collection("fruit", in: "crud")
        try fruit.collection.insert(contentsOf: [
            ["_id": 1, "name": "apple", "qty": 5, "tags": ["red", "green"]],
            ["_id": 2, "name": "banana", "qty": 20, "tags": ["yellow"]],
            ["_id": 3, "name": "cherry", "qty": 5.0, "tags": []],
            ["_id": 4, "name": "date", "qty": .int64(50)],
            ["_id": 5, "name": "elderberry"],
        ])
        return fruit
    }

    @Test func findSortSkipLimitProject() throws {
        try withEngine { engine in
            let fruit = try fruit(engine)
            // qty ascending, missing first (as null); ties by _id.
            let sorted = try fruit.find(FindQuery(sort: ["qty": 1, "_id": 1]))
            #expect(ids(sorted) == [5, 1, 3, 2, 4])
            let page = try fruit.find(FindQuery(sort: ["qty": -1, "_id": 1], skip: 1, limit: 2))
            #expect(ids(page) == [2, 1])
            let projected = try fruit.find(FindQuery(filter: ["qty": 5], projection: ["name": 1, "_id": 0]))
            #expect(projected == [["name": "apple"], ["name": "cherry"]])
            #expect(ids(try fruit.find(FindQuery(filter: ["tags": "red"]))) == [1])
        }
    }

    @Test func countDistinctEstimated() throws {
        try withEngine { engine in
            let fruit = try fruit(engine)
            #expect(try fruit.count(["qty": ["$gte": 5]]) == 4)
            #expect(try fruit.count(["qty": ["$gte": 5]], skip: 1, limit: 2) == 2)
            #expect(try fruit.count(["qty": ["$gte": 5]], skip: 10) == 0)
            #expect(try fruit.estimatedDocumentCount() == 5)
            // 5 and 5.0 are one distinct value; array elements count individually.
            #expect(try fruit.distinct("qty").count == 3)
            #expect(try fruit.distinct("tags") == ["green", "red", "yellow"])
        }
    }

    @Test func updateOneManyAndUpsert() throws {
        try withEngine { engine in
            let fruit = try fruit(engine)
            let one = try fruit.update(["qty": 5], ["$set": ["sale": true]])
            #expect(one == UpdateResult(matchedCount: 1, modifiedCount: 1))
            let many = try fruit.update(["qty": ["$lt": 30]], ["$inc": ["qty": 1]], options: UpdateOptions(multi: true))
            #expect(many == UpdateResult(matchedCount: 3, modifiedCount: 3))
            #expect(try fruit.find(FindQuery(filter: ["_id": 3])).first?["qty"] == .double(6))
            let noop = try fruit.update(["_id": 1], ["$set": ["name": "apple"]])
            #expect(noop == UpdateResult(matchedCount: 1, modifiedCount: 0))
            let upserted = try fruit.update(["_id": 9, "name": "fig"], ["$inc": ["qty": 2]], options: UpdateOptions(upsert: true))
            #expect(upserted.upsertedID == 9)
            #expect(try fruit.find(FindQuery(filter: ["_id": 9])) == [["_id": 9, "name": "fig", "qty": 2]])
            let missing = try fruit.update(["_id": 42], ["$inc": ["qty": 2]])
            #expect(missing == UpdateResult(matchedCount: 0, modifiedCount: 0))
        }
    }

    @Test func updatesAndDeletesPinnedByIdFindTheDocumentByKey() throws {
        try withEngine { engine in
            let fruit = try fruit(engine)
            // A numerically equal _id of another type finds the document; its stored _id stays.
            let pushed = try fruit.update(["_id": .double(1)], ["$push": ["tags": "ripe"]])
            #expect(pushed == UpdateResult(matchedCount: 1, modifiedCount: 1))
            let apple = try #require(try fruit.find(FindQuery(filter: ["_id": 1])).first)
            #expect(apple["_id"] == .int32(1))
            #expect(apple["tags"] == ["red", "green", "ripe"])
            let eq = try fruit.update(["_id": ["$eq": 2]], ["$push": ["tags": "long"]])
            #expect(eq == UpdateResult(matchedCount: 1, modifiedCount: 1))
            // Upserts: absent inserts (with the _id from the filter), present updates.
            let inserted = try fruit.update(["_id": 7], ["$push": ["tags": "new"]], options: UpdateOptions(upsert: true))
            #expect(inserted == UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedID: 7))
            #expect(try fruit.find(FindQuery(filter: ["_id": 7])) == [["_id": 7, "tags": ["new"]]])
            let again = try fruit.update(["_id": 7], ["$push": ["tags": "newer"]], options: UpdateOptions(upsert: true))
            #expect(again == UpdateResult(matchedCount: 1, modifiedCount: 1))
            #expect(try fruit.count([:]) == 6)
            // Deletes by _id: one, then none; {$eq} too.
            #expect(try fruit.delete(["_id": .int64(2)], multi: false) == 1)
            #expect(try fruit.delete(["_id": 2], multi: false) == 0)
            #expect(try fruit.delete(["_id": ["$eq": 4]]) == 1)
            #expect(ids(try fruit.find(FindQuery(sort: ["_id": 1]))) == [1, 3, 5, 7])
        }
    }

    @Test func counterUpsertsAddUp() throws {
        try withEngine { engine in
            let metrics = try engine.collection("metrics", in: "crud")
            var expected: [String: Int] = [:]
            var random = TestRandom(seed: 11)
            for step in 0..<600 {
                let metric = "m\(Int.random(in: 0..<5, using: &random))"
                let minute = step / 10
                let key = "minute.\(minute / 60).\(minute % 60)"
                var increments = BSONDocument()
                increments.append("daily", 1)
                increments.append(key, 1)
                try metrics.update(["_id": .string(metric)], ["$inc": .document(increments)], options: UpdateOptions(upsert: true))
                expected[metric, default: 0] += 1
            }
            for (metric, total) in expected {
                let document = try #require(try metrics.find(FindQuery(filter: ["_id": .string(metric)])).first)
                #expect(document["daily"]?.int64Value == Int64(total))
                var minuteSum: Int64 = 0
                if case let .document(hours)? = document["minute"] {
                    for (_, hour) in hours {
                        if case let .document(minutes) = hour {
                            for (_, count) in minutes { minuteSum += count.int64Value ?? 0 }
                        }
                    }
                }
                #expect(minuteSum == Int64(total))
            }
        }
    }

    @Test func deleteOneAndMany() throws {
        try withEngine { engine in
            let fruit = try fruit(engine)
            #expect(try fruit.delete(["qty": 5], multi: false) == 1)
            #expect(try fruit.delete(["qty": ["$exists": true]]) == 3)
            #expect(ids(try fruit.find(FindQuery())) == [5])
        }
    }

    @Test func badInputWritesNothing() throws {
        try withEngine { engine in
            let fruit = try fruit(engine)
            let before = try fruit.find(FindQuery())
            let unknownOperator = #expect(throws: MongoError.self) { try fruit.update(["qty": ["$bogus": 1]], ["$set": ["x": 1]]) }
            #expect(unknownOperator?.code == .badValue)
            let badUpdate = #expect(throws: MongoError.self) {
                try fruit.update(["_id": 1], ["$set": ["x": 1], "$bogus": ["y": 1]])
            }
            #expect(badUpdate?.code.rawValue == 9)
            let badProjection = #expect(throws: MongoError.self) {
                try fruit.find(FindQuery(projection: ["a": 1, "b": 0]))
            }
            #expect(badProjection != nil)
            let badSort = #expect(throws: MongoError.self) { try fruit.find(FindQuery(sort: ["a": 2])) }
            #expect(badSort?.code.rawValue == 15975)
            #expect(throws: MongoError.self) { try fruit.find(FindQuery(skip: -1)) }
            #expect(throws: MongoError.self) {
                try fruit.update(["qty": ["$gte": 0]], ["$inc": ["name": 1]], options: UpdateOptions(multi: true))
            }
            let immutable = #expect(throws: MongoError.self) { try fruit.update(["_id": 1], ["$set": ["_id": 7]]) }
            #expect(immutable?.code == .immutableField)
            // The multi-update above fails on its first document (name is a string): nothing changed.
            #expect(try fruit.find(FindQuery()) == before)
        }
    }

    @Test func failedMultiUpdateLeavesNoPartialIndexEntries() throws {
        try withEngine { engine in
            let people = try engine.collection("people", in: "crud")
            try people.collection.insert(contentsOf: (0..<10).map { ["_id": .int32(Int32($0)), "rank": .int32(Int32($0))] })
            try engine.store.createIndex(on: people.namespace, key: ["rank": 1], options: ["unique": true])
            // Setting every rank to 100 succeeds for the first document and collides on the second.
            let error = #expect(throws: MongoError.self) {
                try people.update(["rank": ["$gte": 0]], ["$set": ["rank": 100]], options: UpdateOptions(multi: true))
            }
            #expect(error?.code == .duplicateKey)
            // The index agrees with the documents: every rank value findable through it, no extras.
            let documents = try people.find(FindQuery(hint: ["$natural": 1]))
            for document in documents {
                let rank = try #require(document["rank"])
                let viaIndex = try people.find(FindQuery(filter: ["rank": rank], hint: "rank_1"))
                #expect(ids(viaIndex) == ids([document]))
            }
            let everything = try people.find(FindQuery(filter: ["rank": ["$gte": .minKey]], hint: "rank_1"))
            #expect(everything.count == documents.count)
        }
    }
}
