// CommandDispatcher: the Commands layer's entry type. Takes a command request from the Server,
// finds its handler by name, runs it with maxTimeMS and killOp checks, counts it, and turns
// every MongoError into MongoDB's `{ok: 0, errmsg, code, codeName}` reply — the one place
// errors become replies.

public import BSON
public import Logging
public import Query

/// Runs commands against a query engine. Share one per server; `run` is thread-safe and
/// blocking (call it off the event loop).
public final class CommandDispatcher: Sendable {
    let server: ServerState

    /// The server parameters (getParameter / setParameter); the server's TTL monitor reads
    /// its schedule here before every pass.
    public var parameters: ServerParameters { server.parameters }

    /// A dispatcher over `engine`.
    public init(engine: QueryEngine, configuration: CommandConfiguration = .init(), metrics: ServerMetrics,
                logger: Logger) {
        server = ServerState(engine: engine, configuration: configuration, metrics: metrics, logger: logger)
    }

    /// The topology hello reports; the Server waits on it for awaitable hellos and tells it
    /// when shutdown begins.
    public var topology: ServerTopology { server.topology }

    /// Runs one command and returns its reply. Never throws: failures become
    /// `{ok: 0, errmsg, code, codeName}`; successes carry `ok: 1.0`.
    ///
    /// Given `transaction` (an embedded session's), the command joins it when a transaction
    /// may run it, else fails with `OperationNotSupportedInTransaction` (263).
    public func run(_ request: CommandRequest, connection: ConnectionInfo,
                    transaction: QueryTransaction? = nil) -> BSONDocument {
        let started = ContinuousClock.now
        var operation: Operation?
        let reply = execute(request, connection: connection, transaction: transaction, operation: &operation)
        let duration = ContinuousClock.now - started
        let name = Self.metricName(request)
        if let handler = CommandTable.byName[name] {
            server.opLatencies.record(OpLatencies.kind(name, counter: handler.counter), duration: duration)
        }
        if let operation {
            server.commandFinished(FinishedCommand(name: name, request: request, connection: connection,
                                                   operation: operation, reply: reply, duration: duration))
        }
        server.metrics.commandObserver?.commandFinished(name, succeeded: Self.succeeded(reply), duration: duration)
        return reply
    }

    /// Commands that never read the catalog, run without checking it is current (drivers'
    /// monitors send them every few seconds).
    private static let handshakeNames: Set<String> = ["hello", "isMaster", "ismaster", "ping", "buildInfo", "buildinfo"]

