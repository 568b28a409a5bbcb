// SessionStatement: a command carrying `txnNumber` — a retryable write or a statement of a
// multi-document transaction — parsed from its `lsid`, `txnNumber`, `autocommit` and
// `startTransaction`, and run under its session's lock through SessionTransactionState.

import BSON
import Query

/// A command that belongs to a numbered transaction or retryable write of a session.
struct SessionStatement: Sendable {
    /// The commands a transaction may run (`create` and `createIndexes` as mongod 4.4+ does:
    /// collections and indexes created inside exist for others once it commits; the client
    /// `bulkWrite` as 8.0 does).
    static let allowedInTransaction: Set<String> = [
        "find", "getMore", "killCursors", "aggregate", "distinct", "insert", "update", "delete",
        "findAndModify", "findandmodify", "commitTransaction", "abortTransaction", "create", "createIndexes",
        "bulkWrite",
    ]
    /// The commands that are retryable writes.
    static let retryableWrites: Set<String> = ["insert", "update", "delete", "findAndModify", "findandmodify", "bulkWrite"]
    /// The retryable writes that record each statement they execute, so a retry applies only
    /// the statements an earlier attempt did not (the others record the command as a whole).
    static let recordedPerStatement: Set<String> = ["insert", "update", "delete"]

    /// The session.
    let sessionID: BSONBinary
    /// `txnNumber`.
    let number: Int64
    /// What the statement is.
    let kind: SessionStatementKind

    /// The statement `context` is, or `nil` when it carries no `txnNumber` (an ordinary
    /// command).
    ///
    /// - Throws: MongoDB's errors for inconsistent fields: `InvalidOptions` (72) for
    ///   `autocommit: true`, `autocommit` or `startTransaction` without `txnNumber`, or a
    ///   `txnNumber` without `lsid`; `OperationNotSupportedInTransaction` (263); `Location50768`
    ///   for a `txnNumber` on a command that is neither; `Unauthorized` (13) for commit or
    ///   abort outside `admin`.
    init?(_ context: CommandContext) throws(MongoError) {
        let name = context.name
        let isCommitOrAbort = name == "commitTransaction" || name == "abortTransaction"
        let autocommit = try context.bool("autocommit")
        let startTransaction = try context.bool("startTransaction")
        guard let rawNumber = context.body["txnNumber"] else {
            if isCommitOrAbort {
                throw MongoError(.invalidOptions, "Transaction number is required for \(name)")
            }
            if autocommit != nil || startTransaction != nil {
                throw MongoError(.invalidOptions, "'autocommit' and 'startTransaction' require a transaction number")
            }
            return nil
        }
        guard case let .int64(number) = rawNumber else {
            throw MongoError(.typeMismatch,
                             "BSON field 'OperationSessionInfo.txnNumber' is the wrong type '\(rawNumber.type.alias)', expected type 'long'")
        }
        guard let sessionID = context.sessionID else {
            throw MongoError(.invalidOptions, "Transaction number requires a session ID to also be specified")
        }
        guard number >= 0 else { throw MongoError(.badValue, "TxnNumber cannot be negative") }
        if isCommitOrAbort, context.database != "admin" {
            throw MongoError(.unauthorized, "\(name) may only be run against the admin database.")
        }
        let kind: SessionStatementKind
        switch autocommit {
        case true?:
            throw MongoError(.invalidOptions, "autocommit:true is not supported; omit it for a retryable write")
        case false?:
            guard Self.allowedInTransaction.contains(name) else { throw Self.notInTransaction(name) }
            if startTransaction == true {
                guard !isCommitOrAbort else {
                    throw MongoError(.invalidOptions, "\(name) cannot start a transaction")
                }
                kind = .startTransaction
            } else if startTransaction == false {
                throw MongoError(.invalidOptions, "Specifying startTransaction=false is not allowed.")
            } else {
                kind = name == "commitTransaction" ? .commit : name == "abortTransaction" ? .abort : .continueTransaction
            }
        case nil:
            if startTransaction != nil {
                throw MongoError(.invalidOptions, "'startTransaction' requires 'autocommit: false'")
            }
            if isCommitOrAbort {
                throw MongoError(.invalidOptions, "'autocommit' field is required for \(name)")
            }
            guard Self.retryableWrites.contains(name) else {
                throw MongoError(.location(50768),
                                 "txnNumber may only be provided for multi-document transactions and retryable write commands. autocommit:false was not provided, and \(name) is not a retryable write command.")
            }
            kind = .retryableWrite
        }
        self.sessionID = sessionID
        self.number = number
        self.kind = kind
    }

