// What an update reports besides the document: whether it modified anything (no-op
// detection), which paths changed, and the simple $set/$inc changes an executor can apply
// as in-place deltas.

import BSON
import Documents
import Testing
@testable import Query

@Suite struct UpdateOutcomeTests {
    private func outcome(_ before: String, _ update: String, positionalIndex: Int? = nil) throws -> UpdateOutcome {
        try Update(document(update)).apply(to: document(before), positionalIndex: positionalIndex, now: updateTestNow)
    }

    static let changedPathCases: [(before: String, update: String, paths: [String])] = [
        (#"{"_id": 1}"#, #"{"$set": {"a.b.c": 1}}"#, ["a.b.c"]),
        (#"{"_id": 1, "y": {}}"#, #"{"$set": {"x": 1}, "$inc": {"y.z": 1}}"#, ["x", "y.z"]),
        (#"{"_id": 1, "a": [1, 2]}"#, #"{"$set": {"a.5": 1}}"#, ["a"]),
        (#"{"_id": 1, "a": [1, 2]}"#, #"{"$set": {"a.1": 5}}"#, ["a.1"]),
        (#"{"_id": 1}"#, #"{"$set": {"a.b": 1, "a.c": 2}}"#, ["a.b", "a.c"]),
        (#"{"_id": 1, "a": [1]}"#, #"{"$push": {"a": 2}}"#, ["a"]),
        (#"{"_id": 1, "a": 1}"#, #"{"$unset": {"a": 1}}"#, ["a"]),
        (#"{"_id": 1, "a": 1}"#, #"{"$rename": {"a": "b"}}"#, ["b", "a"]),
        (#"{"_id": 1, "a": 1, "b": 2}"#, #"{"$set": {"a": 1, "b": 3}}"#, ["b"]),
        (#"{"_id": 1, "g": [1, 2, 3]}"#, #"{"$max": {"g.$[]": 2}}"#, ["g.0"]),
        (#"{"_id": 1, "g": [1, 2]}"#, #"{"$inc": {"g.$[]": 1}}"#, ["g.0", "g.1"]),
        (#"{"_id": 1, "a": 1, "b": 2}"#, #"{"b": 2, "c": 3}"#, ["c", "a"]),
        (#"{"_id": 1, "a": 1}"#, #"{"$set": {"a": 1}}"#, []),
    ]

    @Test(arguments: changedPathCases.indices) func changedPaths(_ index: Int) throws {
        let row = Self.changedPathCases[index]
        let result = try outcome(row.before, row.update)
        #expect(result.changedPaths.map(\.dotted) == row.paths, "\(row.update)")
        #expect(result.modified == !row.paths.isEmpty)
    }

    @Test func noOpsAcrossOperators() throws {
        let before = #"{"_id": 1, "a": 1, "b": [1, 2], "c": "x", "d": 5}"#
        let result = try outcome(before, #"{"$set": {"a": 1}, "$addToSet": {"b": 2}, "$min": {"d": 7}, "$unset": {"zz": 1}}"#)
        #expect(!result.modified)
        #expect(result.document == document(before))
        let oneChange = try outcome(before, #"{"$set": {"a": 1}, "$addToSet": {"b": 3}}"#)
        #expect(oneChange.modified)
        #expect(oneChange.changedPaths.map(\.dotted) == ["b"])
    }

    @Test func aNoOpReturnsTheOriginalDocument() throws {
        let before = document(#"{"_id": 1, "a": {"b": [1, 2, 3]}}"#)
        let result = try Update(document(#"{"$pull": {"a.b": 7}}"#)).apply(to: before, positionalIndex: nil, now: updateTestNow)
        #expect(!result.modified)
        #expect(result.document == before)
        #expect(result.changedPaths.isEmpty)
    }

    @Test func simpleChangesOfCounterUpdates() throws {
        let update = try Update(document(#"{"$inc": {"minute.07.13": 1, "daily": 1, "hourly.07": 1}}"#))
        #expect(update.simpleFieldChanges == [
            .increment(FieldPath(components: ["daily"]), .int32(1)),
            .increment(FieldPath(components: ["hourly", "07"]), .int32(1)),
            .increment(FieldPath(components: ["minute", "07", "13"]), .int32(1)),
        ])
    }

    @Test func simpleChangesOfSetAndIncSkipSetOnInsert() throws {
        let update = try Update(document(#"{"$set": {"a": "x"}, "$inc": {"b.c": 2.5}, "$setOnInsert": {"created": 1}}"#))
        #expect(update.simpleFieldChanges == [
            .set(FieldPath(components: ["a"]), .string("x")),
            .increment(FieldPath(components: ["b", "c"]), .double(2.5)),
        ])
    }

    static let notSimple: [String] = [
        #"{"$push": {"a": 1}}"#,
        #"{"$set": {"a.$": 1}}"#,
        #"{"$set": {"a.$[]": 1}}"#,
        #"{"$set": {"_id": 1}}"#,
        #"{"$max": {"a": 1}}"#,
        #"{"$unset": {"a": 1}}"#,
        #"{"$rename": {"a": "b"}}"#,
        #"{"$inc": {"a": 1}, "$mul": {"b": 2}}"#,
        #"{"a": 1}"#,
    ]

    @Test(arguments: notSimple) func notSimpleChanges(_ spec: String) throws {
        #expect(try Update(document(spec)).simpleFieldChanges == nil)
    }

    @Test func simpleChangesAgreeWithApply() throws {
        // Applying the listed changes by hand to a document that has every field gives what
        // apply gives.
        let before = document(#"{"_id": 1, "daily": 5, "hourly": {"07": 2}, "name": "m"}"#)
        let update = try Update(document(#"{"$inc": {"daily": 1, "hourly.07": 3}, "$set": {"name": "n"}}"#))
        let applied = try update.apply(to: before, positionalIndex: nil, now: updateTestNow).document
        #expect(applied == document(#"{"_id": 1, "daily": 6, "hourly": {"07": 5}, "name": "n"}"#))
        #expect(update.simpleFieldChanges?.count == 3)
    }
}