    private func execute(_ request: CommandRequest, connection: ConnectionInfo, transaction: QueryTransaction?,
                         operation registered: inout Operation?) -> BSONDocument {
        guard let name = request.body.first?.key else {
            return Self.errorReply(MongoError(.commandNotFound, "no such command: ''"))
        }
        let handler = CommandTable.byName[name]
        if request.isLegacy && handler?.allowsLegacy != true {
            return Self.errorReply(MongoError(
                MongoError.Code(352, "UnsupportedOpQueryCommand"),
                "Unsupported OP_QUERY command: \(name). The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal"))
        }
        guard let handler else {
            server.count { $0.command += 1 }
            return Self.errorReply(MongoError(.commandNotFound, "no such command: '\(name)'"))
        }
        switch handler.counter {
        case .command: server.count { $0.command += 1 }
        case .query: server.count { $0.query += 1 }
        case .getmore: server.count { $0.getmore += 1 }
        case .perStatement: break
        }
        if let denial = server.authorizationDenial(name, request, connection: connection) {
            server.logger.notice("unauthorized", metadata: ["command": "\(name)", "remote": "\(connection.remoteAddress)"])
            server.audit(AuditEvent.denied(name, request), connection: connection)
            return Self.errorReply(denial)
        }
        let deadline: ContinuousClock.Instant?
        do {
            // getMore's maxTimeMS is an await time or refused, never its deadline: the
            // handler bounds it by its cursor's budget (as mongod's getMore does).
            let requested = try Self.deadline(request.body)
            deadline = name == "getMore" ? nil : requested
        } catch {
            return Self.errorReply(error)
        }
        if deadline != nil, server.testCommandsEnabled, server.failPoints.maxTimeAlwaysTimesOut() {
            return Self.errorReply(MongoError(.maxTimeMSExpired, "operation exceeded time limit"))
        }
        let operation = server.operations.begin(
            connectionID: connection.id, client: connection.remoteAddress, command: Self.summary(of: request.body),
            namespace: Self.namespace(of: request), startedAt: WallClock.now())
        defer { server.operations.end(operation) }
        registered = operation
        let context = CommandContext(name: name, request: request, connection: connection, server: server,
                                     operation: operation, deadline: deadline)
        var failCommandLabels: [BSONValue]?
        do throws(MongoError) {
            if server.testCommandsEnabled,
               let data = server.failPoints.failCommand(
                   names: handler.names, namespace: Self.namespace(of: request),
                   appName: server.applicationName(connection: connection.id), afterRun: false) {
                let action = try FailPoints.action(for: data)
                failCommandLabels = action.errorLabels
                if let block = action.block { Self.block(for: block, operation: operation) }
                if action.closeConnection {
                    server.logger.info("failCommand fail point: closing connection", metadata: ["command": "\(name)"])
                    return Self.closeConnectionReply
                }
                if let error = action.error { throw error }
            }
            try server.fsyncLock.waitIfLocked(name, body: request.body, operation: operation, deadline: deadline)
            // Several servers on one database: see another server's collections and indexes.
            if !Self.handshakeNames.contains(name) { try server.engine.refreshSharedCatalog() }
            var reply: BSONDocument
            let mayCreate = server.collectionToAuditIfCreated(name, request)
            try SnapshotRead.rejectUnsupported(request.body, name: name)
            if let transaction {
                reply = try SessionStatement.join(transaction, handler: handler, context: context)
            } else if let statement = try SessionStatement(context) {
                reply = try statement.run(handler, context: context)
                // onPrimaryTransactionalWrite's closeConnection.
                if Self.closesConnection(reply) { return reply }
            } else {
                if let session = context.sessionID { try server.sessions.touch(session) }
                if let snapshot = try SnapshotRead(request.body, name: name, engine: server.engine) {
                    reply = try snapshot.run(context: context, history: server.snapshotHistory) { (inside) throws(MongoError) -> BSONDocument in
                        try handler.run(inside)
                    }
                } else {
                    reply = try handler.run(context)
                }
            }
            server.auth.commandSucceeded(name, request, connection: connection, reply: &reply,
                                         cursorIsOpen: server.cursors.contains, sessionIsLive: server.sessions.contains)
            server.auditSucceeded(name, request, connection: connection, reply: reply)
            server.auditImplicitCreation(mayCreate, connection: connection)
            if Self.acceptsWriteConcern.contains(name), reply["writeConcernError"] == nil,
               let concernError = context.unsatisfiableWriteConcernError() {
                reply["writeConcernError"] = .document(concernError)
            }
            if server.testCommandsEnabled,
               let data = server.failPoints.failCommand(
                   names: handler.names, namespace: Self.namespace(of: request),
                   appName: server.applicationName(connection: connection.id), afterRun: true),
               let concernError = data["writeConcernError"] {
                reply["writeConcernError"] = concernError
                if case let .array(labels)? = data["errorLabels"] { reply["errorLabels"] = .array(labels) }
            }
            // mongod labels a retryable write whose write concern failed with a retriable code.
            if reply["errorLabels"] == nil, Self.isRetryableWrite(request),
               case let .document(concernError)? = reply["writeConcernError"],
               let code = concernError["code"].flatMap(ClientNumber.saturatedInteger),
               FailPoints.retryableCodes.contains(where: { Int64($0) == code }) {
                reply["errorLabels"] = .array(["RetryableWriteError"])
            }
            reply.append("ok", .double(1))
            appendClusterTime(to: &reply, connection: connection)
            if request.isUnacknowledged, let errors = reply["writeErrors"] {
                // Nobody reads this reply (moreToCome): the log is the only place it shows.
                server.logger.warning("unacknowledged write had errors", metadata: [
                    "command": "\(name)", "writeErrors": "\(errors.extendedJSON())",
                ])
            }
            return reply
        } catch {
            if request.isUnacknowledged {
                server.logger.warning("unacknowledged command failed", metadata: ["command": "\(name)", "error": "\(error)"])
            }
            if error.code == .internalError || error.isStorageFailure {
                server.logger.error("command failed", metadata: [
                    "command": "\(name)", "error": "\(error)",
                    "storage": "\(error.causeDescription)",
                ])
                server.remember("command \(name) failed: \(error)")
            }
            var reply = Self.errorReply(error)
            if let labels = failCommandLabels {
                reply["errorLabels"] = .array(labels)
            } else if FailPoints.retryableCodes.contains(error.code.rawValue), Self.isRetryableWrite(request),
                      reply["errorLabels"] == nil {
                reply["errorLabels"] = .array(["RetryableWriteError"])
            } else if reply["errorLabels"] == nil, Self.isTransientTransactionError(error.code, request: request) {
                reply["errorLabels"] = .array(["TransientTransactionError"])
            }
            appendClusterTime(to: &reply, connection: connection)
            return reply
        }
    }

