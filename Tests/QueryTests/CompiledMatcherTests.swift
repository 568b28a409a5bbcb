// The compiled (per-shape) matcher must agree with the Filter on every document: random
// documents of many shapes and types against filters of every compilable and
// non-compilable form; plus shapes lacking a field decided without reading records.

import BSON
import Documents
import Testing
import TestSupport
@testable import Query

@Suite struct CompiledMatcherTests {
    static let values: [BSONValue] = [
        .int32(5), .int64(5), .double(5.0), .double(-1.5), .int32(10_001), .string("5"), .string("apple"),
        .null, .bool(true), .array([.int32(5), .int32(20_000)]), .array([]), .document(["x": 1]),
        .datetime(BSONDateTime(millisecondsSinceEpoch: 0)), .double(.nan), .decimal128(Decimal128("5")!),
    ]

    static let filters: [BSONDocument] = [
        ["a": ["$gt": 5]], ["a": ["$gte": 5]], ["a": ["$lt": 5]], ["a": ["$lte": .null]], ["a": 5], ["a": .null],
        ["a": ["$in": [5, "apple"]]], ["a": ["$exists": false]], ["a": ["$exists": true], "b": ["$gt": 10_000]],
        ["a": ["$not": ["$gt": 5]]], ["$or": [["a": 5], ["b": ["$gt": 1]]]], ["$nor": [["a": 5]]],
        ["a.x": 1], ["a.x": ["$exists": false]], ["b": ["$ne": 5]], ["a": ["$type": "number"]],
        ["a": ["$gt": 1, "$lt": 10]], ["kiwis": ["$gt": 10_000]], ["a": "5"], ["a": ["$size": 2]],
    ]

    @Test func agreesWithFilterOnRandomDocuments() throws {
        try withEngine { engine in
            let things = try engine.collection("things", in: "compiled")
            var random = TestRandom(seed: 2024)
            var documents: [BSONDocument] = []
            for index in 0..<400 {
                var document: BSONDocument = ["_id": .int32(Int32(index))]
                for name in ["a", "b", "c"] where Int.random(in: 0..<4, using: &random) != 0 {
                    document[name] = Self.values[Int.random(in: 0..<Self.values.count, using: &random)]
                }
                documents.append(document)
            }
            try things.collection.insert(contentsOf: documents)
            var checked = 0
            for spec in Self.filters {
                let filter = try Filter(spec)
                let matcher = ShapeMatcher(filter)
                var compiled: [Int] = []
                try things.collection.forEachRecord { (record) throws(MongoError) -> Bool in
                    if try matcher.matches(record) {
                        compiled.append(Int((try? record.document())?["_id"]?.int64Value ?? -1))
                    }
                    return true
                }
                let expected = ids(documents.filter { filter.matches($0) })
                #expect(compiled == expected, "filter \(spec.extendedJSON())")
                checked += 1
            }
            #expect(checked == Self.filters.count)
        }
    }

    @Test func shapeWithoutFieldIsDecidedWithoutReadingRecords() throws {
        try withEngine { engine in
            let fruit = try engine.collection("fruit", in: "compiled")
            var batch: [BSONDocument] = []
            for index in 0..<1_000 {
                var document: BSONDocument = ["_id": .int32(Int32(index)), "apples": .int32(Int32(index * 20))]
                if index % 2 == 1 { document["kiwis"] = .int32(Int32(index * 20)) }
                batch.append(document)
            }
            try fruit.collection.insert(contentsOf: batch)
            let (count, statistics, _) = try fruit.countExplained(["kiwis": ["$gt": 10_000]])
            #expect(count == (0..<1_000).filter { $0 % 2 == 1 && $0 * 20 > 10_000 }.count)
            #expect(statistics.decidedByShape == 500)
            let (apples, applesStatistics, _) = try fruit.countExplained(["apples": ["$gt": 10_000]])
            #expect(apples == (0..<1_000).filter { $0 * 20 > 10_000 }.count)
            #expect(applesStatistics.decidedByShape == 0)
        }
    }
}