    /// The refusal of command `name` inside a transaction: `OperationNotSupportedInTransaction`
    /// (263), with mongod's own message for `count` (8.0's CommandHelpers::canUseTransactions).
    static func notInTransaction(_ name: String) -> MongoError {
        guard name != "count" else {
            return MongoError(.operationNotSupportedInTransaction,
                              "Cannot run 'count' in a multi-document transaction. Please see http://dochub.mongodb.org/core/transaction-count for a recommended alternative.")
        }
        return MongoError(.operationNotSupportedInTransaction, "Cannot run '\(name)' in a multi-document transaction.")
    }

    /// Runs `handler` inside `transaction`, a transaction its caller holds (an embedded
    /// session's), which commits or aborts it itself.
    ///
    /// - Throws: `OperationNotSupportedInTransaction` (263) for a command a transaction may
    ///   not run, or for commit and abort (the transaction's owner ends it); the command's
    ///   errors.
    static func join(_ transaction: QueryTransaction, handler: CommandHandler,
                     context: CommandContext) throws(MongoError) -> BSONDocument {
        let name = context.name
        guard allowedInTransaction.contains(name), name != "commitTransaction", name != "abortTransaction" else {
            throw notInTransaction(name)
        }
        var inside = context
        inside.transaction = transaction
        return try handler.run(inside)
    }

