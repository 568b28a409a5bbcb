// The engine's change-stream core through QueryEngine's public API only (no command layer):
// events for insert, update, replace and delete in commit order, resuming after a token,
// scope and following stages filtering events, the wait for a new commit, invalidate after
// a drop, the spec's rules, and the resume token and cluster time encodings.

import BSON
import Foundation
import Query
import Synchronization
import Testing
import TestSupport

@Suite struct ChangeStreamTests {
    private static let namespace = (database: "shop", collection: "orders")

    private static func collectionScope() throws -> ChangeStreamSpec.Scope {
        try .watching(database: namespace.database, collection: namespace.collection)
    }

    /// Everything the stream has now, without waiting.
    private static func drain(_ stream: ChangeStream) throws -> [BSONDocument] {
        try stream.nextBatch(batchSize: 1000, waitUntil: nil) { () throws(MongoError) in }.events
    }

    @Test func insertUpdateReplaceAndDeleteArriveInCommitOrderWithTheirFields() throws {
        try withEngine { engine in
            let orders = try engine.collection(Self.namespace.collection, in: Self.namespace.database)
            let stream = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope()))
            try orders.insert(["_id": 1, "item": "pen", "qty": 2])
            try orders.update(["_id": 1], ["$set": ["qty": 5]])
            try orders.update(["_id": 1], ["item": "ink"])
            try orders.delete(["_id": 1])

