// Write commands through the dispatcher: ordered and unordered batches with errors in the
// middle, duplicate key details, upserts, batch limits, oversized documents, write concern,
// findAndModify, and maxTimeMS.

import BSON
import Commands
import Testing

@Suite struct WriteCommandTests {
    @Test func orderedInsertStopsAtTheFirstDuplicate() throws {
        try CommandTestServer.with { server in
            let reply = server.run(["insert": "c", "documents": [["_id": 1], ["_id": 2], ["_id": 1], ["_id": 3]]])
            #expect(reply.ok == 1)
            #expect(reply["n"]?.int64Value == 2)
            let errors = reply["writeErrors"]?.arrayValue ?? []
            #expect(errors.count == 1)
            let error = errors.first?.documentValue ?? [:]
            #expect(error["index"]?.int64Value == 2)
            #expect(error["code"]?.int64Value == 11000)
            #expect(error["errmsg"]?.stringValue?.hasPrefix("E11000 duplicate key error collection: test.c index: _id_") == true)
            #expect(error["keyPattern"] == .document(["_id": .int32(1)]))
            #expect(error["keyValue"] == .document(["_id": .int32(1)]))
            #expect(server.run(["count": "c"])["n"]?.int64Value == 2)
        }
    }

    @Test func unorderedInsertReportsEveryFailureAndInsertsTheRest() throws {
        try CommandTestServer.with { server in
            server.run(["createIndexes": "c", "indexes": [["key": ["email": 1], "name": "email_1", "unique": true]]])
            let reply = server.run(["insert": "c", "ordered": false, "documents": [
                ["_id": 1, "email": "a"], ["_id": 2, "email": "a"], ["_id": 1, "email": "b"], ["_id": 4, "email": "d"],
            ]])
            #expect(reply["n"]?.int64Value == 2)
            let errors = (reply["writeErrors"]?.arrayValue ?? []).compactMap(\.documentValue)
            #expect(errors.map { $0["index"]?.int64Value } == [1, 2])
            #expect(errors.first?["keyPattern"] == .document(["email": .int32(1)]))
            #expect(errors.first?["keyValue"] == .document(["email": "a"]))
            #expect(server.run(["count": "c"])["n"]?.int64Value == 2)
        }
    }

    @Test func batchSizeLimitsAreEnforced() throws {
        try CommandTestServer.with { server in
            let empty = server.run(["insert": "c", "documents": []])
            #expect(empty.code == 16)
            #expect(empty["codeName"] == "InvalidLength")
            let tooMany = server.run(["insert": "c", "documents": .array(Array(repeating: .document([:]), count: 100_001))])
            #expect(tooMany.code == 16)
            #expect(server.run(["count": "c"])["n"]?.int64Value == 0)
        }
    }

    @Test func oversizedDocumentIsAWriteErrorNotACrash() throws {
        try CommandTestServer.with { server in
            let huge = String(repeating: "y", count: 16 * 1024 * 1024)
            let reply = server.run(["insert": "c", "ordered": false, "documents": [["_id": 1, "s": .string(huge)], ["_id": 2]]])
            #expect(reply["n"]?.int64Value == 1)
            let error = reply["writeErrors"]?.arrayValue?.first?.documentValue
            #expect(error?["index"]?.int64Value == 0)
            #expect(error?["code"]?.int64Value == 2)
            #expect(error?["errmsg"]?.stringValue?.hasPrefix("object to insert too large") == true)
        }
    }

