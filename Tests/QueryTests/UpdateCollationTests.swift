// Update operators under a collation, as pure functions: arrayFilters, $addToSet, $pull,
// $pullAll, $push's $sort and $min/$max compare strings under the update's collator
// (case-insensitive English, or numeric ordering), and binary without one.

import BSON
import Collation
import Testing
@testable import Query

@Suite struct UpdateCollationTests {
    static func collator(_ spec: BSONDocument) throws -> Collator {
        try #require(try Collator.make(spec))
    }

    static func apply(_ update: String, to before: String, arrayFilters: [String] = [],
                      collator: Collator?) throws -> BSONDocument {
        try Update(document(update), arrayFilters: arrayFilters.map(document), collator: collator)
            .apply(to: document(before), positionalIndex: nil, now: updateTestNow).document
    }

    @Test func equalityOperatorsFollowACaseInsensitiveCollation() throws {
        let insensitive = try Self.collator(["locale": "en", "strength": .int32(2)])
        let cases: [(update: String, before: String, filters: [String], collated: String, binary: String)] = [
            (#"{"$set": {"a.$[e]": "x"}}"#, #"{"_id": 1, "a": ["Foo", "bar"]}"#, [#"{"e": "foo"}"#],
             #"{"_id": 1, "a": ["x", "bar"]}"#, #"{"_id": 1, "a": ["Foo", "bar"]}"#),
            (#"{"$addToSet": {"a": {"$each": ["RED", "blue", "BLUE"]}}}"#, #"{"_id": 1, "a": ["red"]}"#, [],
             #"{"_id": 1, "a": ["red", "blue"]}"#, #"{"_id": 1, "a": ["red", "RED", "blue", "BLUE"]}"#),
            (#"{"$pull": {"a": "RED"}}"#, #"{"_id": 1, "a": ["red", "Red", "blue"]}"#, [],
             #"{"_id": 1, "a": ["blue"]}"#, #"{"_id": 1, "a": ["red", "Red", "blue"]}"#),
            (#"{"$pull": {"a": {"name": "APPLE"}}}"#, #"{"_id": 1, "a": [{"name": "apple"}, {"name": "pear"}]}"#, [],
             #"{"_id": 1, "a": [{"name": "pear"}]}"#, #"{"_id": 1, "a": [{"name": "apple"}, {"name": "pear"}]}"#),
            (#"{"$pull": {"a": {"$in": ["BLUE"]}}}"#, #"{"_id": 1, "a": ["blue", "red"]}"#, [],
             #"{"_id": 1, "a": ["red"]}"#, #"{"_id": 1, "a": ["blue", "red"]}"#),
            (#"{"$pullAll": {"a": ["RED"]}}"#, #"{"_id": 1, "a": ["red", "blue"]}"#, [],
             #"{"_id": 1, "a": ["blue"]}"#, #"{"_id": 1, "a": ["red", "blue"]}"#),
        ]
        for testCase in cases {
            #expect(try Self.apply(testCase.update, to: testCase.before, arrayFilters: testCase.filters, collator: insensitive)
                    == document(testCase.collated), "\(testCase.update)")
            #expect(try Self.apply(testCase.update, to: testCase.before, arrayFilters: testCase.filters, collator: nil)
                    == document(testCase.binary), "\(testCase.update)")
        }
    }

    @Test func orderingOperatorsFollowNumericOrdering() throws {
        let numeric = try Self.collator(["locale": "en", "numericOrdering": true])
        let push = #"{"$push": {"a": {"$each": ["2"], "$sort": 1}, "d": {"$each": [{"k": "2"}], "$sort": {"k": -1}}}}"#
        let before = #"{"_id": 1, "a": ["10", "9"], "d": [{"k": "10"}, {"k": "9"}]}"#
        #expect(try Self.apply(push, to: before, collator: numeric)
                == document(#"{"_id": 1, "a": ["2", "9", "10"], "d": [{"k": "10"}, {"k": "9"}, {"k": "2"}]}"#))
        #expect(try Self.apply(push, to: before, collator: nil)
                == document(#"{"_id": 1, "a": ["10", "2", "9"], "d": [{"k": "9"}, {"k": "2"}, {"k": "10"}]}"#))
        let bounds = #"{"$min": {"low": "9"}, "$max": {"high": "10"}}"#
        let values = #"{"_id": 1, "low": "10", "high": "9"}"#
        #expect(try Self.apply(bounds, to: values, collator: numeric) == document(#"{"_id": 1, "low": "9", "high": "10"}"#))
        #expect(try Self.apply(bounds, to: values, collator: nil) == document(values))
    }
}
