// The positional `$` (the query's matched index), the all-positional `$[]`, and how they
// merge with other paths. Filtered `$[<id>]` needs the real Filter and lives in
// UpdateFilterDependentTests.

import BSON
import Documents
import Testing
@testable import Query

@Suite struct UpdatePositionalTests {
    static let positionalCases: [UpdateCase] = [
        UpdateCase("$ updates the matched element (docs example)", #"{"_id": 1, "grades": [85, 80, 80]}"#,
                   #"{"$set": {"grades.$": 82}}"#, positionalIndex: 1, after: #"{"_id": 1, "grades": [85, 82, 80]}"#),
        UpdateCase("$ into a matched document (docs example)",
                   #"{"_id": 4, "grades": [{"grade": 80, "mean": 75, "std": 8}, {"grade": 85, "mean": 90, "std": 5}, {"grade": 85, "mean": 85, "std": 8}]}"#,
                   #"{"$set": {"grades.$.std": 6}}"#, positionalIndex: 1,
                   after: #"{"_id": 4, "grades": [{"grade": 80, "mean": 75, "std": 8}, {"grade": 85, "mean": 90, "std": 6}, {"grade": 85, "mean": 85, "std": 8}]}"#),
        UpdateCase("$inc through $", #"{"_id": 1, "a": [{"x": 1, "y": 1}, {"x": 2, "y": 2}, {"x": 3, "y": 3}]}"#,
                   #"{"$inc": {"a.$.y": 1}}"#, positionalIndex: 1,
                   after: #"{"_id": 1, "a": [{"x": 1, "y": 1}, {"x": 2, "y": 3}, {"x": 3, "y": 3}]}"#),
        UpdateCase("several operators through $", #"{"_id": 1, "a": [{"x": 1, "y": 1}, {"x": 2, "y": 2}, {"x": 3, "y": 3}]}"#,
                   #"{"$inc": {"a.$.y": 1, "a.$.x": 1}, "$set": {"a.$.foo": 1, "a.$.foo2": 1}}"#, positionalIndex: 1,
                   after: #"{"_id": 1, "a": [{"x": 1, "y": 1}, {"x": 3, "y": 3, "foo": 1, "foo2": 1}, {"x": 3, "y": 3}]}"#),
        UpdateCase("$ beside a fixed index", #"{"_id": 1, "a": [1, 2, 3]}"#, #"{"$set": {"a.$": 5, "a.2": 7}}"#,
                   positionalIndex: 0, after: #"{"_id": 1, "a": [5, 2, 7]}"#),
        UpdateCase("$ and the same fixed index merge into one element", #"{"_id": 1, "a": [{}]}"#,
                   #"{"$set": {"a.$.x": 1, "a.0.y": 2}}"#, positionalIndex: 0, after: #"{"_id": 1, "a": [{"x": 1, "y": 2}]}"#),
        UpdateCase("$ with a field name starting with digits", #"{"_id": 1, "array": [{"123a": {"name": "old"}}]}"#,
                   #"{"$set": {"array.$.123a.name": "new"}}"#, positionalIndex: 0,
                   after: #"{"_id": 1, "array": [{"123a": {"name": "new"}}]}"#),
        UpdateCase("$inc of a scalar element through $", #"{"_id": 2, "x": [1, 2, 3]}"#, #"{"$inc": {"x.$": 1}}"#,
                   positionalIndex: 1, after: #"{"_id": 2, "x": [1, 3, 3]}"#),
        UpdateCase("$ that changes nothing is a no-op", #"{"_id": 1, "a": [1, 2]}"#, #"{"$set": {"a.$": 2}}"#,
                   positionalIndex: 1, after: nil),
    ]

    @Test(arguments: positionalCases) func positional(_ testCase: UpdateCase) { testCase.check() }

    static let allPositionalCases: [UpdateCase] = [
        UpdateCase("$[] updates every element (docs example)", #"{"_id": 1, "grades": [85, 82, 80]}"#,
                   #"{"$inc": {"grades.$[]": 10}}"#, after: #"{"_id": 1, "grades": [95, 92, 90]}"#),
        UpdateCase("$[] into every document (docs example)",
                   #"{"_id": 2, "grades": [{"grade": 90, "mean": 75, "std": 8}, {"grade": 87, "mean": 90, "std": 6}]}"#,
                   #"{"$inc": {"grades.$[].std": -2}}"#,
                   after: #"{"_id": 2, "grades": [{"grade": 90, "mean": 75, "std": 6}, {"grade": 87, "mean": 90, "std": 4}]}"#),
        UpdateCase("nested $[]", #"{"_id": 1, "a": [{"b": [1, 2]}, {"b": [3]}]}"#, #"{"$set": {"a.$[].b.$[]": 0}}"#,
                   after: #"{"_id": 1, "a": [{"b": [0, 0]}, {"b": [0]}]}"#),
        UpdateCase("$[] on an empty array is a no-op", #"{"_id": 1, "a": []}"#, #"{"$set": {"a.$[]": 1}}"#, after: nil),
        UpdateCase("$[] creates a field in every element", #"{"_id": 1, "a": [{"x": 1}, {}]}"#,
                   #"{"$set": {"a.$[].y": 0}}"#, after: #"{"_id": 1, "a": [{"x": 1, "y": 0}, {"y": 0}]}"#),
        UpdateCase("$[] with $push into each element", #"{"_id": 1, "a": [{"b": [1]}, {}]}"#,
                   #"{"$push": {"a.$[].b": 9}}"#, after: #"{"_id": 1, "a": [{"b": [1, 9]}, {"b": [9]}]}"#),
        UpdateCase("$unset through $[] nulls every element", #"{"_id": 1, "a": [1, 2]}"#, #"{"$unset": {"a.$[]": ""}}"#,
                   after: #"{"_id": 1, "a": [null, null]}"#),
        UpdateCase("$[] beside a path outside the array", #"{"_id": 1, "a": [1, 2], "n": 0}"#,
                   #"{"$inc": {"a.$[]": 1, "n": 1}}"#, after: #"{"_id": 1, "a": [2, 3], "n": 1}"#),
        UpdateCase("$[] where only some elements change", #"{"_id": 1, "a": [5, 1]}"#, #"{"$max": {"a.$[]": 3}}"#,
                   after: #"{"_id": 1, "a": [5, 3]}"#),
        UpdateCase("$[] and a field beside it in the same documents", #"{"_id": 1, "a": [{"x": 1}, {"x": 2}]}"#,
                   #"{"$set": {"a.$[].y": 0}, "$inc": {"a.$[].x": 10}}"#,
                   after: #"{"_id": 1, "a": [{"x": 11, "y": 0}, {"x": 12, "y": 0}]}"#),
    ]

    @Test(arguments: allPositionalCases) func allPositional(_ testCase: UpdateCase) { testCase.check() }

    @Test func positionalUsageIsReported() throws {
        #expect(try Update(document(#"{"$set": {"a.$.b": 1}}"#)).usesPositionalOperator)
        #expect(try !Update(document(#"{"$set": {"a.$[].b": 1}}"#)).usesPositionalOperator)
        #expect(try !Update(document(#"{"$set": {"a": 1}}"#)).usesPositionalOperator)
    }
}
