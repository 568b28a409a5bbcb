// Cursors through find/getMore/killCursors: batches over many getMores, the default first
// batch of 101, namespace checks, idle reaping, killSessions, per-connection limits; and the
// cursor state machine's transitions on their own.

import BSON
@testable import Commands
import Testing

@Suite struct CursorCommandTests {
    static func fill(_ server: CommandTestServer, count: Int, collection: String = "c") {
        let documents: [BSONValue] = (0..<count).map { .document(["_id": .int32(Int32($0)), "v": .int32(Int32($0 % 7))]) }
        let reply = server.run(["insert": .string(collection), "documents": .array(documents)])
        #expect(reply["n"]?.int64Value == Int64(count))
    }

    @Test func findSpansManyGetMoresInOrder() throws {
        try CommandTestServer.with { server in
            Self.fill(server, count: 1000)
            let first = server.run(["find": "c", "sort": ["_id": 1], "batchSize": 7])
            #expect(first.value(at: "cursor.ns") == "test.c")
            var ids = (first.value(at: "cursor.firstBatch")?.arrayValue ?? []).compactMap { $0.documentValue?["_id"]?.int64Value }
            #expect(ids.count == 7)
            guard case let .int64(cursor)? = first.value(at: "cursor.id") else {
                Issue.record("no cursor id")
                return
            }
            #expect(cursor != 0)
            var getMores = 0
            var current = cursor
            while current != 0 {
                let next = server.run(["getMore": .int64(current), "collection": "c", "batchSize": 50])
                #expect(next.ok == 1)
                ids += (next.value(at: "cursor.nextBatch")?.arrayValue ?? []).compactMap { $0.documentValue?["_id"]?.int64Value }
                current = next.value(at: "cursor.id")?.int64Value ?? 0
                getMores += 1
            }
            #expect(ids == (0..<1000).map(Int64.init))
            #expect(getMores == 20)
            // Exhausted cursors are gone.
            let again = server.run(["getMore": .int64(cursor), "collection": "c"])
            #expect(again.code == 43)
            #expect(again["codeName"] == "CursorNotFound")
            let status = server.run(["serverStatus": 1])
            #expect(status.value(at: "opcounters.getmore")?.int64Value == 21)
            #expect(status.value(at: "opcounters.query")?.int64Value == 1)
            #expect(status.value(at: "opcounters.insert")?.int64Value == 1000)
        }
    }

    @Test func defaultFirstBatchIs101AndGetMoreIsAllowedFromAnotherConnection() throws {
        try CommandTestServer.with { server in
            Self.fill(server, count: 150)
            let first = server.run(["find": "c"], connection: 1)
            #expect(first.value(at: "cursor.firstBatch")?.arrayValue?.count == 101)
            let id = first.value(at: "cursor.id") ?? .int64(0)
            let rest = server.run(["getMore": id, "collection": "c"], connection: 2)
            #expect(rest.value(at: "cursor.nextBatch")?.arrayValue?.count == 49)
            #expect(rest.value(at: "cursor.id") == .int64(0))
        }
    }

    @Test func singleBatchAndLimitCloseTheCursor() throws {
        try CommandTestServer.with { server in
            Self.fill(server, count: 30)
            let single = server.run(["find": "c", "batchSize": 5, "singleBatch": true])
            #expect(single.value(at: "cursor.id") == .int64(0))
            #expect(single.value(at: "cursor.firstBatch")?.arrayValue?.count == 5)
            let limited = server.run(["find": "c", "limit": 3])
            #expect(limited.value(at: "cursor.id") == .int64(0))
            #expect(limited.value(at: "cursor.firstBatch")?.arrayValue?.count == 3)
            let zero = server.run(["find": "c", "batchSize": 0])
            #expect(zero.value(at: "cursor.firstBatch")?.arrayValue?.count == 0)
            #expect(zero.value(at: "cursor.id") != .int64(0))
        }
    }

    @Test func getMoreOnAnotherNamespaceIsUnauthorizedAndLeavesTheCursorOpen() throws {
        try CommandTestServer.with { server in
            Self.fill(server, count: 10)
            let first = server.run(["find": "c", "batchSize": 2])
            let id = first.value(at: "cursor.id") ?? .int64(0)
            let wrong = server.run(["getMore": id, "collection": "other"])
            #expect(wrong.code == 13)
            #expect(wrong["codeName"] == "Unauthorized")
            #expect(server.run(["getMore": id, "collection": "c"]).ok == 1)
            let badType = server.run(["getMore": .int32(5), "collection": "c"])
            #expect(badType.code == 14)
        }
    }

    @Test func killCursorsReportsKilledAndNotFound() throws {
        try CommandTestServer.with { server in
            Self.fill(server, count: 10)
            let id = server.run(["find": "c", "batchSize": 2]).value(at: "cursor.id") ?? .int64(0)
            let reply = server.run(["killCursors": "c", "cursors": [id, .int64(12345)]])
            #expect(reply["cursorsKilled"] == .array([id]))
            #expect(reply["cursorsNotFound"] == .array([.int64(12345)]))
            #expect(reply["cursorsAlive"] == .array([]))
            #expect(reply["cursorsUnknown"] == .array([]))
            #expect(server.run(["getMore": id, "collection": "c"]).code == 43)
        }
    }

