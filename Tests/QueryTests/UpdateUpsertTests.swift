// The document an upsert inserts: the query's equality fields seed it (MongoDB's
// extractEqualityMatches rules), then the update applies with $setOnInsert; replacements keep
// only the query's _id. _id first, a new ObjectId when none.

import BSON
import Documents
import Testing
@testable import Query

@Suite struct UpdateUpsertTests {
    struct UpsertCase: Sendable, CustomTestStringConvertible {
        var name: String
        var query: String
        var update: String
        var arrayFilters: [String] = []
        /// The expected document; with `generatedId` it lacks the generated `_id`.
        var inserted: String
        var generatedId = false

        var testDescription: String { name }

        init(_ name: String, _ query: String, _ update: String, arrayFilters: [String] = [], inserted: String,
             generatedId: Bool = false) {
            self.name = name
            self.query = query
            self.update = update
            self.arrayFilters = arrayFilters
            self.inserted = inserted
            self.generatedId = generatedId
        }
    }

    static let cases: [UpsertCase] = [
        UpsertCase("equality, dotted equality and an ignored operator", #"{"_id": 1, "a.b": 2, "c": {"$gt": 1}}"#,
                   #"{"$set": {"d": 1}}"#, inserted: #"{"_id": 1, "a": {"b": 2}, "d": 1}"#),
        // The docs print {_id, item, defaultQty}; mongod merges all operators into one tree and
        // creates new fields in lexicographic order (5.0 "Update Operators Behavior").
        UpsertCase("$setOnInsert with _id from the query (docs example)", #"{"_id": 1}"#,
                   #"{"$set": {"item": "apple"}, "$setOnInsert": {"defaultQty": 100}}"#,
                   inserted: #"{"_id": 1, "defaultQty": 100, "item": "apple"}"#),
        UpsertCase("a generated ObjectId when the query has no _id", #"{"n": "jon"}"#, #"{"$inc": {"a": 1}}"#,
                   inserted: #"{"n": "jon", "a": 1}"#, generatedId: true),
        UpsertCase("_id and another equality", #"{"_id": 17, "n": "jon"}"#, #"{"$inc": {"a": 1}}"#,
                   inserted: #"{"_id": 17, "n": "jon", "a": 1}"#),
        UpsertCase("dotted query path makes an embedded document", #"{"x.y": 2}"#, #"{"$inc": {"a": 7}}"#,
                   inserted: #"{"x": {"y": 2}, "a": 7}"#, generatedId: true),
        UpsertCase("a range condition seeds nothing", #"{"_id": 1, "b": {"$gt": 5}}"#, #"{"$inc": {"a": 1}}"#,
                   inserted: #"{"_id": 1, "a": 1}"#),
        UpsertCase("embedded equality beside _id", #"{"_id": 1, "e.i": 1}"#, #"{"$set": {"a": 1}}"#,
                   inserted: #"{"_id": 1, "e": {"i": 1}, "a": 1}"#),
        UpsertCase("$in of one value seeds nothing", #"{"_id": {"$in": [1]}}"#, #"{"$inc": {"c": 4}}"#,
                   inserted: #"{"c": 4}"#, generatedId: true),
        UpsertCase("$set of _id when the query has none", #"{"somekey": "somevalue"}"#,
                   #"{"$set": {"_id": "someid", "somekey": "some value"}}"#,
                   inserted: #"{"_id": "someid", "somekey": "some value"}"#),
        UpsertCase("$eq seeds", #"{"a": {"$eq": 5}}"#, #"{"$set": {"b": 1}}"#, inserted: #"{"a": 5, "b": 1}"#, generatedId: true),
        UpsertCase("$eq beside other operators seeds", #"{"a": {"$gt": 1, "$eq": 3}}"#, #"{"$set": {"b": 1}}"#,
                   inserted: #"{"a": 3, "b": 1}"#, generatedId: true),
        UpsertCase("$and of equalities seeds", #"{"$and": [{"a": 1}, {"b.c": 2}]}"#, #"{"$set": {"d": 1}}"#,
                   inserted: #"{"a": 1, "b": {"c": 2}, "d": 1}"#, generatedId: true),
        UpsertCase("$or of one clause seeds", #"{"$or": [{"a": 1}]}"#, #"{"$set": {"d": 1}}"#,
                   inserted: #"{"a": 1, "d": 1}"#, generatedId: true),
        UpsertCase("$or of two clauses seeds nothing", #"{"$or": [{"a": 1}, {"a": 2}]}"#, #"{"$set": {"d": 1}}"#,
                   inserted: #"{"d": 1}"#, generatedId: true),
        UpsertCase("a regex seeds nothing", #"{"a": {"$regularExpression": {"pattern": "^x", "options": ""}}}"#,
                   #"{"$set": {"d": 1}}"#, inserted: #"{"d": 1}"#, generatedId: true),
        UpsertCase("equality with null seeds null", #"{"a": null}"#, #"{"$set": {"d": 1}}"#,
                   inserted: #"{"a": null, "d": 1}"#, generatedId: true),
        UpsertCase("an array equality seeds the array", #"{"_id": 1, "a": [1, 2]}"#, #"{"$push": {"a": 3}}"#,
                   inserted: #"{"_id": 1, "a": [1, 2, 3]}"#),
        UpsertCase("a document equality seeds the document", #"{"_id": 1, "a": {"x": 1}}"#, #"{"$set": {"a.y": 2}}"#,
                   inserted: #"{"_id": 1, "a": {"x": 1, "y": 2}}"#),
        UpsertCase("_id seeded from the query moves first", #"{"n": 1, "_id": 5}"#, #"{"$set": {"d": 1}}"#,
                   inserted: #"{"_id": 5, "n": 1, "d": 1}"#),
        UpsertCase("$[] over an array from the query (docs example)", #"{"myArray": [0, 1]}"#,
                   #"{"$set": {"myArray.$[]": 2}}"#, inserted: #"{"myArray": [2, 2]}"#, generatedId: true),
        UpsertCase("$push onto _id-only query (first upsert)", #"{"_id": 1}"#, #"{"$push": {"c": {"a": 1, "b": 2}}}"#,
                   inserted: #"{"_id": 1, "c": [{"a": 1, "b": 2}]}"#),
        UpsertCase("$setOnInsert of the query's own _id is allowed", #"{"_id": 1}"#, #"{"$setOnInsert": {"_id": 1, "a": 2}}"#,
                   inserted: #"{"_id": 1, "a": 2}"#),
        UpsertCase("$rename of a seeded field", #"{"_id": 1, "a": 5}"#, #"{"$rename": {"a": "b"}}"#,
                   inserted: #"{"_id": 1, "b": 5}"#),
        UpsertCase("$currentDate in an upsert", #"{"_id": 1}"#, #"{"$currentDate": {"at": true}}"#,
                   inserted: #"{"_id": 1, "at": {"$date": "2023-11-14T22:13:20Z"}}"#),
        UpsertCase("$inc and $mul create fields", #"{"_id": 1}"#, #"{"$inc": {"a": 2}, "$mul": {"b": 3}}"#,
                   inserted: #"{"_id": 1, "a": 2, "b": 0}"#),
        UpsertCase("empty operator update inserts the seed", #"{"_id": 1, "a": 1}"#, #"{"$set": {}}"#,
                   inserted: #"{"_id": 1, "a": 1}"#),
        UpsertCase("replacement takes _id from the query", #"{"_id": 1}"#, #"{"value": "abc"}"#,
                   inserted: #"{"_id": 1, "value": "abc"}"#),
        UpsertCase("replacement with the query's _id", #"{"_id": 1}"#, #"{"_id": 1, "value": "abc"}"#,
                   inserted: #"{"_id": 1, "value": "abc"}"#),
        UpsertCase("replacement with its own _id and a query without one", #"{"value": "xyz"}"#,
                   #"{"_id": 2, "value": "xyz"}"#, inserted: #"{"_id": 2, "value": "xyz"}"#),
        UpsertCase("replacement does not take other query fields", #"{"value": "abc", "n": 1}"#, #"{"value": "abc"}"#,
                   inserted: #"{"value": "abc"}"#, generatedId: true),
        UpsertCase("replacement's _id moves first", #"{"a": 1}"#, #"{"a": 1, "_id": 5}"#, inserted: #"{"_id": 5, "a": 1}"#),
    ]

    @Test(arguments: cases) func upsert(_ testCase: UpsertCase) throws {
        let update = try Update(document(testCase.update), arrayFilters: testCase.arrayFilters.map(document))
        var inserted = try update.upsertDocument(query: document(testCase.query), now: updateTestNow)
        if testCase.generatedId {
            let first = try #require(inserted.first)
            #expect(first.key == "_id")
            #expect(first.value.type == .objectId)
            inserted.removeValue(forKey: "_id")
        }
        #expect(inserted == document(testCase.inserted), "got \(inserted.extendedJSON())")
    }

    static let errors: [(name: String, query: String, update: String, code: Int32, codeName: String, message: String?)] = [
        ("a field and its parent both matched", #"{"a": 1, "a.b": 2}"#, #"{"$set": {"c": 1}}"#, 54, "NotSingleValueField",
         "cannot infer query fields to set, both paths 'a.b' and 'a' are matched"),
        ("a field matched twice", #"{"$and": [{"a": 1}, {"a": 2}]}"#, #"{"$set": {"c": 1}}"#, 54, "NotSingleValueField",
         "cannot infer query fields to set, path 'a' is matched twice"),
        ("a replacement upsert on part of _id", #"{"_id.x": 1}"#, #"{"a": 1}"#, 111, "NotExactValueField",
         "field at '_id' must be exactly specified, field at sub-path '_id.x'found"),
        ("the positional operator in an upsert", #"{"a": 1}"#, #"{"$set": {"a.$": 2}}"#, 2, "BadValue",
         "The positional operator did not find the match needed from the query."),
        ("$setOnInsert of another _id than the query's", #"{"_id": 0}"#, #"{"$setOnInsert": {"_id": 1}, "$set": {"x": 1}}"#,
         66, "ImmutableField", "Performing an update on the path '_id' would modify the immutable field '_id'"),
        ("a replacement with another _id than the query's", #"{"_id": 1}"#, #"{"_id": 2, "a": 1}"#, 66, "ImmutableField",
         "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2"),
        ("an array _id", #"{}"#, #"{"$set": {"_id": [1, 2]}}"#, 53, "InvalidIdField",
         "The '_id' value cannot be of type array"),
        ("$[] over a field the query does not give", #"{}"#, #"{"$set": {"myArray.$[]": 2}}"#, 2, "BadValue",
         "The path 'myArray' must exist in the document in order to apply array updates."),
    ]

    @Test(arguments: errors.indices) func upsertError(_ index: Int) {
        let testCase = Self.errors[index]
        do {
            let update = try Update(document(testCase.update))
            let inserted = try update.upsertDocument(query: document(testCase.query), now: updateTestNow)
            Issue.record("\(testCase.name): expected \(testCase.codeName), got \(inserted.extendedJSON())")
        } catch {
            expectError(error, code: testCase.code, codeName: testCase.codeName, message: testCase.message,
                        testCase.name, #_sourceLocation)
        }
    }
}
