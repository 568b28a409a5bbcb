// Replacement updates: the new document keeps the old _id, _id may be repeated but not
// changed, dots and nested $-fields are allowed (MongoDB 5.0+), zero timestamps become now.

import BSON
import Documents
import Testing
@testable import Query

@Suite struct UpdateReplacementTests {
    static let cases: [UpdateCase] = [
        UpdateCase("replacement with the same _id", #"{"_id": 1}"#, #"{"_id": 1, "foo": "bar"}"#,
                   after: #"{"_id": 1, "foo": "bar"}"#),
        UpdateCase("replacement drops the old fields", #"{"_id": 2, "b": 5}"#, #"{"_id": 2, "a": 5}"#,
                   after: #"{"_id": 2, "a": 5}"#),
        UpdateCase("replacement without _id keeps the old one", #"{"_id": 1, "a": 1, "b": 2}"#, #"{"c": 3}"#,
                   after: #"{"_id": 1, "c": 3}"#),
        UpdateCase("replacement's _id moves first", #"{"_id": 1, "x": 0}"#, #"{"b": 1, "_id": 1}"#,
                   after: #"{"_id": 1, "b": 1}"#),
        UpdateCase("identical replacement is a no-op", #"{"_id": 1, "a": 1}"#, #"{"_id": 1, "a": 1}"#, after: nil),
        UpdateCase("empty replacement keeps only _id", #"{"_id": 1, "a": 1}"#, "{}", after: #"{"_id": 1}"#),
        UpdateCase("replacement may give _id as an equal number of another type", #"{"_id": 1, "a": 1}"#,
                   #"{"_id": 1.0, "a": 2}"#, after: #"{"_id": 1.0, "a": 2}"#),
        UpdateCase("replacement with a dotted top-level field (crud spec)", #"{"_id": 1}"#, #"{"_id": 1, "a.b": 1}"#,
                   after: #"{"_id": 1, "a.b": 1}"#),
        UpdateCase("replacement with a $-prefixed embedded field (crud spec, 5.0+)", #"{"_id": 1}"#,
                   #"{"_id": 1, "a": {"$b": 1}}"#, after: #"{"_id": 1, "a": {"$b": 1}}"#),
        UpdateCase("replacement with a dotted embedded field (crud spec)", #"{"_id": 1}"#, #"{"_id": 1, "a": {"b.c": 1}}"#,
                   after: #"{"_id": 1, "a": {"b.c": 1}}"#),
        UpdateCase("a zero timestamp becomes the current time", #"{"_id": 1}"#,
                   #"{"ts": {"$timestamp": {"t": 0, "i": 0}}}"#,
                   after: #"{"_id": 1, "ts": {"$timestamp": {"t": 1700000000, "i": 1}}}"#),
        UpdateCase("a nested zero timestamp stays", #"{"_id": 1}"#, #"{"a": {"ts": {"$timestamp": {"t": 0, "i": 0}}}}"#,
                   after: #"{"_id": 1, "a": {"ts": {"$timestamp": {"t": 0, "i": 0}}}}"#),
        UpdateCase("a DBRef at the top level is allowed", #"{"_id": 1}"#, #"{"a": 1, "$ref": "c", "$id": 2}"#,
                   after: #"{"_id": 1, "a": 1, "$ref": "c", "$id": 2}"#),
    ]

    @Test(arguments: cases) func replacement(_ testCase: UpdateCase) { testCase.check() }

    @Test func replacementWithoutIdCountsAsModifiedEvenWhenEqual() throws {
        // mongod's ObjectReplaceExecutor reports a no-op only when the stored document and the
        // replacement are binary equal; a replacement without _id never is.
        let stored = document(#"{"_id": 1, "a": 1}"#)
        let outcome = try Update(document(#"{"a": 1}"#)).apply(to: stored, positionalIndex: nil, now: updateTestNow)
        #expect(outcome.document == stored)
        #expect(outcome.modified)
        #expect(outcome.changedPaths.isEmpty)
    }

    @Test func kindIsDecidedByTheFirstField() throws {
        #expect(try Update(document(#"{"a": 1}"#)).isReplacement)
        #expect(try Update(document("{}")).isReplacement)
        #expect(try !Update(document(#"{"$set": {"a": 1}}"#)).isReplacement)
    }
}
