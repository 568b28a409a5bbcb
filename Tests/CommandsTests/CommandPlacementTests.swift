// Which commands the server may run on its event loop: point reads by `_id` and handshakes
// only; anything that scans, writes, waits or runs inside a transaction goes to the pool.

import BSON
import Commands
import Testing

@Suite struct CommandPlacementTests {
    func quick(_ server: CommandTestServer, _ body: BSONDocument) -> Bool {
        server.dispatcher.isQuick(CommandRequest(database: "test", body: body))
    }

    @Test func handshakesAndPointReadsByIdAreQuick() throws {
        try CommandTestServer.with { server in
            #expect(quick(server, ["hello": 1, "helloOk": true]))
            #expect(quick(server, ["isMaster": 1]))
            #expect(quick(server, ["ping": 1]))
            #expect(quick(server, ["find": "c", "filter": ["_id": "user42"], "limit": 1, "singleBatch": true]))
            #expect(quick(server, ["find": "c", "filter": ["_id": .int32(7)], "projection": ["a": 1]]))
            #expect(quick(server, ["find": "c", "filter": ["_id": ["a": 1, "b": 2]]]))
            #expect(quick(server, ["find": "c", "filter": ["_id": 1], "lsid": ["id": .int32(1)]]))
        }
    }

    @Test func scansWritesWaitsAndTransactionsAreNot() throws {
        try CommandTestServer.with { server in
            #expect(!quick(server, ["find": "c"]))
            #expect(!quick(server, ["find": "c", "filter": [:]]))
            #expect(!quick(server, ["find": "c", "filter": ["name": "x"]]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": 1, "name": "x"]]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": ["$gte": 1]]]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": [1, 2]]]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": .regex(BSONRegex(pattern: "^a", options: ""))]]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": 1], "hint": ["x": 1]]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": 1], "tailable": true, "awaitData": true]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": 1], "txnNumber": .int64(1), "autocommit": false]))
            #expect(!quick(server, ["find": "c", "filter": ["_id": 1], "readConcern": ["level": "majority"]]))
            #expect(!quick(server, ["insert": "c", "documents": [["_id": 1]]]))
            #expect(!quick(server, ["update": "c", "updates": [["q": ["_id": 1], "u": ["$set": ["a": 1]]]]]))
            #expect(!quick(server, ["getMore": .int64(1), "collection": "c"]))
            #expect(!quick(server, ["aggregate": "c", "pipeline": [], "cursor": [:]]))
            #expect(!quick(server, [:]))
        }
    }

    @Test func aQuickFindStillAnswersLikeAnyFind() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": "k", "v": 1], ["_id": "j", "v": 2]]])
            let body: BSONDocument = ["find": "c", "filter": ["_id": "k"], "limit": 1, "singleBatch": true]
            #expect(quick(server, body))
            let reply = server.run(body)
            #expect(reply.ok == 1)
            #expect(reply.value(at: "cursor.firstBatch") == [["_id": "k", "v": 1]])
            #expect(reply.value(at: "cursor.id") == .int64(0))
        }
    }
}