            let events = try Self.drain(stream)
            #expect(events.compactMap { $0["operationType"]?.stringValue } == ["insert", "update", "replace", "delete"])
            for event in events {
                #expect(event["ns"] == ["db": "shop", "coll": "orders"])
                #expect(event["documentKey"] == ["_id": 1])
            }
            #expect(events[0]["fullDocument"] == ["_id": 1, "item": "pen", "qty": 2])
            #expect(events[1].value(at: "updateDescription.updatedFields") == ["qty": 5])
            #expect(events[1].value(at: "updateDescription.removedFields") == [])
            #expect(events[1]["fullDocument"] == nil)
            #expect(events[2]["fullDocument"] == ["_id": 1, "item": "ink"])
            #expect(events[3]["fullDocument"] == nil)
            // Each event's _id is its resume token, and tokens follow commit order.
            let tokens = try events.map { (event) throws -> ResumeToken in try ResumeToken(event["_id"] ?? .null) }
            #expect(tokens.map(\.sequence) == tokens.map(\.sequence).sorted())
            #expect(Set(tokens).count == events.count)
            // Cluster times are the engine's mapping of the same positions.
            #expect(events.map { $0["clusterTime"] } == tokens.map { .timestamp(ClusterTime.timestamp(ofSequence: $0.sequence)) })
        }
    }

    @Test func updateLookupAddsTheCurrentDocumentToUpdates() throws {
        try withEngine { engine in
            let orders = try engine.collection(Self.namespace.collection, in: Self.namespace.database)
            let stream = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope(), fullDocument: .updateLookup))
            try orders.insert(["_id": 7, "qty": 1])
            try orders.update(["_id": 7], ["$inc": ["qty": 4]])
            let events = try Self.drain(stream)
            #expect(events.last?["operationType"] == "update")
            #expect(events.last?["fullDocument"] == ["_id": 7, "qty": 5])
        }
    }

    @Test func aStreamResumedAfterATokenSeesExactlyTheLaterEvents() throws {
        try withEngine { engine in
            let orders = try engine.collection(Self.namespace.collection, in: Self.namespace.database)
            let first = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope()))
            for id: Int32 in 1...4 { try orders.insert(["_id": .int32(id)]) }
            let all = try Self.drain(first)
            #expect(all.count == 4)

            let token = try ResumeToken(all[1]["_id"] ?? .null)
            let resumed = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope(), start: .after(token)))
            let later = try Self.drain(resumed)
            #expect(later.map { $0["documentKey"] } == all.dropFirst(2).map { $0["documentKey"] })
            #expect(later.map { $0["_id"] } == all.dropFirst(2).map { $0["_id"] })

            // Starting at a cluster time includes the event at that time.
            let time = ClusterTime.timestamp(ofSequence: token.sequence)
            let atTime = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope(), start: .at(time)))
            #expect(try Self.drain(atTime).map { $0["_id"] } == all.dropFirst(1).map { $0["_id"] })
        }
    }

    @Test func thePostBatchTokenResumesWhereTheBatchEnded() throws {
        try withEngine { engine in
            let orders = try engine.collection(Self.namespace.collection, in: Self.namespace.database)
            let stream = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope()))
            for id: Int32 in 1...5 { try orders.insert(["_id": .int32(id)]) }
            let batch = try stream.nextBatch(batchSize: 2, waitUntil: nil) { () throws(MongoError) in }
            #expect(batch.events.count == 2)
            #expect(!batch.isFinished)
            let token = try ResumeToken(.document(batch.postBatchResumeToken))
            let resumed = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope(), start: .after(token)))
            let rest = try Self.drain(resumed).compactMap { $0.value(at: "documentKey._id") }
            #expect(rest == [3, 4, 5])
        }
    }

    @Test func scopeAndFollowingStagesFilterEvents() throws {
        try withEngine { engine in
            let orders = try engine.collection("orders", in: "shop")
            let users = try engine.collection("users", in: "shop")
            let elsewhere = try engine.collection("orders", in: "other")
            let onOrders = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope()))
            let onDatabase = try engine.watch(try ChangeStreamSpec(scope: try .watching(database: "shop", collection: nil)))
            let deletesOnly = try engine.watch(try ChangeStreamSpec(
                scope: try Self.collectionScope(), stages: [["$match": ["operationType": "delete"]]]))
            let projected = try engine.watch(try ChangeStreamSpec(
                scope: try Self.collectionScope(), stages: [["$project": ["operationType": 1]]]))

            try orders.insert(["_id": 1])
            try users.insert(["_id": "ada"])
            try elsewhere.insert(["_id": 2])
            try orders.delete(["_id": 1])

            #expect(try Self.drain(onOrders).compactMap { $0["operationType"]?.stringValue } == ["insert", "delete"])
            #expect(try Self.drain(onDatabase).compactMap { $0.value(at: "ns.coll")?.stringValue } == ["orders", "users", "orders"])
            let deletes = try Self.drain(deletesOnly)
            #expect(deletes.count == 1)
            #expect(deletes.first?["operationType"] == "delete")
            let shaped = try Self.drain(projected)
            #expect(shaped.map { Set($0.keys) } == [["_id", "operationType"], ["_id", "operationType"]])
        }
    }

    @Test func aStageThatChangesTheResumeTokenEndsTheStream() throws {
        try withEngine { engine in
            let orders = try engine.collection(Self.namespace.collection, in: Self.namespace.database)
            let stream = try engine.watch(try ChangeStreamSpec(
                scope: try Self.collectionScope(), stages: [["$set": ["_id": "replaced"]]]))
            try orders.insert(["_id": 1])
            let code = mongoErrorCode { _ = try Self.drain(stream) }
            #expect(code == 280)
        }
    }

    @Test func dropEndsACollectionStreamWithInvalidate() throws {
        try withEngine { engine in
            let orders = try engine.collection(Self.namespace.collection, in: Self.namespace.database)
            let stream = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope()))
            try orders.insert(["_id": 1])
            try engine.dropCollection(orders.namespace)
            let batch = try stream.nextBatch(batchSize: nil, waitUntil: nil) { () throws(MongoError) in }
            #expect(batch.events.compactMap { $0["operationType"]?.stringValue } == ["insert", "drop", "invalidate"])
            #expect(batch.isFinished)
            let invalidate = try ResumeToken(batch.events.last?["_id"] ?? .null)
            #expect(invalidate.isInvalidate)
            // startAfter an invalidate opens a new stream after it.
            let after = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope(), start: .after(invalidate)))
            try orders.insert(["_id": 2])
            #expect(try Self.drain(after).compactMap { $0.value(at: "documentKey._id") } == [2])
        }
    }

    @Test func aWaitingReadReturnsTheNextCommit() throws {
        try withEngine { engine in
            let orders = try engine.collection(Self.namespace.collection, in: Self.namespace.database)
            let stream = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope()))
            let latest = engine.latestCommitSequence
            // Nothing new: the stream says which commit it would wait for.
            #expect(try Self.drain(stream).isEmpty)
            #expect(stream.waitSequence(latest: latest) == latest)

            let writer = Thread {
                _ = try? orders.insert(["_id": "late"])
            }
            writer.start()
            let batch = try stream.nextBatch(batchSize: nil, waitUntil: .now + .seconds(60)) { () throws(MongoError) in }
            #expect(batch.events.first?.value(at: "documentKey._id") == "late")
        }
    }

    @Test func theInterruptStopsAWaitingRead() throws {
        try withEngine { engine in
            let stream = try engine.watch(try ChangeStreamSpec(scope: try Self.collectionScope()))
            let code = mongoErrorCode {
                _ = try stream.nextBatch(batchSize: nil, waitUntil: .now + .seconds(60)) { () throws(MongoError) in
                    throw MongoError(.interrupted, "operation was interrupted")
                }
            }
            #expect(code == 11601)
        }
    }

    @Test func theSpecRefusesStagesAndScopesAStreamCannotHave() {
        #expect(mongoErrorCode { _ = try ChangeStreamSpec(scope: .cluster, stages: [["$group": ["_id": 1]]]) } == 20)
        #expect(mongoErrorCode { _ = try ChangeStreamSpec(scope: .cluster, stages: [["$changeStream": [:]]]) } == 40602)
        #expect(mongoErrorCode { _ = try ChangeStreamSpec.Scope.watching(database: "admin", collection: "c") } == 73)
        #expect(mongoErrorCode { _ = try ChangeStreamSpec.Scope.watching(database: "shop", collection: "system.views") } == 73)
        #expect(mongoErrorCode { _ = try ChangeStreamSpec.Scope.watching(database: "local", collection: nil) } == 73)
        #expect(mongoErrorCode {
            _ = try ChangeStreamSpec.Scope.watching(database: "shop", collection: nil, allChangesForCluster: true)
        } == 73)
        #expect((try? ChangeStreamSpec.Scope.watching(database: "admin", collection: nil, allChangesForCluster: true)) == .cluster)
    }

    @Test func clusterTimeRoundTripsSequenceNumbers() {
        for sequence: UInt64 in [0, 1, 2, 0xFFFF_FFFF, 0x1_0000_0000, 1 << 40 | 7] {
            #expect(ClusterTime.sequence(of: ClusterTime.timestamp(ofSequence: sequence)) == sequence)
        }
        #expect(ClusterTime.timestamp(ofSequence: 0) != BSONTimestamp(timestamp: 0, increment: 0))
        #expect(ClusterTime.timestamp(ofSequence: 5) < ClusterTime.timestamp(ofSequence: 6))
        #expect(ClusterTime.timestamp(ofSequence: 0xFFFF_FFFF) < ClusterTime.timestamp(ofSequence: 0x1_0000_0000))
    }

    @Test func resumeTokensRoundTripAndSortAsPositions() throws {
        let tokens = [ResumeToken(sequence: 9), ResumeToken(sequence: 10), ResumeToken(sequence: 10, isInvalidate: true),
                      ResumeToken(sequence: 1 << 33)]
        for token in tokens { #expect(try ResumeToken(.document(token.document)) == token) }
        let data = tokens.compactMap { $0.document["_data"]?.stringValue }
        #expect(data == data.sorted())
        #expect(mongoErrorCode { _ = try ResumeToken(["_data": "zz"]) } == 260)
        #expect(mongoErrorCode { _ = try ResumeToken(.int32(1)) } == 260)
    }
}