    @Test func updateCountsMatchesModificationsAndUpserts() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1, "a": 1], ["_id": 2, "a": 1], ["_id": 3, "a": 2]]])
            let reply = server.run(["update": "c", "updates": [
                ["q": ["a": 1], "u": ["$set": ["b": true]], "multi": true],
                ["q": ["_id": 3], "u": ["$set": ["a": 2]]],
                ["q": ["_id": 9], "u": ["$set": ["a": 9]], "upsert": true],
                ["q": ["_id": 1], "u": ["$bogus": ["a": 1]]],
                ["q": ["_id": 2], "u": ["$inc": ["a": 10]]],
            ]])
            #expect(reply["n"]?.int64Value == 4)
            #expect(reply["nModified"]?.int64Value == 2)
            #expect(reply["upserted"] == .array([.document(["index": .int32(2), "_id": .int32(9)])]))
            let errors = (reply["writeErrors"]?.arrayValue ?? []).compactMap(\.documentValue)
            #expect(errors.count == 1)
            #expect(errors.first?["index"]?.int64Value == 3)
            // Ordered: the statement after the error did not run.
            let two = server.run(["find": "c", "filter": ["_id": 2]])
            #expect(two.value(at: "cursor.firstBatch.0.a")?.int64Value == 1)
        }
    }

    @Test func deleteHonoursLimitAndRejectsOtherLimits() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["a": 1], ["a": 1], ["a": 1], ["a": 2]]])
            let one = server.run(["delete": "c", "deletes": [["q": ["a": 1], "limit": 1]]])
            #expect(one["n"]?.int64Value == 1)
            let bad = server.run(["delete": "c", "deletes": [["q": ["a": 1], "limit": 5]]])
            #expect(bad["writeErrors"]?.arrayValue?.first?.documentValue?["code"]?.int64Value == 9)
            let all = server.run(["delete": "c", "deletes": [["q": ["a": 1], "limit": 0]], "writeConcern": ["w": 1, "j": true]])
            #expect(all["n"]?.int64Value == 2)
            #expect(server.run(["count": "c"])["n"]?.int64Value == 1)
        }
    }

    @Test func writeConcernW0StillWritesAndWAboveOneWritesWithAWriteConcernError() throws {
        try CommandTestServer.with { server in
            let unacknowledged = server.run(["insert": "c", "documents": [["_id": 1]], "writeConcern": ["w": 0]])
            #expect(unacknowledged.ok == 1)
            #expect(server.run(["count": "c"])["n"]?.int64Value == 1)
            // As a one-member replica set: the write is applied, the concern reported unsatisfiable.
            let two = server.run(["insert": "c", "documents": [["_id": 2]], "writeConcern": ["w": 2]])
            #expect(two.ok == 1)
            #expect(two.value(at: "writeConcernError.code")?.int64Value == 100)
            #expect(server.run(["count": "c"])["n"]?.int64Value == 2)
            let tagged = server.run(["delete": "c", "deletes": [["q": ["_id": 2], "limit": 1]], "writeConcern": ["w": "dc"]])
            #expect(tagged["n"]?.int64Value == 1)
            #expect(tagged.value(at: "writeConcernError.code")?.int64Value == 79)
            #expect(server.run(["insert": "c", "documents": [["_id": 4]], "writeConcern": ["w": 51]]).code == 9)
            #expect(server.run(["insert": "c", "documents": [["_id": 3]], "writeConcern": ["w": "majority"]]).ok == 1)
        }
    }

    @Test func findAndModifyReturnsBeforeOrAfterAndUpserts() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1, "n": 1], ["_id": 2, "n": 5]]])
            let before = server.run(["findAndModify": "c", "query": ["n": ["$gte": 1]], "sort": ["n": -1],
                                     "update": ["$inc": ["n": 1]]])
            #expect(before["value"] == .document(["_id": .int32(2), "n": .int32(5)]))
            #expect(before.value(at: "lastErrorObject.updatedExisting") == .bool(true))
            let after = server.run(["findAndModify": "c", "query": ["_id": 2], "update": ["$inc": ["n": 1]], "new": true,
                                    "fields": ["_id": 0]])
            #expect(after["value"] == .document(["n": .int32(7)]))
            let upsert = server.run(["findAndModify": "c", "query": ["_id": 3], "update": ["$set": ["n": 0]],
                                     "upsert": true, "new": true])
            #expect(upsert.value(at: "lastErrorObject.upserted") == .int32(3))
            #expect(upsert["value"] == .document(["_id": .int32(3), "n": .int32(0)]))
            let removed = server.run(["findAndModify": "c", "query": ["_id": 1], "remove": true])
            #expect(removed["value"] == .document(["_id": .int32(1), "n": .int32(1)]))
            #expect(removed.value(at: "lastErrorObject.n")?.int64Value == 1)
            let missing = server.run(["findAndModify": "c", "query": ["_id": 99], "remove": true])
            #expect(missing["value"] == .null)
            let both = server.run(["findAndModify": "c", "query": [:], "remove": true, "update": ["$set": ["x": 1]]])
            #expect(both.code == 9)
            let duplicate = server.run(["findAndModify": "c", "query": ["_id": 2], "update": ["_id": 2, "n": 1], "new": true])
            #expect(duplicate.ok == 1)
        }
    }

    @Test func maxTimeMSExpiresBetweenStatements() throws {
        try CommandTestServer.with { server in
            let documents: [BSONValue] = (0..<20_000).map { .document(["_id": .int32(Int32($0))]) }
            server.run(["insert": "c", "documents": .array(documents)])
            let updates: [BSONValue] = (0..<20_000).map { .document(["q": ["_id": .int32(Int32($0))], "u": ["$set": ["x": 1]]]) }
            let reply = server.run(["update": "c", "updates": .array(updates), "ordered": false, "maxTimeMS": 1])
            let errors = (reply["writeErrors"]?.arrayValue ?? []).compactMap(\.documentValue)
            #expect(errors.last?["code"]?.int64Value == 50)
            #expect((reply["nModified"]?.int64Value ?? 0) < 20_000)
            let negative = server.run(["find": "c", "maxTimeMS": -1])
            #expect(negative.code == 2)
        }
    }

    @Test func letVariablesReachExprInEveryCommand() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1, "a": 1], ["_id": 2, "a": 2], ["_id": 3, "a": "$$x"]]])
            let found = server.run(["find": "c", "filter": ["$expr": ["$eq": ["$a", "$$x"]]], "let": ["x": 2]])
            #expect(found.value(at: "cursor.firstBatch") == .array([["_id": 2, "a": 2]]))
            // Outside $expr a "$$x" string is a value to match, not a variable (as in MongoDB).
            let literal = server.run(["find": "c", "filter": ["a": "$$x"], "let": ["x": 2]])
            #expect(literal.value(at: "cursor.firstBatch") == .array([["_id": 3, "a": "$$x"]]))
            // let values are expressions, evaluated once.
            let computed = server.run(["count": "c", "query": ["$expr": ["$lt": ["$_id", "$$limit"]]],
                                       "let": ["limit": ["$add": [1, 2]]]])
            #expect(computed["n"]?.int64Value == 2)
            let updated = server.run(["update": "c", "updates": [["q": ["$expr": ["$eq": ["$_id", "$$id"]]],
                                                                  "u": [["$set": ["a": "$$value"]]]]],
                                      "let": ["id": 1, "value": "new"]])
            #expect(updated["nModified"]?.int64Value == 1)
            let deleted = server.run(["delete": "c", "deletes": [["q": ["$expr": ["$eq": ["$_id", "$$id"]]], "limit": 1]],
                                      "let": ["id": 2]])
            #expect(deleted["n"]?.int64Value == 1)
            let rest = server.run(["find": "c", "sort": ["_id": 1]])
            #expect(rest.value(at: "cursor.firstBatch") == .array([["_id": 1, "a": "new"], ["_id": 3, "a": "$$x"]]))
            let undefined = server.run(["find": "c", "filter": ["$expr": ["$eq": ["$a", "$$nope"]]]])
            #expect(undefined.code == 17276)
        }
    }

    @Test func pipelineUpdatesApplyTheirStagesAndRefuseOthers() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1, "x": 1, "y": 5], ["_id": 2, "x": 2, "y": 7]]])
            let reply = server.run(["update": "c", "updates": [[
                "q": [:], "multi": true,
                "u": [["$set": ["sum": ["$add": ["$x", "$y"]]]], ["$unset": "y"]],
            ]]])
            #expect(reply["n"]?.int64Value == 2)
            #expect(reply["nModified"]?.int64Value == 2)
            let all = server.run(["find": "c", "sort": ["_id": 1]])
            #expect(all.value(at: "cursor.firstBatch") == .array([["_id": 1, "x": 1, "sum": 6], ["_id": 2, "x": 2, "sum": 9]]))
            let upserted = server.run(["update": "c", "updates": [[
                "q": ["_id": 9, "k": "v"], "upsert": true, "u": [["$replaceWith": ["$mergeObjects": ["$$ROOT", ["made": true]]]]],
            ]]])
            #expect(upserted.value(at: "upserted.0._id") == .int32(9))
            let made = server.run(["find": "c", "filter": ["_id": 9]])
            #expect(made.value(at: "cursor.firstBatch") == .array([["_id": 9, "k": "v", "made": true]]))
            let refused = server.run(["update": "c", "updates": [["q": [:], "u": [["$match": ["x": 1]]]]]])
            #expect(refused.value(at: "writeErrors.0.code") == .int32(72))
            let idChange = server.run(["findAndModify": "c", "query": ["_id": 1], "update": [["$set": ["_id": 5]]]])
            #expect(idChange.code == 66)
        }
    }
}
