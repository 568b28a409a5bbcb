// The profiler, top, the fsync lock, compact's dryRun and the write-conflict count through the
// dispatcher on a real store: what level 2 writes to system.profile (one entry per update or
// delete statement), settings kept across a reopen, the per-collection counts top keeps, the
// lock count and the parking of writes it holds back.

import BSON
import Commands
import Foundation
import Logging
import Query
import Synchronization
import TestSupport
import Testing

@Suite struct ProfilerCommandTests {
    /// The first batch of `find` on `collection` with `filter`.
    static func find(_ server: CommandTestServer, _ collection: String, _ filter: BSONDocument = [:]) -> [BSONDocument] {
        let reply = server.run(["find": .string(collection), "filter": .document(filter)])
        return (reply["cursor"]?.documentValue?["firstBatch"]?.arrayValue ?? []).compactMap(\.documentValue)
    }

    @Test func levelTwoWritesOneEntryPerCommandWithWhatItExamined() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": .array((0..<8).map { .document(["k": .int32(Int32($0))]) })])
            #expect(server.run(["profile": 2])["was"]?.int64Value == 0)
            #expect(Self.find(server, "c", ["k": ["$lt": 3]]).count == 3)
            server.run(["delete": "c", "deletes": [["q": ["k": 7], "limit": 1]]])
            #expect(server.run(["profile": 0])["was"]?.int64Value == 2)

