// Diagnostic commands: serverStatus (connections, opcounters, network, memory, storage
// engine and RocksDB's figures, cursors, TTL), getLog, currentOp and killOp.

import BSON
import Query

/// Server diagnostics.
enum DiagnosticCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["serverStatus"], help: "the server's counters and state") { (context) throws(MongoError) -> BSONDocument in serverStatus(context) },
        CommandHandler(["getLog"], help: "recent log lines (global) or startup warnings") { (context) throws(MongoError) -> BSONDocument in
            try getLog(context)
        },
        CommandHandler(["currentOp"], help: "the operations running now") { (context) throws(MongoError) -> BSONDocument in try currentOp(context) },
        CommandHandler(["killOp"], help: "marks a running operation to stop") { (context) throws(MongoError) -> BSONDocument in try killOp(context) },
    ]

    /// serverStatus's `rocksdb` section: the storage engine's figures (as the metrics endpoint's).
    static func rocksDBSection(_ figures: EngineFigures) -> BSONDocument {
        var section: BSONDocument = [
            "memtableBytes": .int64(Int64(clamping: figures.memtableBytes)),
            "pendingCompactionBytes": .int64(Int64(clamping: figures.pendingCompactionBytes)),
            "writeStoppedKeySpaces": .int64(Int64(clamping: figures.writeStoppedKeySpaces)),
            "delayedWriteRate": .int64(Int64(clamping: figures.delayedWriteRate)),
            "blockCacheUsage": .int64(Int64(clamping: figures.blockCacheUsage)),
            "blockCacheCapacity": .int64(Int64(clamping: figures.blockCacheCapacity)),
            "sstBytesByLevel": .array(figures.sstBytesByLevel.map { .int64(Int64(clamping: $0)) }),
        ]
        if let hits = figures.blockCacheHits, let misses = figures.blockCacheMisses {
            section.append("blockCacheHits", .int64(Int64(clamping: hits)))
            section.append("blockCacheMisses", .int64(Int64(clamping: misses)))
        }
        return section
    }

    /// serverStatus.
    static func serverStatus(_ context: CommandContext) -> BSONDocument {
        let server = context.server
        let metrics = server.metrics.snapshot
        let uptime = server.uptime
        let uptimeMillis = uptime.components.seconds * 1000 + uptime.components.attoseconds / 1_000_000_000_000_000
        let memory = SystemInfo.memoryMiB()
        let cursors = server.cursors.counts
        let available = max(0, 1_000_000 - metrics.currentConnections)
        let ttl = server.engine.ttlStatistics
        return [
            "host": .string(SystemInfo.hostName),
            "version": .string(server.configuration.versionString),
            "process": "tessera",
            "pid": .int64(SystemInfo.processID),
            "uptime": .double(Double(uptimeMillis) / 1000),
            "uptimeMillis": .int64(uptimeMillis),
            "uptimeEstimate": .int64(uptime.components.seconds),
            "localTime": .datetime(WallClock.now()),
            "connections": .document([
                "current": .int32(Int32(clamping: metrics.currentConnections)),
                "available": .int32(Int32(clamping: available)),
                "totalCreated": .int64(Int64(metrics.totalConnections)),
                "awaitingTopologyChanges": .int64(Int64(server.topology.waiterCount)),
                // Feed getMores (change streams, awaitData cursors) parked on their connection.
                "awaitingFeedGetMores": .int64(Int64(server.engine.commitNotificationCount)),
            ]),
            "network": .document([
                "bytesIn": .int64(Int64(metrics.bytesIn)),
                "bytesOut": .int64(Int64(metrics.bytesOut)),
                "numRequests": .int64(Int64(metrics.requests)),
            ]),
            "opcounters": .document(server.opCounters.withLock { $0.document }),
            "opLatencies": .document(server.opLatencies.document),
            "mem": .document([
                "bits": .int32(64), "resident": .int64(memory.resident), "virtual": .int64(memory.virtual),
                "supported": .bool(memory.resident > 0),
            ]),
            "tessera": .document([
                "journal": .document([
                    "syncs": .int64(Int64(server.engine.journalSyncCount)),
                    "backgroundSyncs": .int64(Int64(server.engine.backgroundJournalSyncCount)),
                    "commitIntervalMs": .int64(server.configuration.parameters.integer("journalCommitInterval")),
                    "groupCommit": .document(groupCommitSection(server.engine.groupCommitFigures)),
                ]),
                "commitSection": .document(commitSectionSection(server.engine.commitSectionFigures)),
            ]),
            "storageEngine": .document([
                "name": "rocksdb", "supportsCommittedReads": .bool(true), "persistent": .bool(true),
                "readOnly": .bool(false),
            ]),
            "rocksdb": .document(rocksDBSection(server.engine.storageFigures)),
            "logicalSessionRecordCache": .document(["activeSessionsCount": .int32(Int32(clamping: server.sessions.count))]),
            "metrics": .document([
                "document": .document(server.documentMetrics.document),
                "operation": .document(server.documentMetrics.operation),
                "queryExecutor": .document(server.documentMetrics.queryExecutor),
                "ttl": .document([
                    "passes": .int64(ttl.passes), "subPasses": .int64(ttl.subPasses),
                    "deletedDocuments": .int64(ttl.deletedDocuments),
                ]),
                "cursor": .document([
                    "timedOut": .int64(Int64(cursors.timedOut)),
                    "totalOpened": .int64(Int64(cursors.totalOpened)),
                    "open": .document([
                        "total": .int64(Int64(cursors.open)), "noTimeout": .int64(Int64(cursors.noTimeout)),
                    ]),
                ]),
            ]),
        ]
    }

    /// serverStatus's `tessera.journal.groupCommit`: how many journaled writes each WAL fsync
    /// made durable — the number of syncs, the writes they covered, the largest batch, and
    /// syncs per batch size (`batchSizes`, keyed by each bucket's inclusive upper bound).
    static func groupCommitSection(_ figures: GroupCommitFigures) -> BSONDocument {
        var sizes = BSONDocument()
        for (index, count) in figures.bucketCounts.enumerated() {
            let label = index < GroupCommitFigures.bucketBounds.count ? "le\(GroupCommitFigures.bucketBounds[index])" : "more"
            sizes.append(label, .int64(count))
        }
        return ["batches": .int64(figures.batches), "writes": .int64(figures.writes),
                "largestBatch": .int64(figures.largestBatch), "batchSizes": .document(sizes)]
    }

    /// serverStatus's `tessera.commitSection`: how often commits entered the store's commit
    /// section, the time they waited to enter and held it (microseconds, summed), the longest
    /// wait, and entries per wait time (`waitTimes`, keyed by each bucket's inclusive upper
    /// bound in microseconds).
    static func commitSectionSection(_ figures: CommitSectionFigures) -> BSONDocument {
        var waits = BSONDocument()
        for (index, count) in figures.waitBucketCounts.enumerated() {
            let bounds = CommitSectionFigures.waitBucketBoundsMicros
            waits.append(index < bounds.count ? "le\(bounds[index])us" : "more", .int64(count))
        }
        return ["acquisitions": .int64(figures.acquisitions), "waitMicros": .int64(figures.waitNanos / 1_000),
                "holdMicros": .int64(figures.holdNanos / 1_000),
                "longestWaitMicros": .int64(figures.longestWaitNanos / 1_000), "waitTimes": .document(waits)]
    }

    /// getLog: `"*"` lists the log names; `"global"` the kept lines; `"startupWarnings"`
    /// the warnings given at start.
    static func getLog(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard case let .string(which) = context.firstValue else {
            throw MongoError(.typeMismatch, "Argument to getLog must be of type String; found \(context.firstValue.extendedJSON()) of type \(context.firstValue.type.alias)")
        }
        switch which {
        case "*":
            return ["names": .array(["global", "startupWarnings"])]
        case "global":
            let log = context.server.log
            return ["totalLinesWritten": .int32(Int32(clamping: log.total)), "log": .array(log.lines.map { .string($0) })]
        case "startupWarnings":
            let warnings = context.server.configuration.startupWarnings
            return ["totalLinesWritten": .int32(Int32(clamping: warnings.count)),
                    "log": .array(warnings.map { .string($0) })]
        default:
            throw MongoError(.operationFailed, "No log named '\(which)'")
        }
    }

    /// currentOp: the running commands (optionally filtered by top-level equality on
    /// their fields, and `$all`/`$ownOps` accepted).
    static func currentOp(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let ownOps = AuthorizationTable.truthy(context.body["$ownOps"])
        let inprog = operationDocuments(context, ownOps: ownOps).filter { matches($0, filter: context.body) }
        return ["inprog": .array(inprog.map { .document($0) })]
    }

    /// The running operations `context`'s caller may see (only its own with `ownOps`), as
    /// currentOp and the `$currentOp` stage show them.
    static func operationDocuments(_ context: CommandContext, ownOps: Bool) -> [BSONDocument] {
        let now = ContinuousClock.now
        var inprog: [BSONDocument] = []
        for operation in context.server.operations.running
        where context.server.showsOperation(operation, ownOps: ownOps, connection: context.connection) {
            let elapsed = now - operation.started
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            var op: BSONDocument = [
                "type": "op",
                "host": .string(SystemInfo.hostName),
                "desc": .string("conn\(operation.connectionID)"),
                "connectionId": .int64(operation.connectionID),
                "client": .string(operation.client),
                "active": .bool(true),
                "opid": .int32(operation.id),
                "secs_running": .int64(elapsed.components.seconds),
                "microsecs_running": .int64(micros),
                "op": .string(operation.command.first?.key == "getMore" ? "getmore" : "command"),
                "ns": .string(operation.namespace),
                "command": .document(operation.command),
                "currentOpTime": .string(operation.startedAt.millisecondsSinceEpoch.description),
                "killPending": .bool(operation.isKilled),
            ]
            if let summary = operation.tally.planSummary { op.append("planSummary", .string(summary)) }
            inprog.append(op)
        }
        return inprog
    }

    /// Whether `op` satisfies the currentOp filter's plain equality fields.
    private static func matches(_ op: BSONDocument, filter: BSONDocument) -> Bool {
        for element in filter.dropFirst() where !element.key.hasPrefix("$") && !HandshakeCommands.genericFields.contains(element.key) {
            guard let value = op[element.key], BSONValue.compare(value, element.value) == 0 else { return false }
        }
        return true
    }

    /// killOp: `{killOp: 1, op: <opid>}`.
    static func killOp(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard let id = try context.integer("op") else {
            throw MongoError(.location(40414), "BSON field 'killOp.op' is missing but a required field")
        }
        guard let opid = Int32(exactly: id) else { throw MongoError(.badValue, "invalid op id \(id)") }
        _ = context.server.operations.kill(opid)
        return ["info": "attempting to kill op"]
    }
}
