// The point-find lane: a `find` by `_id` with nothing but `limit`, `batchSize` and
// `singleBatch` (the request the YCSB point reads and drivers' findOne send), answered with
// its reply already in BSON bytes: the stored record is written into the reply as wire BSON
// (no BSONDocument is built for it or for the reply), and the dispatcher's bookkeeping is cut
// to what such a read touches — opcounters, opLatencies, top, the document metrics, the
// metrics observer and the session's last use; the profiler and slow-operation log only
// when they could fire. It is not registered for currentOp/killOp: it runs on the event
// loop in microseconds, never waiting. Anything outside it (auth, an active failCommand, a
// profiled database, a view or missing collection, a collation on a string `_id`, any other
// field, a malformed value) returns nil and the dispatcher runs the command as usual, so
// every error keeps the ordinary path's code and message.

import BSON
import Query

extension CommandDispatcher {
    /// The reply to `request`, as the bytes of its BSON document, when it is a point find
    /// this lane answers (see the file comment); nil when the ordinary ``run(_:connection:transaction:)``
    /// must run it. Non-blocking: the Server calls it on the event loop.
    public func runPointFind(_ request: CommandRequest, connection: ConnectionInfo) -> [UInt8]? {
        let started = ContinuousClock.now
        guard let find = PointFind(request), !server.auth.enabled, !server.profiler.watchesAnyDatabase,
              !(server.testCommandsEnabled && server.failPoints.failCommandIsActive),
              let namespace = try? Namespace(database: request.database, collection: find.collection)
        else { return nil }
        var writer = BSONWriter(capacity: 1_024)
        let returned: Int
        do throws(MongoError) {
            try server.engine.refreshSharedCatalog()
            if let session = find.session { try server.sessions.touch(session) }
            let reply = writer.beginDocument()
            let cursor = try Self.bson { () throws(BSONError) in try writer.beginDocument(key: "cursor") }
            let batch = try Self.bson { () throws(BSONError) in try writer.beginArray(key: "firstBatch") }
            let collection = server.engine.collection(namespace)
            var outcome = QueryCollection.WirePointRead.notFound
            let appended = try writer.appendDocument(index: 0) { (bytes) throws(MongoError) -> Bool in
                outcome = try collection.appendPointReadBSON(id: find.id, to: &bytes)
                return outcome == .appended
            }
            guard outcome != .notApplicable else { return nil }
            returned = appended ? 1 : 0
            writer.endContainer(batch)
            try Self.bson { () throws(BSONError) in
                try writer.append(key: "id", .int64(0))
                try writer.append(key: "ns", .string(namespace.description))
                writer.endContainer(cursor)
                try writer.append(key: "ok", .double(1))
                let latest = server.engine.latestCommitSequence
                try writer.append(key: "operationTime", .timestamp(ReplicaSet.clusterTime(latest)))
                try writer.append(key: "$clusterTime", .document(ReplicaSet.clusterTimeDocument(latest)))
            }
            writer.endContainer(reply)
        } catch {
            return nil
        }
        let duration = ContinuousClock.now - started
        server.count { $0.query += 1 }
        server.opLatencies.record(.reads, duration: duration)
        server.top.record("find", namespace: namespace.description, duration: duration)
        server.documentMetrics.recordPointRead(returned: returned)
        if Profiler.milliseconds(duration) >= server.profiler.slowMilliseconds {
            reportSlow(request, connection: connection, namespace: namespace, reply: writer.bytes,
                       returned: returned, duration: duration)
        }
        server.metrics.commandObserver?.commandFinished("find", succeeded: true, duration: duration)
        return writer.bytes
    }

    /// Hands a point find that took longer than `slowms` to the profiler (the slow-operation
    /// log), as the ordinary path would: the rare case pays for the operation record and the
    /// decoded reply.
    private func reportSlow(_ request: CommandRequest, connection: ConnectionInfo, namespace: Namespace,
                            reply: [UInt8], returned: Int, duration: Duration) {
        guard let document = try? reply.withUnsafeBytes({ (raw) throws(BSONError) in try BSONDocument(bsonBytes: raw) })
        else { return }
        let operation = Operation(id: 0, connectionID: connection.id, client: connection.remoteAddress,
                                  command: Self.summary(of: request.body), namespace: namespace.description,
                                  startedAt: WallClock.now())
        operation.tally.addPlan(indexKey: ["_id": .int32(1)])
        operation.tally.add(keysExamined: returned, docsExamined: returned)
        server.profiler.finished(FinishedCommand(name: "find", request: request, connection: connection,
                                                 operation: operation, reply: document, duration: duration),
                                 server: server)
    }

    /// Runs `body`, turning a BSON encoding error into a MongoError (the lane then gives up).
    private static func bson<T>(_ body: () throws(BSONError) -> T) throws(MongoError) -> T {
        do {
            return try body()
        } catch {
            throw MongoError(.internalError, "\(error)")
        }
    }
}

/// The parts of a find the point-find lane answers; nil for any other request.
struct PointFind {
    /// The collection name.
    let collection: String
    /// The `_id` value the filter pins.
    let id: BSONValue
    /// The `lsid`'s id, when the request has one.
    let session: BSONBinary?

    init?(_ request: CommandRequest) {
        guard !request.isLegacy, !request.isUnacknowledged, let first = request.body.first, first.key == "find",
              case let .string(collection) = first.value, !collection.isEmpty
        else { return nil }
        var id: BSONValue?
        var session: BSONBinary?
        for (index, element) in request.body.elements.enumerated() where index > 0 {
            switch (element.key, element.value) {
            case let ("filter", .document(filter)):
                guard filter.count == 1, let only = filter.first, only.key == "_id", Self.isKeyValue(only.value) else {
                    return nil
                }
                id = only.value
            case let ("limit", .int32(value)) where value >= 0: break
            case let ("limit", .int64(value)) where value >= 0: break
            // batchSize 0 would leave the cursor open with an empty first batch.
            case let ("batchSize", .int32(value)) where value > 0: break
            case let ("batchSize", .int64(value)) where value > 0: break
            case ("singleBatch", .bool): break
            case let ("lsid", .document(lsid)):
                guard lsid.count == 1, case let .binary(binary)? = lsid["id"] else { return nil }
                session = binary
            case ("$db", .string), ("$clusterTime", .document), ("$readPreference", .document): break
            default:
                return nil
            }
        }
        guard let id else { return nil }
        self.collection = collection
        self.id = id
        self.session = session
    }

    /// A value whose equality `{_id: value}` decides by its key alone: no arrays or documents
    /// (element-wise and field-order rules), no doubles or decimals (NaN and signed zeros).
    private static func isKeyValue(_ value: BSONValue) -> Bool {
        switch value {
        case .string, .objectId, .int32, .int64: true
        default: false
        }
    }
}