            let entries = Self.find(server, "system.profile", ["ns": "test.c"])
            #expect(entries.map { $0["op"]?.stringValue } == ["query", "remove"])
            let query = entries.first ?? [:]
            #expect(query["nreturned"]?.int64Value == 3)
            #expect(query["docsExamined"]?.int64Value == 8)
            #expect(query["planSummary"]?.stringValue == "COLLSCAN")
            #expect(entries.last?["ndeleted"]?.int64Value == 1)
            let listed = server.run(["listCollections": 1, "filter": ["name": "system.profile"]])
            let options = listed["cursor"]?.documentValue?["firstBatch"]?.arrayValue?.first?.documentValue?["options"]
            #expect(options?.documentValue?["capped"] == .bool(true))
        }
    }

    @Test func topCountsEachCollectionsCommandsByKind() throws {
        try CommandTestServer.with { server in
            for value in 0..<3 { server.run(["insert": "c", "documents": [["v": .int32(Int32(value))]]]) }
            _ = Self.find(server, "c")
            let row = server.run(["top": 1], database: "admin")["totals"]?.documentValue?["test.c"]?.documentValue ?? [:]
            func count(_ field: String) -> Int64? { row[field]?.documentValue?["count"]?.int64Value }
            #expect(count("insert") == 3 && count("queries") == 1)
            #expect(count("writeLock") == 3 && count("readLock") == 1 && count("total") == 4)
            #expect(server.run(["top": 1]).code == 13)
        }
    }

    @Test func fsyncLockCountsAndUnlockRefusesBelowZero() throws {
        try CommandTestServer.with { server in
            #expect(server.run(["fsync": 1, "lock": true], database: "admin")["lockCount"]?.int64Value == 1)
            #expect(server.run(["fsync": 1, "lock": true], database: "admin")["lockCount"]?.int64Value == 2)
            #expect(server.run(["fsyncUnlock": 1], database: "admin")["lockCount"]?.int64Value == 1)
            #expect(server.run(["fsyncUnlock": 1], database: "admin")["lockCount"]?.int64Value == 0)
            #expect(server.run(["fsyncUnlock": 1], database: "admin").code == 20)
            // Unlocked, writes run at once.
            #expect(server.run(["insert": "c", "documents": [["x": 1]]])["n"]?.int64Value == 1)
        }
    }

    @Test func updatesAndDeletesWriteOneEntryPerStatement() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": .array((0..<10).map { .document(["_id": .int32(Int32($0)), "k": .int32(Int32($0 % 2))]) })])
            server.run(["profile": 2])
            server.run(["update": "c", "updates": [
                ["q": ["k": 1], "u": ["$set": ["a": 1]], "multi": true],
                ["q": ["_id": 4], "u": ["$inc": ["n": 1]]],
                ["q": ["_id": 99], "u": ["$set": ["n": 1]], "upsert": true],
            ]])
            server.run(["delete": "c", "deletes": [["q": ["_id": 2], "limit": 1], ["q": ["k": 0], "limit": 0]]])
            server.run(["profile": 0])

            let updates = Self.find(server, "system.profile", ["op": "update"])
            #expect(updates.map { $0["command"]?.documentValue?["q"] } == [.document(["k": 1]), .document(["_id": 4]), .document(["_id": 99])])
            #expect(updates.map { $0["nMatched"]?.int64Value } == [5, 1, 0])
            #expect(updates.map { $0["nModified"]?.int64Value } == [5, 1, 0])
            #expect(updates.last?["nUpserted"]?.int64Value == 1)
            #expect(updates.first?["docsExamined"]?.int64Value == 10)
            #expect(updates[1]["docsExamined"]?.int64Value == 1 && updates[1]["keysExamined"]?.int64Value == 1)
            #expect(updates.first?["command"]?.documentValue?["upsert"] == .bool(false))
            let removes = Self.find(server, "system.profile", ["op": "remove"])
            #expect(removes.map { $0["ndeleted"]?.int64Value } == [1, 4])
            #expect(removes.first?["docsExamined"]?.int64Value == 1)
            #expect(Self.find(server, "system.profile", ["op": "command"]).allSatisfy {
                $0["command"]?.documentValue?["update"] == nil && $0["command"]?.documentValue?["delete"] == nil
            })
        }
    }

    @Test func profilingSettingsSurviveReopeningTheStore() throws {
        try withTemporaryStorePath { path in
            func server(_ body: (CommandTestServer) throws -> Void) throws {
                let engine = try QueryEngine(path: path)
                let metrics = ServerMetrics()
                let dispatcher = CommandDispatcher(engine: engine, metrics: metrics, logger: Logger(label: "tessera.commands.test"))
                try body(CommandTestServer(engine: engine, dispatcher: dispatcher, metrics: metrics))
            }
            try server { server in
                server.run(["profile": 1, "slowms": 12, "sampleRate": 0.25])
                server.run(["profile": 1, "filter": ["op": "query"]], database: "other")
                server.run(["profile": 2], database: "gone")
                server.run(["dropDatabase": 1], database: "gone")
            }
            try server { server in
                let test = server.run(["profile": -1])
                #expect(test["was"]?.int64Value == 1 && test["slowms"]?.int64Value == 12 && test["sampleRate"]?.doubleValue == 0.25)
                let other = server.run(["profile": -1], database: "other")
                #expect(other["was"]?.int64Value == 1 && other["filter"] == .document(["op": "query"]))
                #expect(server.run(["profile": -1], database: "gone")["was"]?.int64Value == 0)
                server.run(["profile": 0])
                server.run(["profile": 0, "filter": "unset"], database: "other")
            }
            try server { server in
                #expect(server.run(["profile": -1])["was"]?.int64Value == 0)
                #expect(server.run(["profile": -1], database: "other")["filter"] == nil)
            }
        }
    }

    @Test func writesParkOnTheFsyncLockUntilUnlockKillOrShutdown() throws {
        try CommandTestServer.with { server in
            let connection = ConnectionInfo(id: 1, remoteAddress: "127.0.0.1:51", localAddress: "127.0.0.1:27017",
                                            availableCompressors: [])
            let insert = CommandRequest(database: "test", body: ["insert": "c", "documents": [["x": 1]]])
            let out = CommandRequest(database: "test", body: ["aggregate": "c", "pipeline": [["$match": [:]], ["$out": "d"]], "cursor": [:]])
            let read = CommandRequest(database: "test", body: ["aggregate": "c", "pipeline": [["$match": [:]]], "cursor": [:]])
            let woken = Mutex(0)
            let wake: @Sendable () -> Void = { woken.withLock { $0 += 1 } }
            #expect(server.dispatcher.parkWhileFsyncLocked(insert, connection: connection, wake: wake) == nil)
            server.run(["fsync": 1, "lock": true], database: "admin")
            #expect(server.dispatcher.parkWhileFsyncLocked(read, connection: connection, wake: wake) == nil)
            let parkedOut = try #require(server.dispatcher.parkWhileFsyncLocked(out, connection: connection, wake: wake))
            let parked = try #require(server.dispatcher.parkWhileFsyncLocked(insert, connection: connection, wake: wake))
            #expect(parked.milliseconds == nil)
            // The parked write shows in currentOp; killOp wakes it and it answers Interrupted.
            let inprog = server.run(["currentOp": 1], database: "admin")["inprog"]?.arrayValue ?? []
            let opids = inprog.compactMap(\.documentValue).filter { $0["command"]?.documentValue?["insert"] != nil }.compactMap { $0["opid"] }
            #expect(opids.count == 1)
            server.run(["killOp": 1, "op": opids.first ?? .null], database: "admin")
            #expect(woken.withLock { $0 } == 1)
            #expect(parked.release(timedOut: false)?["code"]?.int64Value == 11601)
            // The last unlock wakes the rest, which then run.
            server.run(["fsyncUnlock": 1], database: "admin")
            #expect(woken.withLock { $0 } == 2)
            #expect(parkedOut.release(timedOut: false) == nil)
            // maxTimeMS: the parking says how long; a timed-out release answers MaxTimeMSExpired.
            server.run(["fsync": 1, "lock": true], database: "admin")
            let timed = CommandRequest(database: "test", body: ["insert": "c", "documents": [["x": 2]], "maxTimeMS": 50])
            let parkedTimed = try #require(server.dispatcher.parkWhileFsyncLocked(timed, connection: connection, wake: wake))
            #expect(parkedTimed.milliseconds.map { $0 <= 50 } == true)
            #expect(parkedTimed.release(timedOut: true)?["code"]?.int64Value == 50)
            // Shutdown wakes a parked write, which answers InterruptedAtShutdown.
            let atShutdown = try #require(server.dispatcher.parkWhileFsyncLocked(insert, connection: connection, wake: wake))
            _ = server.dispatcher.interruptAllForShutdown()
            #expect(woken.withLock { $0 } == 3)
            #expect(atShutdown.release(timedOut: false)?["code"]?.int64Value == 11600)
        }
    }

    @Test func aWriterWithoutAnEventLoopSleepsUntilUnlock() throws {
        try CommandTestServer.with { server in
            server.run(["fsync": 1, "lock": true], database: "admin")
            let reply = Mutex<BSONDocument?>(nil)
            let writer = Thread {
                // The insert runs outside the lock: it waits for fsyncUnlock, while the test reads `reply`.
                let answer = server.run(["insert": "c", "documents": [["x": 1]]])
                reply.withLock { $0 = answer }
            }
            writer.start()
            Thread.sleep(forTimeInterval: 0.3)
            #expect(reply.withLock { $0 } == nil)
            server.run(["fsyncUnlock": 1], database: "admin")
            var waited = 0
            while reply.withLock({ $0 }) == nil, waited < 3000 {
                Thread.sleep(forTimeInterval: 0.01)
                waited += 1
            }
            #expect(reply.withLock { $0 }?["n"]?.int64Value == 1)
            // maxTimeMS ends such a wait too.
            server.run(["fsync": 1, "lock": true], database: "admin")
            #expect(server.run(["insert": "c", "documents": [["x": 2]], "maxTimeMS": 50]).code == 50)
            server.run(["fsyncUnlock": 1], database: "admin")
        }
    }

    @Test func compactDryRunEstimatesWithoutCompacting() throws {
        try CommandTestServer.with { server in
            let pad = String(repeating: "p", count: 500)
            server.run(["insert": "c", "documents": .array((0..<2000).map { .document(["_id": .int32(Int32($0)), "pad": .string(pad)]) })])
            server.run(["fsync": 1], database: "admin")
            server.run(["delete": "c", "deletes": [["q": ["_id": ["$gte": 200]], "limit": 0]]])
            let estimate = server.run(["compact": "c", "dryRun": true])
            let estimated = try #require(estimate["estimatedBytesFreed"]?.int64Value)
            #expect(estimate["bytesFreed"] == nil)
            let compacted = try #require(server.run(["compact": "c"])["bytesFreed"]?.int64Value)
            #expect(estimated > 0 && compacted > 0)
            #expect(estimated >= compacted / 2 && estimated <= compacted * 2, "estimated \(estimated), freed \(compacted)")
            #expect(server.run(["compact": "missing", "dryRun": true]).code == 26)
        }
    }

    @Test func writeConflictsAreCounted() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1, "n": 0]]])
            func conflicts() -> Int64? {
                server.run(["serverStatus": 1], database: "admin")["metrics"]?.documentValue?["operation"]?
                    .documentValue?["writeConflicts"]?.int64Value
            }
            let before = try #require(conflicts())
            let lsid1: BSONDocument = ["id": .binary(BSONBinary(subtype: .uuid, bytes: Array(repeating: 1, count: 16)))]
            let lsid2: BSONDocument = ["id": .binary(BSONBinary(subtype: .uuid, bytes: Array(repeating: 2, count: 16)))]
            func update(_ lsid: BSONDocument) -> BSONDocument {
                server.run(["update": "c", "updates": [["q": ["_id": 1], "u": ["$inc": ["n": 1]]]], "lsid": .document(lsid),
                            "txnNumber": .int64(1), "startTransaction": true, "autocommit": false])
            }
            _ = update(lsid1)
            let second = update(lsid2)
            let code = second["code"]?.int64Value ?? second["writeErrors"]?.arrayValue?.first?.documentValue?["code"]?.int64Value
            #expect(code == 112)
            #expect(try #require(conflicts()) - before == 1)
        }
    }
}