    /// `$clusterTime` and `operationTime` (the change log's newest sequence), as a replica
    /// set member adds to every reply.
    /// Not before a login under `--auth`: the change log's position says how much was written.
    private func appendClusterTime(to reply: inout BSONDocument, connection: ConnectionInfo) {
        guard !server.auth.isAnonymous(connection.id) else { return }
        let latest = server.engine.latestCommitSequence
        if reply["operationTime"] == nil { reply.append("operationTime", .timestamp(ReplicaSet.clusterTime(latest))) }
        reply.append("$clusterTime", .document(ReplicaSet.clusterTimeDocument(latest)))
    }

    /// Marks every running command interrupted by shutdown (they answer 11600
    /// InterruptedAtShutdown at their next interrupt check) and wakes the writes parked on
    /// the fsync lock (they answer it at once); returns how many there were.
    public func interruptAllForShutdown() -> Int {
        let interrupted = server.operations.interruptAllForShutdown()
        server.fsyncLock.wakeAll()
        return interrupted
    }

    /// Frees what belongs to a closed connection (its cursors stay usable from others until
    /// they time out, as in MongoDB, but stop counting against its limit).
    public func connectionClosed(_ connectionID: Int64) {
        server.cursors.release(connectionID: connectionID)
        server.auth.connectionClosed(connectionID)
        server.forgetApplicationName(connection: connectionID)
    }

    /// Kills cursors idle past `cursorTimeoutMillis`, and the cursors of
    /// sessions idle past the session timeout; aborts transactions open longer than
    /// `transactionLifetimeLimitSeconds`. Call it periodically.
    public func reapIdleCursors() {
        let reaped = server.cursors.reapIdle(timeout: server.parameters.cursorTimeout)
        let expired = server.sessions.expire()
        if !expired.isEmpty { server.cursors.kill(sessions: expired) }
        expireRetryableWrites()
        let limit = Duration.seconds(server.parameters.integer("transactionLifetimeLimitSeconds"))
        let aborted = server.sessions.abortTransactions(olderThan: limit)
        if aborted > 0 { server.logger.info("aborted transactions past their lifetime limit", metadata: ["count": "\(aborted)"]) }
        if reaped > 0 { server.logger.debug("reaped idle cursors", metadata: ["count": "\(reaped)"]) }
    }