    /// Runs `handler` for this statement under the session's lock: replays a retried write
    /// (an insert, update or delete runs again, its executed statements answered from their
    /// records and the others applied), joins or starts the transaction, commits or aborts it.
    /// A failed statement aborts its transaction.
    func run(_ handler: CommandHandler, context: CommandContext) throws(MongoError) -> BSONDocument {
        let session = try context.server.sessions.session(sessionID)
        let engine = context.engine
        return try session.state.withLock { (state) throws(MongoError) -> BSONDocument in
            if engine.isShared, let stored = try engine.retryableWriteRecord(session: sessionID) {
                // Several servers on one database: the session may have moved on elsewhere.
                state.adoptShared(txnNumber: stored.txnNumber, reply: stored.reply)
            }
            if !state.restored, state.txnNumber == nil {
                // The session's first statement since the server started: a retry of a write
                // acknowledged before a restart must find its record.
                if let stored = try engine.retryableWriteRecord(session: sessionID) {
                    state.restore(txnNumber: stored.txnNumber, reply: stored.reply)
                } else {
                    state.restoredNothing()
                }
            }
            let step: SessionTransactionState.Step
            do throws(MongoError) {
                step = try state.step(kind, number: number, perStatement: Self.recordedPerStatement.contains(context.name)) {
                    () throws(MongoError) -> QueryTransaction in
                    try engine.beginTransaction()
                }
            } catch {
                // A retry of a statement another server is finishing: its writes are there,
                // its reply follows.
                let reply = try replyOfRunElsewhere(error, engine: engine)
                state.recordRetryableWrite(reply, number: number)
                return reply
            }
            switch step {
            case let .replay(reply):
                return reply
            case .run(nil), .retry:
                var inside = context
                var statements = statementCount(context)
                if Self.recordedPerStatement.contains(context.name) {
                    // A retry reads which statements earlier attempts executed (a first
                    // attempt has none: its number is new).
                    var executed: Set<Int32> = []
                    var inserted: [Int32: BSONValue] = [:]
                    if case .retry = step {
                        (executed, inserted) = try engine.executedRetryableStatements(session: sessionID, txnNumber: number)
                    }
                    let progress = RetryableWriteProgress(body: context.body, count: statements,
                                                          executed: executed, inserted: inserted)
                    inside.retryableWrite = progress
                    statements = progress.unexecutedCount(of: statements)
                }
                // The fail point counts the statements that write, as mongod's does when each
                // one's write completes: none on a retry whose statements all ran.
                let failure = context.server.testCommandsEnabled && statements > 0
                    ? context.server.failPoints.onPrimaryTransactionalWrite(statements: statements) : nil
                if let failure, let error = failure.error {
                    // Nothing is written or recorded, so a retry runs the write again.
                    if failure.closeConnection { return CommandDispatcher.closeConnectionReply }
                    throw error
                }
                let reply: BSONDocument
                do throws(MongoError) {
                    reply = try engine.runRetryableWrite(session: sessionID, txnNumber: number) { () throws(MongoError) in
                        try handler.run(inside)
                    }
                } catch {
                    // Another server ran this statement while it ran here (a driver's retry
                    // while the first attempt was still running): nothing was written here.
                    let applied = try replyOfRunElsewhere(error, engine: engine)
                    state.recordRetryableWrite(applied, number: number)
                    return applied
                }
                state.recordRetryableWrite(reply, number: number)
                // The writes are committed (each batch carried the statement's marker), so the
                // reply stands even if recording it fails (a full disk): the marker alone keeps
                // a retry after a restart from applying them twice (it answers 217 instead).
                // A write recorded per statement is retried by running it again against its
                // statements' records (`step` answers `.retry`, never a stored reply), so its
                // reply is stored only where another server sharing the store may wait for it
                // (`replyOfRunElsewhere`): on a private store that would be a second commit per
                // write for nothing.
                if engine.isShared || !Self.recordedPerStatement.contains(context.name) {
                    try? engine.recordRetryableWrite(session: sessionID, txnNumber: number, reply: reply)
                }
                // Written and recorded: a retry gets the recorded reply.
                if failure?.closeConnection == true { return CommandDispatcher.closeConnectionReply }
                return reply
            case let .run(transaction?):
                var inside = context
                inside.transaction = transaction
                let reply: BSONDocument
                do throws(MongoError) {
                    reply = try handler.run(inside)
                } catch {
                    state.abort()
                    throw error
                }
                if case let .array(errors)? = reply["writeErrors"], !errors.isEmpty {
                    state.abort()
                    if errors.contains(where: { $0.documentValue?["code"]?.int64Value == Int64(MongoError.Code.writeConflict.rawValue) }) {
                        throw MongoError(.writeConflict,
                                         "Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.",
                                         details: SessionTransactionState.transientLabel)
                    }
                }
                return reply
            case let .commit(transaction):
                guard let transaction else { return BSONDocument() }
                do throws(MongoError) {
                    try transaction.commit(writeConcern: try context.writeConcern())
                } catch {
                    state.abort()
                    throw error
                }
                state.committed(number: number)
                return BSONDocument()
            case .abort:
                state.abort()
                return BSONDocument()
            }
        }
    }

    /// On a store several servers share, for `IncompleteTransactionHistory` (217) from a
    /// retryable write whose statement another server applied: that server's reply, once it
    /// has recorded it. Anything else, or no reply in time, is rethrown.
    private func replyOfRunElsewhere(_ error: MongoError, engine: QueryEngine) throws(MongoError) -> BSONDocument {
        guard kind == .retryableWrite, engine.isShared, error.code == .incompleteTransactionHistory,
              let reply = try engine.awaitRetryableWriteReply(session: sessionID, txnNumber: number)
        else { throw error }
        return reply
    }

    /// How many statements a retryable write carries (its documents, updates, deletes or
    /// client bulkWrite operations; one for findAndModify), as `onPrimaryTransactionalWrite`
    /// counts them. With `failBeforeCommitExceptionCode` the whole command fails unwritten when
    /// the fail point fires for any of them, where mongod would keep the statements before it.
    private func statementCount(_ context: CommandContext) -> Int {
        let key = switch context.name {
        case "insert": "documents"
        case "update": "updates"
        case "delete": "deletes"
        case "bulkWrite": "ops"
        default: ""
        }
        guard case let .array(statements)? = context.body[key] else { return 1 }
        return statements.count
    }
}
