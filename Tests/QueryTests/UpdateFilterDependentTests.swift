// Updates whose meaning comes from query matching: filtered `$[<id>]` with arrayFilters and
// $pull with conditions. They run once the real Filter is in (Sources/Query/Filter); with
// the placeholder Filter, which only matches {}, they are skipped.

import BSON
import Documents
import Testing
@testable import Query

/// Whether Filter is the real matcher rather than the placeholder that only matches `{}`.
let filterMatchesQueries: Bool = {
    guard let filter = try? Filter(BSONDocument([("a", .int32(1))])) else { return false }
    return filter.matches(BSONDocument([("a", .int32(1))]))
}()

@Suite(.enabled(if: filterMatchesQueries, "needs the real Filter")) struct UpdateFilterDependentTests {
    static let arrayFilterCases: [UpdateCase] = [
        UpdateCase("$[element] where nothing matches (docs example)", #"{"_id": 1, "grades": [95, 92, 90]}"#,
                   #"{"$set": {"grades.$[element]": 100}}"#, arrayFilters: [#"{"element": {"$gte": 100}}"#], after: nil),
        UpdateCase("$[element] where some match (docs example)", #"{"_id": 3, "grades": [95, 110, 100]}"#,
                   #"{"$set": {"grades.$[element]": 100}}"#, arrayFilters: [#"{"element": {"$gte": 100}}"#],
                   after: #"{"_id": 3, "grades": [95, 100, 100]}"#),
        UpdateCase("$[elem] into matching documents (docs example)",
                   #"{"_id": 1, "grades": [{"grade": 80, "mean": 75, "std": 6}, {"grade": 85, "mean": 90, "std": 4}, {"grade": 85, "mean": 85, "std": 6}]}"#,
                   #"{"$set": {"grades.$[elem].mean": 100}}"#, arrayFilters: [#"{"elem.grade": {"$gte": 85}}"#],
                   after: #"{"_id": 1, "grades": [{"grade": 80, "mean": 75, "std": 6}, {"grade": 85, "mean": 100, "std": 4}, {"grade": 85, "mean": 100, "std": 6}]}"#),
        UpdateCase("$[elem] with two conditions (docs example)",
                   #"{"_id": 2, "grades": [{"grade": 90, "mean": 75, "std": 6}, {"grade": 87, "mean": 90, "std": 3}, {"grade": 85, "mean": 85, "std": 4}]}"#,
                   #"{"$inc": {"grades.$[elem].std": -1}}"#, arrayFilters: [#"{"elem.grade": {"$gte": 80}, "elem.std": {"$gt": 5}}"#],
                   after: #"{"_id": 2, "grades": [{"grade": 90, "mean": 75, "std": 5}, {"grade": 87, "mean": 90, "std": 3}, {"grade": 85, "mean": 85, "std": 4}]}"#),
        UpdateCase("$[i] matching one document (crud spec)", #"{"_id": 1, "y": [{"b": 3}, {"b": 1}]}"#,
                   #"{"$set": {"y.$[i].b": 2}}"#, arrayFilters: [#"{"i.b": 3}"#], after: #"{"_id": 1, "y": [{"b": 2}, {"b": 1}]}"#),
        UpdateCase("$[i] matching nothing (crud spec)", #"{"_id": 1, "y": [{"b": 3}, {"b": 1}]}"#,
                   #"{"$set": {"y.$[i].b": 2}}"#, arrayFilters: [#"{"i.b": 4}"#], after: nil),
        UpdateCase("nested $[i] and $[j] (crud spec)", #"{"_id": 3, "y": [{"b": 5, "c": [{"d": 2}, {"d": 1}]}]}"#,
                   #"{"$set": {"y.$[i].c.$[j].d": 0}}"#, arrayFilters: [#"{"i.b": 5}"#, #"{"j.d": 1}"#],
                   after: #"{"_id": 3, "y": [{"b": 5, "c": [{"d": 2}, {"d": 0}]}]}"#),
        UpdateCase("nested $[i] and $[j] matching nothing (crud spec)", #"{"_id": 3, "y": [{"b": 5, "c": [{"d": 2}, {"d": 1}]}]}"#,
                   #"{"$set": {"y.$[i].c.$[j].d": 0}}"#, arrayFilters: [#"{"i.b": 5}"#, #"{"j.d": 3}"#], after: nil),
        UpdateCase("two filters on one array", #"{"_id": 1, "values": [9, 102, 90, 150]}"#,
                   #"{"$set": {"values.$[tooLow]": 10, "values.$[tooHigh]": 40}}"#,
                   arrayFilters: [#"{"tooLow": {"$lte": 10}}"#, #"{"tooHigh": {"$gt": 40}}"#],
                   after: #"{"_id": 1, "values": [10, 40, 40, 40]}"#),
        UpdateCase("nested filters over documents",
                   #"{"_id": 1, "products": [{"id": 1, "charges": [{"type": "A", "min": 0, "max": 1}, {"type": "A", "min": 0, "max": 2}, {"type": "B", "min": 0, "max": 1}]}, {"id": 2, "charges": [{"type": "A", "min": 0, "max": 1}]}]}"#,
                   #"{"$set": {"products.$[product].charges.$[charge].amount": 10}}"#,
                   arrayFilters: [#"{"product.id": 1}"#, #"{"charge.type": "A", "charge.min": 0, "charge.max": 2}"#],
                   after: #"{"_id": 1, "products": [{"id": 1, "charges": [{"type": "A", "min": 0, "max": 1}, {"type": "A", "min": 0, "max": 2, "amount": 10}, {"type": "B", "min": 0, "max": 1}]}, {"id": 2, "charges": [{"type": "A", "min": 0, "max": 1}]}]}"#),
        UpdateCase("$[] then a filtered $[score] (docs example)",
                   #"{"_id": 1, "grades": [{"type": "quiz", "questions": [10, 8, 5]}, {"type": "quiz", "questions": [8, 9, 6]}]}"#,
                   #"{"$inc": {"grades.$[].questions.$[score]": 2}}"#, arrayFilters: [#"{"score": {"$gte": 8}}"#],
                   after: #"{"_id": 1, "grades": [{"type": "quiz", "questions": [12, 10, 5]}, {"type": "quiz", "questions": [10, 11, 6]}]}"#),
        UpdateCase("$[] and $[i] on different fields of one element merge", #"{"_id": 1, "a": [{"k": 1}, {"k": 2}]}"#,
                   #"{"$set": {"a.$[].x": 0, "a.$[i].y": 1}}"#, arrayFilters: [#"{"i.k": 2}"#],
                   after: #"{"_id": 1, "a": [{"k": 1, "x": 0}, {"k": 2, "x": 0, "y": 1}]}"#),
        UpdateCase("an array filter with $or over one identifier", #"{"_id": 1, "a": [1, 5, 9]}"#,
                   #"{"$set": {"a.$[v]": 0}}"#, arrayFilters: [#"{"$or": [{"v": 1}, {"v": 9}]}"#],
                   after: #"{"_id": 1, "a": [0, 5, 0]}"#),
    ]

    @Test(arguments: arrayFilterCases) func arrayFilters(_ testCase: UpdateCase) { testCase.check() }

    @Test func arrayFiltersMatchingOneElementTwiceConflict() {
        UpdateErrorCase("$[] and $[i] both setting one element", #"{"_id": 1, "a": [0, 5]}"#,
                        #"{"$set": {"a.$[]": 1, "a.$[i]": 2}}"#, arrayFilters: [#"{"i": 0}"#],
                        code: 40, "ConflictingUpdateOperators", "Update created a conflict at 'a.0'").check()
    }

    @Test func arrayFiltersInAnUpsert() throws {
        let update = try Update(document(#"{"$set": {"values.$[x]": 20}}"#), arrayFilters: [document(#"{"x": 0}"#)])
        let inserted = try update.upsertDocument(query: document(#"{"_id": 1, "values": [0, 1]}"#), now: updateTestNow)
        #expect(inserted == document(#"{"_id": 1, "values": [20, 1]}"#))
    }

    static let pullCases: [UpdateCase] = [
        UpdateCase("$pull with $in and a value (docs example)",
                   #"{"_id": 1, "fruits": ["apples", "pears", "oranges", "grapes", "bananas"], "vegetables": ["carrots", "celery", "squash", "carrots"]}"#,
                   #"{"$pull": {"fruits": {"$in": ["apples", "oranges"]}, "vegetables": "carrots"}}"#,
                   after: #"{"_id": 1, "fruits": ["pears", "grapes", "bananas"], "vegetables": ["celery", "squash"]}"#),
        UpdateCase("$pull with a comparison (docs example)", #"{"_id": 1, "votes": [3, 5, 6, 7, 7, 8]}"#,
                   #"{"$pull": {"votes": {"$gte": 6}}}"#, after: #"{"_id": 1, "votes": [3, 5]}"#),
        UpdateCase("$pull documents matching fields (docs example)",
                   #"{"_id": 1, "results": [{"item": "A", "score": 5}, {"item": "B", "score": 8}]}"#,
                   #"{"$pull": {"results": {"score": 8, "item": "B"}}}"#, after: #"{"_id": 1, "results": [{"item": "A", "score": 5}]}"#),
        UpdateCase("$pull document fields are a query, not equality",
                   #"{"_id": 1, "results": [{"item": "B", "score": 8, "comment": "foobar"}, {"item": "B", "score": 4}]}"#,
                   #"{"$pull": {"results": {"score": 8, "item": "B"}}}"#, after: #"{"_id": 1, "results": [{"item": "B", "score": 4}]}"#),
        UpdateCase("$pull with $elemMatch in nested arrays (docs example)",
                   #"{"_id": 1, "results": [{"item": "A", "score": 5, "answers": [{"q": 1, "a": 4}, {"q": 2, "a": 6}]}, {"item": "B", "score": 8, "answers": [{"q": 1, "a": 8}, {"q": 2, "a": 9}]}]}"#,
                   #"{"$pull": {"results": {"answers": {"$elemMatch": {"q": 2, "a": {"$gte": 8}}}}}}"#,
                   after: #"{"_id": 1, "results": [{"item": "A", "score": 5, "answers": [{"q": 1, "a": 4}, {"q": 2, "a": 6}]}]}"#),
        UpdateCase("$pull with a regex", #"{"_id": 1, "a": ["apple", "banana", "avocado", 1]}"#,
                   #"{"$pull": {"a": {"$regularExpression": {"pattern": "^a", "options": ""}}}}"#,
                   after: #"{"_id": 1, "a": ["banana", 1]}"#),
        UpdateCase("$pull with field conditions skips non-documents", #"{"_id": 1, "a": [1, {"x": 1}, {"x": 2}]}"#,
                   #"{"$pull": {"a": {"x": {"$lt": 2}}}}"#, after: #"{"_id": 1, "a": [1, {"x": 2}]}"#),
        UpdateCase("$pull with $ne", #"{"_id": 1, "a": [1, 2, 3]}"#, #"{"$pull": {"a": {"$ne": 2}}}"#,
                   after: #"{"_id": 1, "a": [2]}"#),
    ]

    @Test(arguments: pullCases) func pullConditions(_ testCase: UpdateCase) { testCase.check() }
}
