// The dispatcher's side of feed getMores parked on a connection: the cheap check of whether a
// getMore would only wait, parking (a commit, killCursors and killOp each wake it once it is
// registered), release, and getMores that run without a blocking wait or answer Interrupted.

import BSON
@testable import Commands
import Query
import Synchronization
import Testing

@Suite struct FeedWaitTests {
    let connection = ConnectionInfo(id: 1, remoteAddress: "127.0.0.1:51", localAddress: "127.0.0.1:27017",
                                    availableCompressors: [])

    func getMore(_ cursor: BSONValue, collection: String = "c", wait: BSONValue = .int32(600_000)) -> CommandRequest {
        CommandRequest(database: "test", body: ["getMore": cursor, "collection": .string(collection), "maxAwaitTimeMS": wait])
    }

    func openStream(_ server: CommandTestServer) -> BSONValue {
        let reply = server.run(["aggregate": "c", "pipeline": [["$changeStream": [:]]], "cursor": [:]])
        return reply.value(at: "cursor.id") ?? .int64(0)
    }

    @Test func aChangeStreamWithNothingNewWouldWait() throws {
        try CommandTestServer.with { server in
            let cursor = openStream(server)
            let wait = server.dispatcher.feedWait(for: getMore(cursor), connection: connection)
            #expect(wait?.milliseconds == 600_000)
            #expect(wait?.sequence == server.engine.latestCommitSequence)
            // getMore's maxTimeMS is the await time (drivers send maxAwaitTimeMS so, as mongod
            // reads it); with neither, MongoDB's 1 s.
            var timed = getMore(cursor)
            timed.body["maxAwaitTimeMS"] = nil
            timed.body["maxTimeMS"] = .int32(2500)
            #expect(server.dispatcher.feedWait(for: timed, connection: connection)?.milliseconds == 2500)
            var plain = getMore(cursor)
            plain.body["maxAwaitTimeMS"] = nil
            #expect(server.dispatcher.feedWait(for: plain, connection: connection)?.milliseconds == 1000)
            // After a write, something may be ready: run it.
            server.run(["insert": "c", "documents": [["_id": 1]]])
            #expect(server.dispatcher.feedWait(for: getMore(cursor), connection: connection) == nil)
        }
    }

    @Test func malformedOrOrdinaryGetMoresRunAtOnce() throws {
        try CommandTestServer.with { server in
            let cursor = openStream(server)
            #expect(server.dispatcher.feedWait(for: getMore(cursor, wait: .int32(-1)), connection: connection) == nil)
            #expect(server.dispatcher.feedWait(for: getMore(cursor, wait: "soon"), connection: connection) == nil)
            #expect(server.dispatcher.feedWait(for: getMore(cursor, collection: "other"), connection: connection) == nil)
            #expect(server.dispatcher.feedWait(for: getMore(.int64(12345)), connection: connection) == nil)
            server.run(["insert": "d", "documents": [["_id": 1], ["_id": 2], ["_id": 3]]])
            let find = server.run(["find": "d", "batchSize": 1])
            #expect(server.dispatcher.feedWait(for: getMore(find.value(at: "cursor.id") ?? .null, collection: "d"),
                                               connection: connection) == nil)
            // The run answers the malformed ones: negative is BadValue, a string TypeMismatch.
            #expect(server.dispatcher.run(getMore(cursor, wait: .int32(-1)), connection: connection).code == 2)
        }
    }

    @Test func aCommitWakesAParkedWaitAndReleaseForgetsIt() throws {
        try CommandTestServer.with { server in
            let cursor = openStream(server)
            let request = getMore(cursor)
            guard let wait = server.dispatcher.feedWait(for: request, connection: connection) else {
                Issue.record("no wait"); return
            }
            let wakes = Atomic<Int>(0)
            guard let parking = server.dispatcher.park(wait, request: request, connection: connection,
                                                       wake: { wakes.add(1, ordering: .relaxed) })
            else { Issue.record("not parked"); return }
            #expect(server.engine.commitNotificationCount == 1)
            server.run(["insert": "c", "documents": [["_id": 1]]])
            #expect(wakes.load(ordering: .relaxed) == 1)
            #expect(parking.release() == false)
            #expect(server.engine.commitNotificationCount == 0)
            // Once woken, the getMore builds its batch without waiting.
            var woken = request
            woken.waitsOnConnection = true
            let started = ContinuousClock.now
            let reply = server.dispatcher.run(woken, connection: connection)
            #expect(reply.value(at: "cursor.nextBatch")?.arrayValue?.count == 1)
            #expect(server.dispatcher.run(woken, connection: connection).value(at: "cursor.nextBatch") == [])
            #expect(ContinuousClock.now - started < .milliseconds(500))
        }
    }

    @Test func killCursorsAndKillOpWakeAParkedWait() throws {
        try CommandTestServer.with { server in
            let cursor = openStream(server)
            let request = getMore(cursor)
            guard let wait = server.dispatcher.feedWait(for: request, connection: connection) else {
                Issue.record("no wait"); return
            }
            let wakes = Atomic<Int>(0)
            guard let parking = server.dispatcher.park(wait, request: request, connection: connection,
                                                       wake: { wakes.add(1, ordering: .relaxed) })
            else { Issue.record("not parked"); return }
            // It shows in currentOp; killOp wakes it and the getMore answers Interrupted.
            let ops = server.run(["currentOp": 1], database: "admin").value(at: "inprog")?.arrayValue ?? []
            let opid = ops.compactMap(\.documentValue).first { $0.value(at: "command.getMore") == cursor }?["opid"]
            #expect(opid != nil)
            server.run(["killOp": 1, "op": opid ?? .null], database: "admin")
            #expect(wakes.load(ordering: .relaxed) == 1)
            #expect(parking.release() == true)
            var interrupted = request
            interrupted.waitsOnConnection = true
            interrupted.wasInterrupted = true
            #expect(server.dispatcher.run(interrupted, connection: connection).code == 11601)

            let second = openStream(server)
            let again = getMore(second)
            guard let secondWait = server.dispatcher.feedWait(for: again, connection: connection),
                  let secondParking = server.dispatcher.park(secondWait, request: again, connection: connection,
                                                             wake: { wakes.add(10, ordering: .relaxed) })
            else { Issue.record("not parked"); return }
            server.run(["killCursors": "c", "cursors": [second]])
            #expect(wakes.load(ordering: .relaxed) == 11)
            #expect(secondParking.release() == false)
        }
    }
}
