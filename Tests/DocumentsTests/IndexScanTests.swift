// Index scans: entries come back in MongoDB's comparison order across types (ascending and
// descending fields, ties by _id), bounds select exactly the values inside them (points,
// ranges, open ends, several intervals), compound bounds, reverse scans, keysExamined, _id_.

import BSON
import Testing
@testable import Documents

struct IndexScanTests {
    /// One value of every type bracket, in MongoDB's documented comparison order (MinKey,
    /// null, numbers, strings, objects, arrays, binary, ObjectId, bool, date, timestamp,
    /// regex, MaxKey), written in shuffled order below.
    private static let orderedValues: [BSONValue] = [
        .minKey, .null, .double(-.infinity), .int64(-5), .decimal128(Decimal128("-4.5") ?? Decimal128(0 as Int64)),
        .int32(0), .double(0.5), .int32(1), .int64(2), .double(.infinity), .string(""), .string("a"), .symbol("b"),
        .string("ba"), .document([:]), .document(["a": 1]), .document(["a": 2]), .array([1]),
        .binary(BSONBinary(bytes: [1])), .objectId(ObjectId(bytes: [UInt8](repeating: 1, count: 12)) ?? ObjectId()),
        .bool(false), .bool(true), .datetime(BSONDateTime(millisecondsSinceEpoch: -1)),
        .datetime(BSONDateTime(millisecondsSinceEpoch: 5)), .timestamp(BSONTimestamp(timestamp: 1, increment: 1)),
        .regex(BSONRegex(pattern: "a", options: "")), .maxKey,
    ]

    private func populate(_ collection: DocumentCollection) throws {
        var random = SeededGenerator(seed: 7)
        var documents: [BSONDocument] = []
        for (index, value) in Self.orderedValues.enumerated() {
            // An array value is indexed per element, so `[1]` is stored as `[[1]]`.
            let stored: BSONValue = if case let .array(inner) = value { .array([.array(inner)]) } else { value }
            documents.append(["_id": .int32(Int32(100 + index)), "v": stored])
            documents.append(["_id": .int32(Int32(index)), "v": stored])
        }
        documents.shuffle(using: &random)
        try collection.insert(contentsOf: documents)
    }

