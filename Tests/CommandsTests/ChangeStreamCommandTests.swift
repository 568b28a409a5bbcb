// Change streams, tailable cursors and the replica-set handshake through the dispatcher:
// event shapes and order, postBatchResumeToken, resume and its failures (286 when history
// is trimmed, 260 for bad tokens), invalidate closing the cursor, awaitData waits (the
// engine's change-stream core has its own tests in QueryTests/ChangeStreamTests.swift).

import BSON
@testable import Commands
import Documents
import Foundation
import Logging
import Query
import Testing
import TestSupport

@Suite struct ChangeStreamCommandTests {
    static func open(_ server: CommandTestServer, _ options: BSONDocument = [:], stages: [BSONValue] = [],
                     collection: BSONValue = "c", database: String = "test") -> BSONDocument {
        server.run(["aggregate": collection, "pipeline": .array([.document(["$changeStream": .document(options)])] + stages),
                    "cursor": [:]], database: database)
    }

    static func getMore(_ server: CommandTestServer, _ reply: BSONDocument, collection: String = "c",
                        wait: Int32 = 10) -> BSONDocument {
        server.run(["getMore": reply.value(at: "cursor.id") ?? .int64(0), "collection": .string(collection),
                    "maxAwaitTimeMS": .int32(wait)])
    }

    static func events(_ reply: BSONDocument) -> [BSONDocument] {
        (reply.value(at: "cursor.nextBatch") ?? reply.value(at: "cursor.firstBatch"))?.arrayValue?.compactMap(\.documentValue) ?? []
    }

    @Test func helloPresentsASingleMemberReplicaSet() throws {
        try CommandTestServer.with { server in
            let hello = server.run(["hello": 1])
            #expect(hello["setName"] == "tessera")
            #expect(hello["hosts"] == ["127.0.0.1:27017"])
            #expect(hello["primary"] == "127.0.0.1:27017" && hello["me"] == "127.0.0.1:27017")
            #expect(hello["isWritablePrimary"] == true && hello["secondary"] == false)
            #expect(hello.value(at: "lastWrite.opTime.ts") != nil)
            #expect(hello["$clusterTime"]?.documentValue?["clusterTime"] != nil)
            let status = server.run(["replSetGetStatus": 1], database: "admin")
            #expect(status.value(at: "members.0.stateStr") == "PRIMARY")
            #expect(server.run(["replSetGetStatus": 1]).code == 13)
        }
    }

