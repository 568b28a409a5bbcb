// SortSpec against MongoDB's documented sort order: BSON comparison order across types,
// missing as null, arrays by their smallest (ascending) or largest (descending) element,
// the empty array before null, dotted paths through arrays, stable ties, and top-k.

import BSON
import Documents
import Testing
@testable import Query

/// Documents (each with an `_id`), a sort, and the `_id`s in expected order.
struct SortCase: CustomTestStringConvertible, Sendable {
    let name: String
    let sort: String
    let documents: [String]
    let expectedIds: [Int32]

    var testDescription: String { name }
}

private func ids(_ documents: [BSONDocument]) -> [Int32] {
    documents.map { document in
        if case .int32(let id)? = document["_id"] { return id }
        return -1
    }
}

@Suite struct SortOrderTests {
    static let cases: [SortCase] = [
        .init(name: "ascendingNumbers", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": 3}"#, #"{"_id": 2, "a": 1}"#, #"{"_id": 3, "a": 2}"#], expectedIds: [2, 3, 1]),
        .init(name: "descendingNumbers", sort: #"{"a": -1}"#,
              documents: [#"{"_id": 1, "a": 3}"#, #"{"_id": 2, "a": 1}"#, #"{"_id": 3, "a": 2}"#], expectedIds: [1, 3, 2]),
        .init(name: "numbersCompareByValueAcrossTypes", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": 2}"#, #"{"_id": 2, "a": 1.5}"#, #"{"_id": 3, "a": {"$numberLong": "3"}}"#,
                          #"{"_id": 4, "a": {"$numberDecimal": "2.5"}}"#, #"{"_id": 5, "a": 1}"#],
              expectedIds: [5, 2, 1, 4, 3]),
        .init(name: "bsonTypeOrderAscending", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": {"$maxKey": 1}}"#, #"{"_id": 2, "a": {"$regularExpression": {"pattern": "x", "options": ""}}}"#,
                          #"{"_id": 3, "a": {"$timestamp": {"t": 1, "i": 1}}}"#, #"{"_id": 4, "a": {"$date": "2020-01-01T00:00:00Z"}}"#,
                          #"{"_id": 5, "a": true}"#, #"{"_id": 6, "a": {"$oid": "507f1f77bcf86cd799439011"}}"#,
                          #"{"_id": 7, "a": {"$binary": {"base64": "AA==", "subType": "00"}}}"#, #"{"_id": 8, "a": {"x": 1}}"#,
                          #"{"_id": 9, "a": "s"}"#, #"{"_id": 10, "a": 5}"#, #"{"_id": 11, "a": null}"#, #"{"_id": 12, "a": {"$minKey": 1}}"#],
              expectedIds: [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
        .init(name: "bsonTypeOrderDescending", sort: #"{"a": -1}"#,
              documents: [#"{"_id": 1, "a": "s"}"#, #"{"_id": 2, "a": 5}"#, #"{"_id": 3, "a": true}"#, #"{"_id": 4, "a": null}"#, #"{"_id": 5, "a": {"x": 1}}"#],
              expectedIds: [3, 5, 1, 2, 4]),
        .init(name: "missingSortsAsNullAndTiesKeepInputOrder", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": null}"#, #"{"_id": 2}"#, #"{"_id": 3, "a": 0}"#, #"{"_id": 4, "a": null}"#],
              expectedIds: [1, 2, 4, 3]),
        .init(name: "missingAndNullTieDescendingToo", sort: #"{"a": -1}"#,
              documents: [#"{"_id": 1, "a": null}"#, #"{"_id": 2}"#, #"{"_id": 3, "a": 0}"#, #"{"_id": 4, "a": null}"#],
              expectedIds: [3, 1, 2, 4]),
        .init(name: "ascendingArrayUsesSmallestElement", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": [5, 1]}"#, #"{"_id": 2, "a": 2}"#, #"{"_id": 3, "a": [3, 4]}"#], expectedIds: [1, 2, 3]),
        .init(name: "descendingArrayUsesLargestElement", sort: #"{"a": -1}"#,
              documents: [#"{"_id": 1, "a": [5, 1]}"#, #"{"_id": 2, "a": 2}"#, #"{"_id": 3, "a": [3, 4]}"#], expectedIds: [1, 3, 2]),
        .init(name: "singleElementArrayComparesAsItsElement", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": [3]}"#, #"{"_id": 2, "a": 2}"#], expectedIds: [2, 1]),
        .init(name: "arrayOfMixedTypesUsesSmallestInBsonOrder", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": ["x", 10]}"#, #"{"_id": 2, "a": 5}"#], expectedIds: [2, 1]),
        .init(name: "arrayOfMixedTypesDescendingUsesLargest", sort: #"{"a": -1}"#,
              documents: [#"{"_id": 1, "a": ["x", 10]}"#, #"{"_id": 2, "a": "y"}"#, #"{"_id": 3, "a": 50}"#], expectedIds: [2, 1, 3]),
        .init(name: "emptyArraySortsBeforeNullAndMissing", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": null}"#, #"{"_id": 2, "a": []}"#, #"{"_id": 3}"#, #"{"_id": 4, "a": 0}"#],
              expectedIds: [2, 1, 3, 4]),
        .init(name: "emptyArraySortsLastDescending", sort: #"{"a": -1}"#,
              documents: [#"{"_id": 1, "a": null}"#, #"{"_id": 2, "a": []}"#, #"{"_id": 3}"#, #"{"_id": 4, "a": 0}"#],
              expectedIds: [4, 1, 3, 2]),
        .init(name: "dottedPathThroughArrayOfDocumentsAscending", sort: #"{"a.b": 1}"#,
              documents: [#"{"_id": 1, "a": [{"b": 5}, {"b": 1}]}"#, #"{"_id": 2, "a": [{"b": 2}]}"#, #"{"_id": 3, "a": {"b": 3}}"#],
              expectedIds: [1, 2, 3]),
        .init(name: "dottedPathThroughArrayOfDocumentsDescending", sort: #"{"a.b": -1}"#,
              documents: [#"{"_id": 1, "a": [{"b": 5}, {"b": 1}]}"#, #"{"_id": 2, "a": [{"b": 2}]}"#, #"{"_id": 3, "a": {"b": 3}}"#],
              expectedIds: [1, 3, 2]),
        .init(name: "arrayElementWithoutFieldCountsAsNull", sort: #"{"a.b": 1}"#,
              documents: [#"{"_id": 1, "a": [{"b": 2}]}"#, #"{"_id": 2, "a": [{"b": 5}, {"c": 1}]}"#, #"{"_id": 3, "a": [{"b": 7}]}"#],
              expectedIds: [2, 1, 3]),
        .init(name: "arrayElementWithoutFieldDescending", sort: #"{"a.b": -1}"#,
              documents: [#"{"_id": 1, "a": [{"b": 2}]}"#, #"{"_id": 2, "a": [{"b": 5}, {"c": 1}]}"#, #"{"_id": 3, "a": [{"b": 7}]}"#],
              expectedIds: [3, 2, 1]),
        .init(name: "arrayValuesInsideArrayOfDocuments", sort: #"{"a.b": 1}"#,
              documents: [#"{"_id": 1, "a": [{"b": [9, 4]}, {"b": 6}]}"#, #"{"_id": 2, "a": [{"b": 5}]}"#], expectedIds: [1, 2]),
        .init(name: "missingEmbeddedFieldSortsAsNull", sort: #"{"a.b": 1}"#,
              documents: [#"{"_id": 1, "a": {"b": 1}}"#, #"{"_id": 2, "a": {"c": 1}}"#, #"{"_id": 3, "a": 4}"#], expectedIds: [2, 3, 1]),
        .init(name: "compoundAscendingThenDescending", sort: #"{"a": 1, "b": -1}"#,
              documents: [#"{"_id": 1, "a": 1, "b": 1}"#, #"{"_id": 2, "a": 1, "b": 2}"#, #"{"_id": 3, "a": 0, "b": 5}"#, #"{"_id": 4, "a": 1, "b": 0}"#],
              expectedIds: [3, 2, 1, 4]),
        // Keys on paths through the same array are taken element by element, as index keys are.
        .init(name: "compoundKeysThroughOneArrayPairElements", sort: #"{"a.x": 1, "a.y": 1}"#,
              documents: [#"{"_id": 1, "a": [{"x": 1, "y": 5}, {"x": 2, "y": 0}]}"#, #"{"_id": 2, "a": [{"x": 1, "y": 3}]}"#],
              expectedIds: [2, 1]),
        .init(name: "compoundWithOneArrayKey", sort: #"{"a": 1, "b": 1}"#,
              documents: [#"{"_id": 1, "a": [2, 1], "b": 9}"#, #"{"_id": 2, "a": 1, "b": 3}"#], expectedIds: [2, 1]),
        .init(name: "stringsCompareByBytes", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": "b"}"#, #"{"_id": 2, "a": "B"}"#, #"{"_id": 3, "a": "a"}"#, #"{"_id": 4, "a": "ab"}"#],
              expectedIds: [2, 3, 4, 1]),
        .init(name: "documentsCompareFieldByField", sort: #"{"a": 1}"#,
              documents: [#"{"_id": 1, "a": {"x": 1, "y": 1}}"#, #"{"_id": 2, "a": {"x": 1}}"#, #"{"_id": 3, "a": {"x": 0, "z": 9}}"#],
              expectedIds: [3, 2, 1]),
        .init(name: "numericComponentIndexesArray", sort: #"{"a.0": 1}"#,
              documents: [#"{"_id": 1, "a": [5, 1]}"#, #"{"_id": 2, "a": [3]}"#], expectedIds: [2, 1]),
        .init(name: "sortById", sort: #"{"_id": -1}"#,
              documents: [#"{"_id": 2}"#, #"{"_id": 3}"#, #"{"_id": 1}"#], expectedIds: [3, 2, 1]),
        .init(name: "emptySortKeepsInputOrder", sort: "{}",
              documents: [#"{"_id": 2}"#, #"{"_id": 3}"#, #"{"_id": 1}"#], expectedIds: [2, 3, 1]),
        .init(name: "equalKeysKeepInputOrder", sort: #"{"k": 1}"#,
              documents: (1...8).map { #"{"_id": \#($0), "k": \#($0 % 2)}"# }, expectedIds: [2, 4, 6, 8, 1, 3, 5, 7]),
        .init(name: "equalKeysKeepInputOrderDescending", sort: #"{"k": -1}"#,
              documents: (1...8).map { #"{"_id": \#($0), "k": \#($0 % 2)}"# }, expectedIds: [1, 3, 5, 7, 2, 4, 6, 8]),
    ]

    @Test(arguments: cases) func sorts(_ c: SortCase) throws {
        let spec = try SortSpec(ejsonDocument(c.sort))
        let documents = c.documents.map(ejsonDocument)
        #expect(ids(spec.sorted(documents)) == c.expectedIds, "\(c.name)")
        #expect(ids(try spec.validatedSorted(documents)) == c.expectedIds, "\(c.name)")
        #expect(ids(spec.top(documents.count, of: documents)) == c.expectedIds, "\(c.name) via top")
    }
}

@Suite struct SortKeyTests {
    @Test func keysFollowTheSpecification() throws {
        let spec = try SortSpec(ejsonDocument(#"{"a": 1, "b.c": -1}"#))
        #expect(spec.keys == [SortKey(path: FieldPath(components: ["a"]), ascending: true),
                              SortKey(path: FieldPath(components: ["b", "c"]), ascending: false)])
    }

    @Test func directionsMayBeAnyNumericType() throws {
        let spec = try SortSpec(ejsonDocument(#"{"a": 1.0, "b": {"$numberLong": "-1"}, "c": {"$numberDecimal": "1"}, "d": 1.5, "e": -1.9}"#))
        #expect(spec.keys.map(\.ascending) == [true, false, true, true, false])
    }

    @Test func arrayKeyIsSmallestAscendingLargestDescending() throws {
        let document = ejsonDocument(#"{"a": [5, 1, 3]}"#)
        #expect(try SortSpec(ejsonDocument(#"{"a": 1}"#)).sortKey(for: document) == [.int32(1)])
        #expect(try SortSpec(ejsonDocument(#"{"a": -1}"#)).sortKey(for: document) == [.int32(5)])
    }

    @Test func emptyArrayKeyIsUndefinedAndMissingIsNull() throws {
        let spec = try SortSpec(ejsonDocument(#"{"a": 1}"#))
        #expect(spec.sortKey(for: ejsonDocument(#"{"a": []}"#)) == [.undefined])
        #expect(spec.sortKey(for: ejsonDocument(#"{"b": 1}"#)) == [.null])
        #expect(try SortSpec(ejsonDocument(#"{"a.b": 1}"#)).sortKey(for: ejsonDocument(#"{"a": []}"#)) == [.null])
    }

    @Test func compareKeysHonoursDirection() throws {
        let spec = try SortSpec(ejsonDocument(#"{"a": 1, "b": -1}"#))
        #expect(spec.compareKeys([1, 1], [2, 0]) < 0)
        #expect(spec.compareKeys([1, 1], [1, 2]) > 0)
        #expect(spec.compareKeys([1, 1.0], [1.0, 1]) == 0)
    }

    @Test func parallelArraysAreRejectedWhenValidating() throws {
        let spec = try SortSpec(ejsonDocument(#"{"a": 1, "b": 1}"#))
        let document = ejsonDocument(#"{"a": [1, 2], "b": [3, 4]}"#)
        #expect(throws: MongoError(.badValue, "cannot sort with keys that are parallel arrays")) {
            try spec.validatedSortKey(for: document)
        }
        #expect(throws: MongoError.self) { try spec.validatedSorted([document]) }
        #expect(throws: MongoError.self) { try spec.validatedTop(1, of: [document]) }
        // The non-throwing key reduces each path on its own.
        #expect(spec.sortKey(for: document) == [.int32(1), .int32(3)])
    }

    @Test func arraysUnderDifferentParentsAreParallel() throws {
        let spec = try SortSpec(ejsonDocument(#"{"a.x": 1, "a.y": 1}"#))
        #expect(throws: MongoError.self) { try spec.validatedSortKey(for: ejsonDocument(#"{"a": {"x": [1], "y": [2]}}"#)) }
        #expect(try spec.validatedSortKey(for: ejsonDocument(#"{"a": {"x": [1, 0], "y": 2}}"#)) == [.int32(0), .int32(2)])
    }
}

@Suite struct SortTopTests {
    /// Documents with few distinct keys (many ties), some arrays and some missing keys.
    static func documents(count: Int, seed: UInt64) -> [BSONDocument] {
        var state = seed
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: (state >> 33) % 1000)
        }
        return (0..<count).map { index in
            var document: BSONDocument = ["_id": .int32(Int32(index))]
            switch next() % 5 {
            case 0: break
            case 1: document["k"] = .array([.int32(Int32(next() % 7)), .int32(Int32(next() % 7))])
            case 2: document["k"] = .double(Double(next() % 7) / 2)
            default: document["k"] = .int32(Int32(next() % 7))
            }
            return document
        }
    }

    @Test(arguments: [0, 1, 5, 37, 200, 250])
    func topIsThePrefixOfTheStableSort(limit: Int) throws {
        let documents = Self.documents(count: 200, seed: 42)
        for sort in [#"{"k": 1}"#, #"{"k": -1}"#, #"{"k": 1, "_id": -1}"#] {
            let spec = try SortSpec(ejsonDocument(sort))
            let expected = Array(spec.sorted(documents).prefix(limit))
            #expect(spec.top(limit, of: documents) == expected, "\(sort) limit \(limit)")
            #expect(try spec.validatedTop(limit, of: documents) == expected, "\(sort) limit \(limit)")
        }
    }

    @Test func topAcceptsAnySequence() throws {
        let spec = try SortSpec(ejsonDocument(#"{"k": -1}"#))
        let lazy = (0..<50).lazy.map { (index: Int) -> BSONDocument in
            let id = BSONValue.int32(Int32(index))
            let key = BSONValue.int32(Int32(index % 10))
            return BSONDocument([("_id", id), ("k", key)])
        }
        #expect(ids(spec.top(3, of: lazy)) == [9, 19, 29])
    }

    @Test func negativeLimitReturnsNothing() throws {
        #expect(try SortSpec(ejsonDocument(#"{"k": 1}"#)).top(-1, of: [ejsonDocument(#"{"k": 1}"#)]).isEmpty)
    }
}

/// A sort specification that must fail with `code` (and `message` when given).
struct SortErrorCase: CustomTestStringConvertible, Sendable {
    let name: String
    let sort: BSONDocument
    let code: Int32
    var codeName: String? = nil
    var message: String? = nil

    var testDescription: String { name }
}

@Suite struct SortErrorTests {
    static let cases: [SortErrorCase] = [
        .init(name: "stringDirection", sort: ["asc": "123"], code: 15974, message: #"Illegal key in $sort specification: asc: "123""#),
        .init(name: "booleanDirection", sort: ["a": true], code: 15974, message: "Illegal key in $sort specification: a: true"),
        .init(name: "nullDirection", sort: ["a": nil], code: 15974, message: "Illegal key in $sort specification: a: null"),
        .init(name: "arrayDirection", sort: ["a": [1]], code: 15974),
        .init(name: "directionTwo", sort: ["a": 2], code: 15975,
              message: "$sort key ordering must be 1 (for ascending) or -1 (for descending)"),
        .init(name: "directionZero", sort: ["a": 0], code: 15975),
        .init(name: "directionTruncatesTo42", sort: ["asc": 42.12], code: 15975),
        .init(name: "directionHuge", sort: ["asc": .int64(.max)], code: 15975),
        .init(name: "directionNaN", sort: ["a": .double(.nan)], code: 15975),
        .init(name: "directionMinusTwo", sort: ["a": -2], code: 15975),
        .init(name: "emptyFieldName", sort: ["": 1], code: 40352, message: "FieldPath cannot be constructed with empty string"),
        .init(name: "emptyPathComponent", sort: ["a..b": 1], code: 15998, message: "FieldPath field names may not be empty strings."),
        .init(name: "trailingDot", sort: ["a.": 1], code: 40353, message: "FieldPath must not end with a '.'."),
        .init(name: "dollarPrefixedField", sort: ["$a": 1], code: 16410,
              message: "FieldPath field names may not start with '$'. Consider using $getField or $setField."),
        .init(name: "duplicateKey", sort: BSONDocument([("a", 1), ("a", -1)]), code: 7472500,
              message: "$sort key must not contain duplicate keys (duplicate: 'a')"),
        .init(name: "expressionOtherThanMeta", sort: ["a": ["$add": [1, 2]]], code: 17312,
              message: "$meta is the only expression supported by $sort right now"),
        .init(name: "emptyObject", sort: ["a": [:]], code: 17312),
        .init(name: "metaWithExtraKeys", sort: ["a": ["$meta": "textScore", "b": 1]], code: 9, codeName: "FailedToParse",
              message: "Cannot have additional keys in a $meta sort specification"),
        .init(name: "unknownMeta", sort: ["a": ["$meta": "foo"]], code: 31138, message: #"Illegal $meta sort: $meta: "foo""#),
        .init(name: "textScoreWithoutTextSearch", sort: ["a": ["$meta": "textScore"]], code: 40218,
              message: "query requires text score metadata, but it is not available"),
        .init(name: "randValNotSupported", sort: ["a": ["$meta": "randVal"]], code: 238, codeName: "NotImplemented"),
        .init(name: "moreThan32Keys", sort: BSONDocument((0...32).map { ("k\($0)", BSONValue.int32(1)) }), code: 13103,
              message: "too many compound keys"),
    ]

    @Test func thirtyTwoKeysSort() throws {
        let spec = try SortSpec(BSONDocument((0..<SortSpec.maximumKeys).map { ("k\($0)", BSONValue.int32($0 % 2 == 0 ? 1 : -1)) }))
        #expect(spec.keys.count == 32)
    }

    @Test(arguments: cases) func fails(_ c: SortErrorCase) {
        do {
            _ = try SortSpec(c.sort)
            Issue.record("\(c.name): parsed without error")
        } catch {
            #expect(error.code.rawValue == c.code, "\(c.name): \(error)")
            #expect(error.code.name == (c.codeName ?? "Location\(c.code)"), "\(c.name)")
            if let message = c.message { #expect(error.message == message, "\(c.name)") }
        }
    }
}