    @Test func ascendingScansFollowComparisonOrderAcrossTypes() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["v": 1])
            try populate(collection)
            let entries = try scanned(collection, "v_1")
            let expected = Self.orderedValues.enumerated().flatMap { index, value in
                [(value, BSONValue.int32(Int32(index))), (value, BSONValue.int32(Int32(100 + index)))]
            }
            #expect(entries.count == expected.count)
            for (entry, (value, id)) in zip(entries, expected) {
                #expect(entry.keyValues == [value], "at \(id)")
                #expect(entry.id == id)
            }
            // Reverse is the exact opposite.
            #expect(try scanned(collection, "v_1", reverse: true).map(\.id) == entries.map(\.id).reversed())
        }
    }

    @Test func descendingScansReverseValuesButKeepIdsAscending() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try populate(collection)
            try store.createIndex(on: collection.namespace, key: ["v": -1])
            let entries = try scanned(collection, "v_-1")
            let expected = Self.orderedValues.enumerated().reversed().flatMap { index, value in
                [(value, BSONValue.int32(Int32(index))), (value, BSONValue.int32(Int32(100 + index)))]
            }
            #expect(entries.map(\.id) == expected.map(\.1))
            #expect(entries.map { $0.keyValues[0] } == expected.map(\.0))
        }
    }

    @Test func boundsSelectExactlyTheValuesInside() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["v": 1])
            try store.createIndex(on: collection.namespace, key: ["v": -1])
            try populate(collection)
            let intervals: [[IndexInterval]] = [
                [.point(.int32(1))],
                [.point(.double(1.0)), .point(.string("a"))],
                [IndexInterval(lower: .int32(0), lowerInclusive: false, upper: .double(.infinity), upperInclusive: true)],
                [IndexInterval(lower: .int32(0), lowerInclusive: true, upper: .int32(2), upperInclusive: false),
                 IndexInterval(lower: .string("a"), lowerInclusive: true, upper: .document([:]), upperInclusive: false)],
                [IndexInterval(lower: .minKey, lowerInclusive: false, upper: .null, upperInclusive: true)],
                [IndexInterval(lower: .bool(true), lowerInclusive: true, upper: .maxKey, upperInclusive: false)],
                [IndexInterval(lower: .int32(3), lowerInclusive: true, upper: .int32(3), upperInclusive: false)],
            ]
            for bounds in intervals {
                for (name, descending) in [("v_1", false), ("v_-1", true)] {
                    let expected = Self.orderedValues.enumerated()
                        .filter { _, value in bounds.contains { $0.contains(value) } }
                        .map { index, _ in index }
                    let ordered = descending ? expected.reversed() : expected
                    let ids = ordered.flatMap { [BSONValue.int32(Int32($0)), BSONValue.int32(Int32(100 + $0))] }
                    var statistics = IndexScanStatistics()
                    let entries = try scanned(collection, name, bounds: [bounds], statistics: &statistics)
                    #expect(entries.map(\.id) == ids, "\(name) \(bounds)")
                    // A single-field scan reads only entries inside its ranges.
                    #expect(statistics.keysExamined == ids.count)
                    #expect(try scanned(collection, name, bounds: [bounds], reverse: true).map(\.id) == ids.reversed())
                }
            }
        }
    }

    @Test func compoundBoundsMultiplyPointsThenRangeThenFilter() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1, "b": -1, "c": 1])
            var documents: [BSONDocument] = []
            var id: Int32 = 0
            for a in 1 ... 3 {
                for b in 1 ... 3 {
                    for c in 1 ... 3 {
                        documents.append(["_id": .int32(id), "a": .int32(Int32(a)), "b": .int32(Int32(b)), "c": .int32(Int32(c))])
                        id += 1
                    }
                }
            }
            documents.append(["_id": 100, "a": "x", "b": 1, "c": 1])
            try collection.insert(contentsOf: documents.reversed())
            let bounds: [[IndexInterval]] = [
                [.point(1), .point(3)],
                [IndexInterval(lower: 2, lowerInclusive: true, upper: 3, upperInclusive: true)],
                [IndexInterval(lower: 1, lowerInclusive: false, upper: .maxKey, upperInclusive: true)],
            ]
            var statistics = IndexScanStatistics()
            let entries = try scanned(collection, "a_1_b_-1_c_1", bounds: bounds, statistics: &statistics)
            var expected: [[BSONValue]] = []
            for a in [1, 3] {
                for b in [3, 2] {
                    for c in [2, 3] { expected.append([.int32(Int32(a)), .int32(Int32(b)), .int32(Int32(c))]) }
                }
            }
            #expect(entries.map(\.keyValues) == expected)
            // Two ranges (a = 1 and a = 3, each over b in [2, 3]) hold 12 entries; c filters them.
            #expect(statistics.keysExamined == 12)
            for entry in entries {
                let stored = try #require(try collection.document(withID: entry.id))
                #expect(sameValues([stored["a"] ?? .null, stored["b"] ?? .null, stored["c"] ?? .null], entry.keyValues))
            }
            // All points: one range of exactly the matching entries.
            var pointStatistics = IndexScanStatistics()
            let point = try scanned(collection, "a_1_b_-1_c_1", bounds: [[.point(2)], [.point(2)], [.point(2)]],
                                    statistics: &pointStatistics)
            #expect(point.map(\.keyValues) == [[2, 2, 2]])
            #expect(pointStatistics.keysExamined == 1)
            #expect(try scanned(collection, "a_1_b_-1_c_1", bounds: bounds, reverse: true).map(\.keyValues) == expected.reversed())
        }
    }

    @Test func tooManyPointCombinationsStillScanCorrectly() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1, "b": 1])
            try collection.insert(contentsOf: (0 ..< 200).map { ["_id": .int32(Int32($0)), "a": .int32(Int32($0 % 50)), "b": .int32(Int32($0 % 7))] })
            let aPoints = (0 ..< 1200).map { IndexInterval.point(.int32(Int32($0))) }
            let bPoints = [IndexInterval.point(1), .point(3)]
            let entries = try scanned(collection, "a_1_b_1", bounds: [aPoints, bPoints])
            let expected = (0 ..< 200).filter { [1, 3].contains($0 % 7) }
                .sorted { ($0 % 50, $0 % 7, $0) < ($1 % 50, $1 % 7, $1) }
            #expect(entries.map(\.id) == expected.map { .int32(Int32($0)) })
        }
    }

    @Test func emptyBoundsMatchNothingAndWrongWidthIsBadValue() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1])
            try collection.insert(["a": 1])
            #expect(try scanned(collection, "a_1", bounds: [[]]).isEmpty)
            expectMongoError(.badValue) { _ = try scanned(collection, "a_1", bounds: [[.all], [.all]]) }
            expectMongoError(.indexNotFound) { _ = try scanned(collection, "b_1") }
            // A collection that does not exist has no entries.
            #expect(try scanned(try store.collection("missing", in: "db"), "a_1", bounds: [[.all]]).isEmpty)
        }
    }

    @Test func theIdIndexScansTheCollectionByID() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(contentsOf: [["_id": 3], ["_id": "x"], ["_id": 1.5], ["_id": 10], ["_id": ["k": 1]]])
            #expect(try scanned(collection, "_id_").map(\.id) == [1.5, 3, 10, "x", ["k": 1]])
            let numbers = [IndexInterval(lower: 2, lowerInclusive: false, upper: .double(.infinity), upperInclusive: true)]
            var statistics = IndexScanStatistics()
            let entries = try scanned(collection, "_id_", bounds: [numbers], reverse: true, statistics: &statistics)
            #expect(entries.map(\.id) == [10, 3])
            #expect(entries.map(\.keyValues) == [[10], [3]])
            #expect(statistics.keysExamined == 2)
            #expect(collection.index(named: "_id_")?.isUnique == true)
        }
    }

    @Test func scanningStopsWhenTheBodySaysSo() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1])
            try collection.insert(contentsOf: (0 ..< 10).map { ["a": .int32(Int32($0))] })
            var seen: [BSONValue] = []
            var statistics = IndexScanStatistics()
            try collection.scanIndex(named: "a_1", bounds: [[.all]], statistics: &statistics) { entry in
                seen.append(entry.keyValues[0])
                return seen.count < 3
            }
            #expect(seen == [0, 1, 2])
            #expect(statistics.keysExamined == 3)
        }
    }
}
