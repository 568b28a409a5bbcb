// MongoDB's comparison order: the cross-type order, and the order within each type.

import Testing
@testable import BSON

@Suite("Comparison order")
struct ComparisonTests {
    @Test func crossTypeOrderIsMongoDBs() {
        // One representative per rank, in MongoDB's documented order.
        let ascending: [BSONValue] = [
            .minKey, .undefined, .null, .int32(5), .string("a"), ["a": 1], [1],
            .binary(BSONBinary(bytes: [])), .objectId(ObjectId()), .bool(false),
            .datetime(BSONDateTime(millisecondsSinceEpoch: 0)), .timestamp(BSONTimestamp(timestamp: 0, increment: 0)),
            .regex(BSONRegex(pattern: "a")), .maxKey,
        ]
        for (index, lower) in ascending.enumerated() {
            for higher in ascending[(index + 1)...] {
                #expect(BSONValue.compare(lower, higher) < 0, "\(lower) < \(higher)")
                #expect(BSONValue.compare(higher, lower) > 0, "\(higher) > \(lower)")
            }
        }
    }

    @Test func numbersCompareByValueAcrossTypes() {
        #expect(BSONValue.compare(.int32(1), .double(1.0)) == 0)
        #expect(BSONValue.compare(.int64(1), .decimal128(Decimal128(Int64(1)))) == 0)
        #expect(BSONValue.compare(.double(-0.0), .int32(0)) == 0)
        #expect(BSONValue.compare(.int32(2), .double(2.5)) < 0)
        #expect(BSONValue.compare(.double(.nan), .double(-.infinity)) < 0)
        #expect(BSONValue.compare(.double(.nan), .double(.nan)) == 0)
        // 2^53 + 1 is not representable as a double: the int64 is larger.
        #expect(BSONValue.compare(.int64(9_007_199_254_740_993), .double(9_007_199_254_740_992)) > 0)
        // Int64.max converts to 2^63 as a double; the exact comparison keeps the int smaller.
        #expect(BSONValue.compare(.int64(.max), .double(9_223_372_036_854_775_808.0)) < 0)
    }

    @Test func stringsAndSymbolsCompareByBytes() {
        #expect(BSONValue.compare(.string("a"), .symbol("a")) == 0)
        #expect(BSONValue.compare(.string("B"), .string("a")) < 0)
        #expect(BSONValue.compare(.string("a"), .string("ab")) < 0)
        #expect(BSONValue.compare(.string("a\u{0}"), .string("a")) > 0)
        #expect(BSONValue.compare(.string("\u{E9}"), .string("e\u{301}")) != 0)
    }

    @Test func documentsCompareByTypeThenKeyThenValue() {
        #expect(BSONValue.compareDocuments(["a": 1], ["a": 2]) < 0)
        #expect(BSONValue.compareDocuments(["a": 1], ["b": 0]) < 0)
        #expect(BSONValue.compareDocuments(["b": 1], ["a": "x"]) < 0, "a number sorts before a string whatever the keys")
        #expect(BSONValue.compareDocuments(["a": 1], ["a": 1, "b": 1]) < 0)
        #expect(BSONValue.compareDocuments(["a": 1.0], ["a": 1]) == 0)
    }

    @Test func arraysCompareElementByElement() {
        #expect(BSONValue.compare([1, 2], [1, 3]) < 0)
        #expect(BSONValue.compare([1], [1, 0]) < 0)
        #expect(BSONValue.compare([2], [1, 5]) > 0)
    }

    @Test func binaryComparesByLengthThenSubtypeThenBytes() {
        let short = BSONValue.binary(BSONBinary(subtype: .userDefined, bytes: [0xFF]))
        let long = BSONValue.binary(BSONBinary(subtype: .generic, bytes: [0, 0]))
        #expect(BSONValue.compare(short, long) < 0)
        #expect(BSONValue.compare(.binary(BSONBinary(subtype: .generic, bytes: [9])), .binary(BSONBinary(subtype: .function, bytes: [0]))) < 0)
    }

    @Test func booleansDatesAndTimestampsCompareNaturally() {
        #expect(BSONValue.compare(false, true) < 0)
        #expect(BSONValue.compare(.datetime(BSONDateTime(millisecondsSinceEpoch: -1)), .datetime(BSONDateTime(millisecondsSinceEpoch: 0))) < 0)
        #expect(BSONValue.compare(.timestamp(BSONTimestamp(timestamp: 1, increment: 0)), .timestamp(BSONTimestamp(timestamp: 0, increment: .max))) > 0)
    }
}
