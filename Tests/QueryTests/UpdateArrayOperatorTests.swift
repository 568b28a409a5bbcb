// $push (with $each, $slice, $sort, $position), $addToSet, $pop, $pull and $pullAll.
// Expected documents are the examples of MongoDB's operator reference pages where they have
// one. $pull with query conditions needs the real Filter (see UpdateFilterDependentTests).

import BSON
import Documents
import Testing
@testable import Query

@Suite struct UpdateArrayOperatorTests {
    static let pushCases: [UpdateCase] = [
        UpdateCase("$push a value (docs example)", #"{"_id": 1, "scores": [44, 78, 38, 80]}"#,
                   #"{"$push": {"scores": 89}}"#, after: #"{"_id": 1, "scores": [44, 78, 38, 80, 89]}"#),
        UpdateCase("$push $each (docs example)", #"{"_id": 1, "scores": [44]}"#,
                   #"{"$push": {"scores": {"$each": [90, 92, 85]}}}"#, after: #"{"_id": 1, "scores": [44, 90, 92, 85]}"#),
        UpdateCase("$push an array value pushes it as one element", #"{"_id": 1, "a": [1]}"#,
                   #"{"$push": {"a": [2, 3]}}"#, after: #"{"_id": 1, "a": [1, [2, 3]]}"#),
        UpdateCase("$push to a missing field creates the array", #"{"_id": 1}"#,
                   #"{"$push": {"field.subfield.subsubfield": "value"}}"#,
                   after: #"{"_id": 1, "field": {"subfield": {"subsubfield": ["value"]}}}"#),
        UpdateCase("$push to several fields", #"{"_id": 1, "field": "value"}"#,
                   #"{"$push": {"field1": "value", "field2": "value2"}}"#,
                   after: #"{"_id": 1, "field": "value", "field1": ["value"], "field2": ["value2"]}"#),
        UpdateCase("$push a duplicate value", #"{"_id": 1, "a": ["value"]}"#, #"{"$push": {"a": "value"}}"#,
                   after: #"{"_id": 1, "a": ["value", "value"]}"#),
        UpdateCase("$push a document without $each pushes it whole", #"{"_id": 1, "a": []}"#,
                   #"{"$push": {"a": {"$slice": 2}}}"#, after: #"{"_id": 1, "a": [{"$slice": 2}]}"#),
        UpdateCase("$push $each $sort $slice (docs example)",
                   #"{"_id": 5, "quizzes": [{"wk": 1, "score": 10}, {"wk": 2, "score": 8}, {"wk": 3, "score": 5}, {"wk": 4, "score": 6}]}"#,
                   #"{"$push": {"quizzes": {"$each": [{"wk": 5, "score": 8}, {"wk": 6, "score": 7}, {"wk": 7, "score": 6}], "$sort": {"score": -1}, "$slice": 3}}}"#,
                   after: #"{"_id": 5, "quizzes": [{"wk": 1, "score": 10}, {"wk": 2, "score": 8}, {"wk": 5, "score": 8}]}"#),
        UpdateCase("$position 0 (docs example)", #"{"_id": 1, "scores": [100]}"#,
                   #"{"$push": {"scores": {"$each": [50, 60, 70], "$position": 0}}}"#,
                   after: #"{"_id": 1, "scores": [50, 60, 70, 100]}"#),
        UpdateCase("$position in the middle (docs example)", #"{"_id": 1, "scores": [50, 60, 70, 100]}"#,
                   #"{"$push": {"scores": {"$each": [20, 30], "$position": 2}}}"#,
                   after: #"{"_id": 1, "scores": [50, 60, 20, 30, 70, 100]}"#),
        UpdateCase("$position negative counts from the end (docs example)", #"{"_id": 1, "scores": [50, 60, 20, 30, 70, 100]}"#,
                   #"{"$push": {"scores": {"$each": [90, 80], "$position": -2}}}"#,
                   after: #"{"_id": 1, "scores": [50, 60, 20, 30, 90, 80, 70, 100]}"#),
        UpdateCase("$position past the end appends", #"{"_id": 1, "value": [1, 2]}"#,
                   #"{"$push": {"value": {"$each": [3, 4], "$position": 10}}}"#, after: #"{"_id": 1, "value": [1, 2, 3, 4]}"#),
        UpdateCase("$position negative past the start prepends", #"{"_id": 1, "value": [1, 2]}"#,
                   #"{"$push": {"value": {"$each": [0], "$position": -5}}}"#, after: #"{"_id": 1, "value": [0, 1, 2]}"#),
        UpdateCase("$slice negative keeps the end (docs example)", #"{"_id": 1, "scores": [40, 50, 60]}"#,
                   #"{"$push": {"scores": {"$each": [80, 78, 86], "$slice": -5}}}"#,
                   after: #"{"_id": 1, "scores": [50, 60, 80, 78, 86]}"#),
        UpdateCase("$slice positive keeps the start (docs example)", #"{"_id": 2, "scores": [89, 90]}"#,
                   #"{"$push": {"scores": {"$each": [100, 20], "$slice": 3}}}"#, after: #"{"_id": 2, "scores": [89, 90, 100]}"#),
        UpdateCase("$slice with empty $each only trims (docs example)", #"{"_id": 3, "scores": [89, 70, 100, 20]}"#,
                   #"{"$push": {"scores": {"$each": [], "$slice": -3}}}"#, after: #"{"_id": 3, "scores": [70, 100, 20]}"#),
        UpdateCase("$slice 0 empties the array", #"{"_id": 1, "a": [1, 2]}"#,
                   #"{"$push": {"a": {"$each": [3], "$slice": 0}}}"#, after: #"{"_id": 1, "a": []}"#),
        UpdateCase("$sort by a field, stable for ties (docs example)", #"{"_id": 1, "quizzes": [{"id": 1, "score": 6}, {"id": 2, "score": 9}]}"#,
                   #"{"$push": {"quizzes": {"$each": [{"id": 3, "score": 8}, {"id": 4, "score": 7}, {"id": 5, "score": 6}], "$sort": {"score": 1}}}}"#,
                   after: #"{"_id": 1, "quizzes": [{"id": 1, "score": 6}, {"id": 5, "score": 6}, {"id": 4, "score": 7}, {"id": 3, "score": 8}, {"id": 2, "score": 9}]}"#),
        UpdateCase("$sort whole values ascending (docs example)", #"{"_id": 2, "tests": [89, 70, 89, 50]}"#,
                   #"{"$push": {"tests": {"$each": [40, 60], "$sort": 1}}}"#, after: #"{"_id": 2, "tests": [40, 50, 60, 70, 89, 89]}"#),
        UpdateCase("$sort with empty $each only sorts (docs example)", #"{"_id": 3, "tests": [89, 70, 100, 20]}"#,
                   #"{"$push": {"tests": {"$each": [], "$sort": -1}}}"#, after: #"{"_id": 3, "tests": [100, 89, 70, 20]}"#),
        UpdateCase("$sort by a field puts non-documents with the missing values", #"{"_id": 1, "a": [{"v": 2}, 5, {"v": 1}]}"#,
                   #"{"$push": {"a": {"$each": [], "$sort": {"v": 1}}}}"#, after: #"{"_id": 1, "a": [5, {"v": 1}, {"v": 2}]}"#),
        UpdateCase("$sort by a dotted field", #"{"_id": 1, "a": [{"x": {"y": 3}}, {"x": {"y": 1}}]}"#,
                   #"{"$push": {"a": {"$each": [{"x": {"y": 2}}], "$sort": {"x.y": -1}}}}"#,
                   after: #"{"_id": 1, "a": [{"x": {"y": 3}}, {"x": {"y": 2}}, {"x": {"y": 1}}]}"#),
        UpdateCase("$sort whole values across types", #"{"_id": 1, "v": [6, 5, 3, 1]}"#,
                   #"{"$push": {"v": {"$each": [{"value": 1}, "b"], "$sort": 1}}}"#,
                   after: #"{"_id": 1, "v": [1, 3, 5, 6, "b", {"value": 1}]}"#),
        UpdateCase("$push $each to a missing field applies $slice", #"{"_id": 1}"#,
                   #"{"$push": {"v": {"$each": ["a", "b", "c"], "$slice": 2}}}"#, after: #"{"_id": 1, "v": ["a", "b"]}"#),
        UpdateCase("$push $each [] without modifiers is a no-op", #"{"_id": 1, "a": [1]}"#,
                   #"{"$push": {"a": {"$each": []}}}"#, after: nil),
    ]

    @Test(arguments: pushCases) func push(_ testCase: UpdateCase) { testCase.check() }

    @Test func pushSortOfASortedArrayStillCountsAsModified() throws {
        // MongoDB's PushNode reports a normal update whenever $sort is given.
        let sorted = document(#"{"_id": 1, "a": [1, 2, 3]}"#)
        let outcome = try Update(document(#"{"$push": {"a": {"$each": [], "$sort": 1}}}"#))
            .apply(to: sorted, positionalIndex: nil, now: updateTestNow)
        #expect(outcome.document == sorted)
        #expect(outcome.modified)
    }

    static let addToSetCases: [UpdateCase] = [
        UpdateCase("$addToSet an array value adds it as one element (docs example)", #"{"_id": 1, "letters": ["a", "b"]}"#,
                   #"{"$addToSet": {"letters": ["c", "d"]}}"#, after: #"{"_id": 1, "letters": ["a", "b", ["c", "d"]]}"#),
        UpdateCase("$addToSet a new value (docs example)", #"{"_id": 1, "item": "polarizing_filter", "tags": ["electronics", "camera"]}"#,
                   #"{"$addToSet": {"tags": "accessories"}}"#,
                   after: #"{"_id": 1, "item": "polarizing_filter", "tags": ["electronics", "camera", "accessories"]}"#),
        UpdateCase("$addToSet an existing value is a no-op (docs example)", #"{"_id": 1, "tags": ["electronics", "camera"]}"#,
                   #"{"$addToSet": {"tags": "camera"}}"#, after: nil),
        UpdateCase("$addToSet $each (docs example)", #"{"_id": 2, "item": "cable", "tags": ["electronics", "supplies"]}"#,
                   #"{"$addToSet": {"tags": {"$each": ["camera", "electronics", "accessories"]}}}"#,
                   after: #"{"_id": 2, "item": "cable", "tags": ["electronics", "supplies", "camera", "accessories"]}"#),
        UpdateCase("$addToSet $each adds duplicates within $each once", #"{"_id": 1, "a": [6, 5, 4, 3, 2, 1]}"#,
                   #"{"$addToSet": {"a": {"$each": [7, 7, 9, 2]}}}"#, after: #"{"_id": 1, "a": [6, 5, 4, 3, 2, 1, 7, 9]}"#),
        UpdateCase("$addToSet to a missing field creates the array", #"{"_id": 1}"#,
                   #"{"$addToSet": {"a": {"$each": [6, 5, 6]}}}"#, after: #"{"_id": 1, "a": [6, 5]}"#),
        UpdateCase("$addToSet compares numbers by value", #"{"_id": 1, "a": [1, 2]}"#,
                   #"{"$addToSet": {"a": 2.0}}"#, after: nil),
        UpdateCase("$addToSet compares documents with field order", #"{"_id": 1, "a": [{"x": 1, "y": 2}]}"#,
                   #"{"$addToSet": {"a": {"y": 2, "x": 1}}}"#, after: #"{"_id": 1, "a": [{"x": 1, "y": 2}, {"y": 2, "x": 1}]}"#),
        UpdateCase("$addToSet a document", #"{"_id": 1}"#, #"{"$addToSet": {"value": {"key": "x"}}}"#,
                   after: #"{"_id": 1, "value": [{"key": "x"}]}"#),
    ]

    @Test(arguments: addToSetCases) func addToSet(_ testCase: UpdateCase) { testCase.check() }

    static let popCases: [UpdateCase] = [
        UpdateCase("$pop -1 removes the first element (docs example)", #"{"_id": 1, "scores": [8, 9, 10]}"#,
                   #"{"$pop": {"scores": -1}}"#, after: #"{"_id": 1, "scores": [9, 10]}"#),
        UpdateCase("$pop 1 removes the last element (docs example)", #"{"_id": 10, "scores": [9, 10]}"#,
                   #"{"$pop": {"scores": 1}}"#, after: #"{"_id": 10, "scores": [9]}"#),
        UpdateCase("$pop accepts 1.0", #"{"_id": 1, "foo": {"bar": [1, 2, 3]}}"#, #"{"$pop": {"foo.bar": 1.0}}"#,
                   after: #"{"_id": 1, "foo": {"bar": [1, 2]}}"#),
        UpdateCase("$pop of an empty array is a no-op", #"{"_id": 1, "a": []}"#, #"{"$pop": {"a": 1}}"#, after: nil),
        UpdateCase("$pop of a missing field is a no-op", #"{"_id": 1}"#, #"{"$pop": {"foo.bar": 1}}"#, after: nil),
        UpdateCase("$pop the last element leaves an empty array", #"{"_id": 1, "a": [1]}"#, #"{"$pop": {"a": -1}}"#,
                   after: #"{"_id": 1, "a": []}"#),
    ]

    @Test(arguments: popCases) func pop(_ testCase: UpdateCase) { testCase.check() }

    static let pullCases: [UpdateCase] = [
        UpdateCase("$pull a value removes every equal element",
                   #"{"_id": 1, "vegetables": ["carrots", "celery", "squash", "carrots"]}"#,
                   #"{"$pull": {"vegetables": "carrots"}}"#, after: #"{"_id": 1, "vegetables": ["celery", "squash"]}"#),
        UpdateCase("$pull from several fields", #"{"_id": 1, "f1": ["v1", "v2", "v1"], "f2": ["v3", "v3", "v1"]}"#,
                   #"{"$pull": {"f1": "v2", "f2": "v3"}}"#, after: #"{"_id": 1, "f1": ["v1", "v1"], "f2": ["v1"]}"#),
        UpdateCase("$pull compares numbers by value", #"{"_id": 1, "a": [1, 1.0, 2, {"$numberLong": "1"}]}"#,
                   #"{"$pull": {"a": 1}}"#, after: #"{"_id": 1, "a": [2]}"#),
        UpdateCase("$pull an array value removes equal arrays", #"{"_id": 1, "a": [[1, 2], [2, 1], 1]}"#,
                   #"{"$pull": {"a": [1, 2]}}"#, after: #"{"_id": 1, "a": [[2, 1], 1]}"#),
        UpdateCase("$pull of a missing field is a no-op", #"{"_id": 1}"#,
                   #"{"$pull": {"field1": "value2", "field2": "value3"}}"#, after: nil),
        UpdateCase("$pull with no equal element is a no-op", #"{"_id": 1, "a": [1, 2]}"#, #"{"$pull": {"a": 3}}"#, after: nil),
        UpdateCase("$pull with an empty condition removes every document element", #"{"_id": 1, "a": [{"k": 1}, 2, {}]}"#,
                   #"{"$pull": {"a": {}}}"#, after: #"{"_id": 1, "a": [2]}"#),
        UpdateCase("$pullAll (docs example)", #"{"_id": 1, "scores": [0, 2, 5, 5, 1, 0]}"#,
                   #"{"$pullAll": {"scores": [0, 5]}}"#, after: #"{"_id": 1, "scores": [2, 1]}"#),
        UpdateCase("$pullAll documents compare by value", #"{"_id": 1, "persons": [{"id": 1}, {"id": 2}, {"id": 5}, {"id": 5}, {"id": 1}, {"id": 0}]}"#,
                   #"{"$pullAll": {"persons": [{"id": 0.0}, {"id": 5}]}}"#,
                   after: #"{"_id": 1, "persons": [{"id": 1}, {"id": 2}, {"id": 1}]}"#),
        UpdateCase("$pullAll strings", #"{"_id": 1, "f": ["v1", "v2", "v1", "v3", "v4", "v3"]}"#,
                   #"{"$pullAll": {"f": ["v1", "v3"]}}"#, after: #"{"_id": 1, "f": ["v2", "v4"]}"#),
        UpdateCase("$pullAll of absent values is a no-op", #"{"_id": 1, "a": [1]}"#, #"{"$pullAll": {"a": [2, 3]}}"#, after: nil),
    ]

    @Test(arguments: pullCases) func pull(_ testCase: UpdateCase) { testCase.check() }
}