    @Test func operationTimeFollowsTheChangeLog() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1]]])
            let reply = server.run(["ping": 1])
            let latest = server.engine.latestCommitSequence
            #expect(reply["operationTime"] == .timestamp(ReplicaSet.clusterTime(latest)))
        }
    }

    @Test func eventsArriveInCommitOrderWithTheirFields() throws {
        try CommandTestServer.with { server in
            let opened = Self.open(server)
            #expect(opened.ok == 1)
            #expect(Self.events(opened).isEmpty)
            #expect(opened.value(at: "cursor.postBatchResumeToken._data") != nil)
            server.run(["insert": "c", "documents": [["_id": 1, "a": 1]]])
            server.run(["update": "c", "updates": [["q": ["_id": 1], "u": ["$set": ["b.c": 2], "$unset": ["a": ""]]]]])
            server.run(["update": "c", "updates": [["q": ["_id": 1], "u": ["z": 1]]]])
            server.run(["delete": "c", "deletes": [["q": ["_id": 1], "limit": 1]]])
            let batch = Self.getMore(server, opened)
            let events = Self.events(batch)
            #expect(events.map { $0["operationType"]?.stringValue } == ["insert", "update", "replace", "delete"])
            #expect(events[0]["fullDocument"] == ["_id": 1, "a": 1])
            #expect(events[0]["ns"] == ["db": "test", "coll": "c"])
            #expect(events[1]["updateDescription"] == [
                "updatedFields": ["b": ["c": 2]], "removedFields": ["a"], "truncatedArrays": [],
            ])
            #expect(events[1]["fullDocument"] == nil)
            #expect(events[2]["fullDocument"] == ["_id": 1, "z": 1])
            #expect(events[3]["documentKey"] == ["_id": 1])
            #expect(batch.value(at: "cursor.postBatchResumeToken") == events[3]["_id"])
        }
    }

    @Test func resumeAfterATokenContinuesExactlyThere() throws {
        try CommandTestServer.with { server in
            let opened = Self.open(server)
            server.run(["insert": "c", "documents": [["_id": 1], ["_id": 2], ["_id": 3]]])
            let events = Self.events(Self.getMore(server, opened))
            let resumed = Self.open(server, ["resumeAfter": events[0]["_id"] ?? .null])
            #expect(Self.events(resumed).compactMap { $0["documentKey"]?.documentValue?["_id"] } == [2, 3])
        }
    }

    @Test func resumeTokenOlderThanRetainedHistoryFailsWith286() throws {
        try withTemporaryStorePath { path in
            var options = DocumentStoreOptions()
            options.changeLogRetention = ChangeLogRetention(maximumEntries: 5, maximumBytes: nil, trimInterval: 1)
            let engine = try QueryEngine(path: path, options: options)
            let dispatcher = CommandDispatcher(engine: engine, metrics: ServerMetrics(), logger: Logger(label: "test"))
            let server = CommandTestServer(engine: engine, dispatcher: dispatcher, metrics: ServerMetrics())
            server.run(["insert": "c", "documents": [["_id": 0]]])
            let opened = Self.open(server)
            let token = opened.value(at: "cursor.postBatchResumeToken") ?? .null
            for index in 1...20 { server.run(["insert": "c", "documents": [["_id": .int32(Int32(index))]]]) }
            let resumed = Self.open(server, ["resumeAfter": token])
            #expect(resumed.code == 286)
            #expect(resumed["codeName"] == "ChangeStreamHistoryLost")
            let old = Self.open(server, ["startAtOperationTime": .timestamp(ReplicaSet.clusterTime(2))])
            #expect(old.code == 286)
            // The open stream fell behind the retained history too.
            #expect(Self.getMore(server, opened).code == 286)
        }
    }

    @Test func dropInvalidatesAndClosesTheCursor() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1]]])
            let opened = Self.open(server)
            server.run(["drop": "c"])
            let batch = Self.getMore(server, opened)
            #expect(Self.events(batch).map { $0["operationType"]?.stringValue } == ["drop", "invalidate"])
            #expect(batch.value(at: "cursor.id") == .int64(0))
            let invalidate = Self.events(batch)[1]["_id"] ?? .null
            #expect(Self.open(server, ["resumeAfter": invalidate]).code == 260)
            #expect(Self.open(server, ["startAfter": invalidate]).ok == 1)
        }
    }

    @Test func optionsAreChecked() throws {
        try CommandTestServer.with { server in
            #expect(Self.open(server, ["fullDocument": "maybe"]).code == 2)
            #expect(Self.open(server, ["bogus": 1]).code == 40415)
            #expect(Self.open(server, ["resumeAfter": ["_data": "00"], "startAfter": ["_data": "00"]]).code != 1)
            #expect(Self.open(server, [:], stages: [["$sort": ["_id": 1]]]).code == 20)
            #expect(Self.open(server, ["allChangesForCluster": true], collection: 1).code == 73)
            #expect(Self.open(server, ["allChangesForCluster": true], collection: 1, database: "admin").ok == 1)
            #expect(Self.open(server, [:], collection: 1, database: "admin").code == 73)
        }
    }

    @Test func getMoreWaitsUntilACommitWakesIt() throws {
        try CommandTestServer.with { server in
            let opened = Self.open(server)
            let writer = Thread {
                Thread.sleep(forTimeInterval: 0.2)
                server.run(["insert": "c", "documents": [["_id": 1]]])
            }
            let started = ContinuousClock.now
            writer.start()
            let events = Self.events(Self.getMore(server, opened, wait: 5000))
            let elapsed = ContinuousClock.now - started
            #expect(events.count == 1)
            #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(3))
            // With nothing to report, the getMore returns after maxAwaitTimeMS.
            let waitStart = ContinuousClock.now
            #expect(Self.events(Self.getMore(server, opened, wait: 200)).isEmpty)
            #expect(ContinuousClock.now - waitStart >= .milliseconds(190))
        }
    }

    @Test func tailableCursorFollowsACappedCollection() throws {
        try CommandTestServer.with { server in
            #expect(server.run(["create": "cap", "capped": true, "size": 4096, "max": 3]).ok == 1)
            #expect(server.run(["create": "bad", "capped": true]).code == 72)
            #expect(server.run(["create": "plain"]).ok == 1)
            #expect(server.run(["find": "plain", "tailable": true]).code == 2)
            server.run(["insert": "cap", "documents": [["_id": 1], ["_id": 2]]])
            let opened = server.run(["find": "cap", "tailable": true, "awaitData": true])
            #expect(Self.events(opened).compactMap { $0["_id"] } == [1, 2])
            server.run(["insert": "cap", "documents": [["_id": 3]]])
            let next = server.run(["getMore": opened.value(at: "cursor.id") ?? .null, "collection": "cap", "maxAwaitTimeMS": 10])
            #expect(Self.events(next).compactMap { $0["_id"] } == [3])
            #expect(next.value(at: "cursor.id") == opened.value(at: "cursor.id"))
            server.run(["insert": "cap", "documents": [["_id": 4], ["_id": 5]]])
            let all = server.run(["find": "cap"])
            #expect(Self.events(all).compactMap { $0["_id"] } == [3, 4, 5])
        }
    }
}
