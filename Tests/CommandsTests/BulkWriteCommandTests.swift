// bulkWrite through the dispatcher: ops across collections, per-op results and counters,
// ordered stopping at the first error and unordered going on, errorsOnly, admin only.

import BSON
@testable import Commands
import Documents
import Testing

@Suite struct BulkWriteCommandTests {
    static let nsInfo: BSONValue = [["ns": "db.a"], ["ns": "db.b"]]

    @Test func opsReachTheirCollectionsAndTheCountersAddUp() throws {
        try CommandTestServer.with { server in
            let reply = server.run([
                "bulkWrite": 1, "nsInfo": Self.nsInfo,
                "ops": [
                    ["insert": .int32(0), "document": ["_id": 1, "x": 1]],
                    ["insert": .int32(1), "document": ["_id": 1]],
                    ["update": .int32(0), "filter": ["_id": 1], "updateMods": ["$inc": ["x": 1]]],
                    ["update": .int32(0), "filter": ["_id": 2], "updateMods": ["$set": ["x": 5]], "upsert": true],
                    ["delete": .int32(1), "filter": [:], "multi": true],
                ],
            ], database: "admin")
            #expect(reply.ok == 1)
            #expect(reply["nInserted"]?.int64Value == 2)
            #expect(reply["nMatched"]?.int64Value == 1)
            #expect(reply["nModified"]?.int64Value == 1)
            #expect(reply["nUpserted"]?.int64Value == 1)
            #expect(reply["nDeleted"]?.int64Value == 1)
            #expect(reply["nErrors"]?.int64Value == 0)
            #expect(reply.value(at: "cursor.firstBatch.3.upserted._id") == .int32(2))
            #expect(server.run(["count": "a"], database: "db")["n"]?.int64Value == 2)
            #expect(server.run(["count": "b"], database: "db")["n"]?.int64Value == 0)
        }
    }

    @Test func orderedStopsAtTheFirstErrorAndUnorderedGoesOn() throws {
        try CommandTestServer.with { server in
            let ops: BSONValue = [
                ["insert": .int32(0), "document": ["_id": 1]],
                ["insert": .int32(0), "document": ["_id": 1]],
                ["insert": .int32(0), "document": ["_id": 2]],
            ]
            let ordered = server.run(["bulkWrite": 1, "nsInfo": Self.nsInfo, "ops": ops], database: "admin")
            #expect(ordered["nErrors"]?.int64Value == 1)
            #expect(ordered["nInserted"]?.int64Value == 1)
            #expect(ordered.value(at: "cursor.firstBatch.1.code")?.int64Value == 11000)
            _ = server.run(["delete": "a", "deletes": [["q": [:], "limit": 0]]], database: "db")
            let unordered = server.run(["bulkWrite": 1, "nsInfo": Self.nsInfo, "ops": ops, "ordered": false,
                                        "errorsOnly": true], database: "admin")
            #expect(unordered["nInserted"]?.int64Value == 2)
            guard case let .array(results)? = unordered.value(at: "cursor.firstBatch") else {
                Issue.record("no firstBatch")
                return
            }
            #expect(results.count == 1)
            #expect(server.run(["bulkWrite": 1, "nsInfo": Self.nsInfo, "ops": ops], database: "db").code == 13)
        }
    }
}