    /// Deletes retryable-write records no live session uses and written longer than the
    /// session timeout ago, at most once a minute (a pass reads the whole record key space).
    private func expireRetryableWrites() {
        let now = WallClock.now().millisecondsSinceEpoch
        let due = server.retryableWriteSweep.withLock { last in
            guard now - last >= 60_000 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let timeout = Int64(server.sessions.timeoutMinutes) * 60_000
        do {
            let expired = try server.engine.expireRetryableWrites(
                writtenBefore: BSONDateTime(millisecondsSinceEpoch: now - timeout), keeping: server.sessions.all)
            if expired > 0 { server.logger.debug("expired retryable-write records", metadata: ["count": "\(expired)"]) }
        } catch {
            server.logger.warning("expiring retryable-write records failed", metadata: ["error": "\(error)"])
        }
    }

    /// The commands that take a write concern; a `w` this one-member set cannot meet gets
    /// a `writeConcernError` in their (otherwise successful) reply.
    static let acceptsWriteConcern: Set<String> = [
        "insert", "update", "delete", "bulkWrite", "findAndModify", "findandmodify", "create", "drop", "dropDatabase",
        "createIndexes", "dropIndexes", "renameCollection", "collMod", "aggregate", "commitTransaction",
        "abortTransaction", "createUser", "updateUser", "dropUser", "dropAllUsersFromDatabase", "createRole",
        "updateRole", "dropRole", "grantRolesToUser", "revokeRolesFromUser", "grantRolesToRole",
        "revokeRolesFromRole", "grantPrivilegesToRole", "revokePrivilegesFromRole",
    ]

    // MARK: Fail points

    /// The marker reply that tells the Server to close the connection without replying
    /// (failCommand's `closeConnection`).
    static let closeConnectionReply: BSONDocument = ["$closeConnection": .bool(true)]

    /// True for the reply that asks the Server to drop the connection instead of answering.
    public static func closesConnection(_ reply: BSONDocument) -> Bool {
        reply.count == 1 && reply.first?.key == "$closeConnection"
    }

    /// Holds this pool thread for `duration` (failCommand's `blockConnection`), waking early on killOp.
    static func block(for duration: Duration, operation: Operation) {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, !operation.isKilled {
            PoolThread.sleep(min(.milliseconds(5), end - ContinuousClock.now))
        }
    }

    /// A retryable write: a write command in a session with a `txnNumber`, outside a transaction.
    /// The codes mongod labels `TransientTransactionError` in a transaction statement
    /// (`isTransientTransactionError`: write conflicts, lock timeouts, prepared transactions,
    /// snapshot and re-targeting errors), NoSuchTransaction (251) aside.
    static let transientTransactionCodes: Set<Int32> = [112, 24, 267, 239, 246, 283, 117, 63, 150, 13388, 249]

    /// Whether a statement of a multi-document transaction (`autocommit: false`) that failed
    /// with `code` gets `TransientTransactionError`, as mongod labels it: the whole
    /// transaction may be retried (NoSuchTransaction too, also on commit and abort).
    static func isTransientTransactionError(_ code: MongoError.Code, request: CommandRequest) -> Bool {
        guard request.body["autocommit"] == .bool(false) else { return false }
        return transientTransactionCodes.contains(code.rawValue) || code == .noSuchTransaction
    }

    static func isRetryableWrite(_ request: CommandRequest) -> Bool {
        guard let name = request.body.first?.key,
              SessionStatement.retryableWrites.contains(name) else { return false }
        return request.body["txnNumber"] != nil && request.body["autocommit"] == nil
    }

    // MARK: Replies

    /// MongoDB's error reply for `error`.
    static func errorReply(_ error: MongoError) -> BSONDocument {
        var reply: BSONDocument = ["ok": .double(0), "errmsg": .string(error.message), "code": .int32(error.code.rawValue),
                                   "codeName": .string(error.code.name)]
        for detail in error.details { reply.append(detail.key, detail.value) }
        return reply
    }

    /// When `maxTimeMS` runs out (`nil` for none or 0).
    ///
    /// - Throws: `BadValue` (2) for a negative, fractional-overflow or non-numeric value.
    static func deadline(_ body: BSONDocument) throws(MongoError) -> ContinuousClock.Instant? {
        guard let value = body["maxTimeMS"] else { return nil }
        let milliseconds: Double
        switch value {
        case let .decimal128(decimal): milliseconds = decimal.doubleValue
        case .int32, .int64, .double: milliseconds = value.doubleValue ?? .nan
        default: throw MongoError(.badValue, "maxTimeMS must be a number")
        }
        guard milliseconds >= 0, milliseconds <= Double(Int32.max) else {
            throw MongoError(.badValue, "\(milliseconds) value for maxTimeMS is out of range [0, 2147483647]")
        }
        guard milliseconds >= 1 else { return nil }
        return .now + .milliseconds(Int64(milliseconds))  // checked: 1 <= milliseconds <= Int32.max
    }

    /// The command for currentOp: large arrays (document sequences) summarized, passwords and
    /// SASL payloads replaced by "xxx".
    static func summary(of body: BSONDocument) -> BSONDocument {
        var summary = BSONDocument()
        for element in body {
            if AuthCommands.secretFields.contains(element.key) {
                summary.append(element.key, "xxx")
            } else if case let .array(values) = element.value, values.count > 16 {
                summary.append(element.key, .string("<\(values.count) elements>"))
            } else {
                summary.append(element.key, element.value)
            }
        }
        return summary
    }

    /// `db.collection` for commands whose first value names a collection, else `db.$cmd`.
    static func namespace(of request: CommandRequest) -> String {
        if case let .string(collection)? = request.body.first?.value, !collection.isEmpty {
            return "\(request.database).\(collection)"
        }
        return "\(request.database).$cmd"
    }
}