    @Test func idleCursorsAreReapedButNoCursorTimeoutOnesAreNot() throws {
        try CommandTestServer.with(configuration: CommandConfiguration(cursorTimeout: .milliseconds(20))) { server in
            Self.fill(server, count: 10)
            let idle = server.run(["find": "c", "batchSize": 2]).value(at: "cursor.id") ?? .int64(0)
            let pinned = server.run(["find": "c", "batchSize": 2, "noCursorTimeout": true]).value(at: "cursor.id") ?? .int64(0)
            let busy = server.run(["find": "c", "batchSize": 1]).value(at: "cursor.id") ?? .int64(0)
            // Use `busy` right before reaping: it is not idle.
            let deadline = ContinuousClock.now + .milliseconds(40)
            while ContinuousClock.now < deadline {}
            #expect(server.run(["getMore": busy, "collection": "c", "batchSize": 1]).ok == 1)
            server.dispatcher.reapIdleCursors()
            #expect(server.run(["getMore": idle, "collection": "c"]).code == 43)
            #expect(server.run(["getMore": pinned, "collection": "c", "batchSize": 1]).ok == 1)
            #expect(server.run(["getMore": busy, "collection": "c", "batchSize": 1]).ok == 1)
            #expect(server.run(["serverStatus": 1]).value(at: "metrics.cursor.timedOut")?.int64Value == 1)
        }
    }

    @Test func killSessionsAndEndSessionsKillTheirCursors() throws {
        try CommandTestServer.with { server in
            Self.fill(server, count: 10)
            let session = server.run(["startSession": 1], database: "admin")
            #expect(session["timeoutMinutes"]?.int64Value == 30)
            guard case let .binary(uuid)? = session.value(at: "id.id") else {
                Issue.record("startSession returned no UUID")
                return
            }
            #expect(uuid.subtype == .uuid && uuid.bytes.count == 16)
            let lsid: BSONValue = ["id": .binary(uuid)]
            let mine = server.run(["find": "c", "batchSize": 2, "lsid": lsid]).value(at: "cursor.id") ?? .int64(0)
            let other = server.run(["find": "c", "batchSize": 2]).value(at: "cursor.id") ?? .int64(0)
            #expect(server.run(["killSessions": [lsid]], database: "admin").ok == 1)
            #expect(server.run(["getMore": mine, "collection": "c"]).code == 43)
            #expect(server.run(["getMore": other, "collection": "c", "batchSize": 1]).ok == 1)

            let second: BSONValue = ["id": .binary(BSONBinary(subtype: .uuid, bytes: Array(repeating: 7, count: 16)))]
            let ended = server.run(["find": "c", "batchSize": 2, "lsid": second]).value(at: "cursor.id") ?? .int64(0)
            #expect(server.run(["endSessions": [second]], database: "admin").ok == 1)
            #expect(server.run(["getMore": ended, "collection": "c"]).code == 43)
            #expect(server.run(["refreshSessions": [second]], database: "admin").ok == 1)
            #expect(server.run(["endSessions": 5], database: "admin").code == 14)
        }
    }

    @Test func perConnectionCursorLimitIsEnforced() throws {
        try CommandTestServer.with(configuration: CommandConfiguration(maxCursorsPerConnection: 2)) { server in
            Self.fill(server, count: 10)
            #expect(server.run(["find": "c", "batchSize": 1], connection: 4).ok == 1)
            #expect(server.run(["find": "c", "batchSize": 1], connection: 4).ok == 1)
            let third = server.run(["find": "c", "batchSize": 1], connection: 4)
            #expect(third.code == 96)
            // Other connections have their own allowance; a closed connection frees its own.
            #expect(server.run(["find": "c", "batchSize": 1], connection: 5).ok == 1)
            server.dispatcher.connectionClosed(4)
            #expect(server.run(["find": "c", "batchSize": 1], connection: 4).ok == 1)
        }
    }

    @Test func largeDocumentsSplitBatchesAt16MiB() throws {
        try CommandTestServer.with { server in
            let big = String(repeating: "x", count: 5 * 1024 * 1024)
            let documents: [BSONValue] = (0..<5).map { .document(["_id": .int32(Int32($0)), "s": .string(big)]) }
            #expect(server.run(["insert": "big", "documents": .array(documents)])["n"]?.int64Value == 5)
            let first = server.run(["find": "big", "batchSize": 100])
            #expect(first.value(at: "cursor.firstBatch")?.arrayValue?.count == 3)
            let rest = server.run(["getMore": first.value(at: "cursor.id") ?? .int64(0), "collection": "big"])
            #expect(rest.value(at: "cursor.nextBatch")?.arrayValue?.count == 2)
        }
    }

    @Test func stateMachineTransitions() {
        let start = ContinuousClock.now
        var machine = CursorStateMachine(openedAt: start, noTimeout: false)
        #expect(machine.beginBatch() == .returnBatch)
        machine.finishBatch(at: start + .seconds(1), remaining: true)
        #expect(machine.state == .open(lastUsed: start + .seconds(1)))
        let early = machine.expireIfIdle(at: start + .seconds(5), timeout: .seconds(10))
        #expect(!early)
        let late = machine.expireIfIdle(at: start + .seconds(11), timeout: .seconds(10))
        #expect(late)
        #expect(machine.state == .closed(.timedOut))
        #expect(machine.beginBatch() == .cursorNotFound)
        let killedAgain = machine.kill()
        #expect(!killedAgain)

        var exhausted = CursorStateMachine(openedAt: start, noTimeout: true)
        exhausted.finishBatch(at: start, remaining: false)
        #expect(exhausted.state == .closed(.exhausted))
        var pinned = CursorStateMachine(openedAt: start, noTimeout: true)
        let expired = pinned.expireIfIdle(at: start + .seconds(3600), timeout: .seconds(1))
        #expect(!expired)
        let killed = pinned.kill()
        #expect(killed)
        #expect(pinned.state == .closed(.killed))
    }
}
