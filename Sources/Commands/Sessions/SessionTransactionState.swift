// SessionTransactionState: one session's transaction and retryable-write state machine —
// which txnNumber is current, whether its transaction is open, committed or aborted, and the
// reply of its retryable write. Pure transitions (no storage, no socket), unit-tested alone.

import BSON
import Query

/// What a session statement carrying a `txnNumber` is.
enum SessionStatementKind: Sendable, Equatable {
    /// A write with `txnNumber` and no `autocommit`: retried writes apply once.
    case retryableWrite
    /// The first statement of a transaction (`startTransaction: true`, `autocommit: false`).
    case startTransaction
    /// A later statement of a transaction (`autocommit: false`).
    case continueTransaction
    /// `commitTransaction`.
    case commit
    /// `abortTransaction`.
    case abort
}

/// The transaction and retryable-write state of one logical session.
struct SessionTransactionState: Sendable {
    /// Where the current `txnNumber`'s transaction is.
    enum Phase: Sendable {
        /// No transaction (none yet, or the number belongs to a retryable write).
        case none
        /// Open: statements join it.
        case active(QueryTransaction, started: ContinuousClock.Instant)
        /// Committed: a retried commit succeeds again.
        case committed
        /// Aborted (by the client, an error, the lifetime limit or the session's end).
        case aborted
    }

    /// What the caller must do with a statement.
    enum Step: Sendable {
        /// Run the command, inside `transaction` when given.
        case run(QueryTransaction?)
        /// A retried write: answer with the reply the first attempt got.
        case replay(BSONDocument)
        /// A retried write recorded per statement: run it again, answering the statements an
        /// earlier attempt executed from their records and applying the others.
        case retry
        /// Commit `transaction` (or, when nil, it already was: answer success).
        case commit(QueryTransaction?)
        /// Abort `transaction`.
        case abort(QueryTransaction)
    }

    /// The session's newest `txnNumber`.
    private(set) var txnNumber: Int64?
    /// The phase of that number's transaction.
    private(set) var phase: Phase = .none
    /// The reply of that number's retryable write, once it has one.
    private(set) var retryReply: BSONDocument?
    /// That number's retryable write committed writes before a restart, but its reply was
    /// never recorded: a retry must not run it again.
    private(set) var retryHistoryIncomplete = false
    /// Whether the store's record of this session was read (once, at its first statement
    /// since the server started).
    private(set) var restored = false

    /// The open transaction, if any.
    var activeTransaction: QueryTransaction? {
        if case let .active(transaction, _) = phase { return transaction }
        return nil
    }

    /// Moves to the statement `kind` with `number`; `begin` makes a new transaction.
    /// `perStatement` says a retryable write records each of its statements (insert, update,
    /// delete), so its retry runs again (``Step/retry``) instead of replaying a reply.
    mutating func step(
        _ kind: SessionStatementKind, number: Int64, perStatement: Bool = false,
        begin: () throws(MongoError) -> QueryTransaction
    ) throws(MongoError) -> Step {
        if let current = txnNumber, number < current {
            throw MongoError(.transactionTooOld,
                             "Cannot start transaction \(number) on session because a newer transaction \(current) has already started")
        }
        let isCurrent = txnNumber == number
        switch kind {
        case .retryableWrite:
            if isCurrent {
                if perStatement, case .none = phase { return .retry }
                if let retryReply { return .replay(retryReply) }
                if retryHistoryIncomplete {
                    throw MongoError(.incompleteTransactionHistory,
                                     "Incomplete history detected for transaction \(number): its writes were applied before a restart but its result was not recorded")
                }
                if case .none = phase { return .run(nil) }
                throw MongoError(.conflictingOperationInProgress,
                                 "Cannot run a retryable write with txnNumber \(number): it names a transaction")
            }
            endActive()
            txnNumber = number
            phase = .none
            retryReply = nil
            retryHistoryIncomplete = false
            return .run(nil)
        case .startTransaction:
            if isCurrent {
                throw MongoError(.conflictingOperationInProgress,
                                 "Cannot start transaction \(number) on session: it has already been started")
            }
            let transaction = try begin()
            endActive()
            txnNumber = number
            phase = .active(transaction, started: .now)
            retryReply = nil
            retryHistoryIncomplete = false
            return .run(transaction)
        case .continueTransaction, .commit, .abort:
            guard isCurrent else { throw Self.noSuchTransaction(number, active: txnNumber) }
            switch (phase, kind) {
            case let (.active(transaction, _), .abort):
                return .abort(transaction)
            case let (.active(transaction, _), .commit):
                return .commit(transaction)
            case let (.active(transaction, _), _):
                return .run(transaction)
            case (.committed, .commit):
                return .commit(nil)
            case (.committed, _):
                throw MongoError(.transactionCommitted, "Transaction \(number) has been committed.")
            case (.aborted, _):
                throw Self.aborted(number)
            case (.none, _):
                throw Self.noSuchTransaction(number, active: nil)
            }
        }
    }

    /// Takes the store's record of this session's newest retryable write (read after a
    /// restart): its number becomes current, and a retry replays its reply (or, when the reply
    /// was never recorded, is refused with 217). Only a session with no statement yet restores.
    mutating func restore(txnNumber number: Int64, reply: BSONDocument?) {
        guard !restored, txnNumber == nil else { return }
        restored = true
        txnNumber = number
        phase = .none
        retryReply = reply
        retryHistoryIncomplete = reply == nil
    }

    /// Takes up a newer retryable write that another server sharing the store ran for this
    /// session (drivers send a session's statements to any router), so a retry of it here
    /// replays its reply instead of running it again. Ignored while a transaction is open
    /// here, and for numbers this server already knows.
    mutating func adoptShared(txnNumber number: Int64, reply: BSONDocument?) {
        guard number > (txnNumber ?? .min), activeTransaction == nil else { return }
        restored = true
        txnNumber = number
        phase = .none
        retryReply = reply
        retryHistoryIncomplete = reply == nil
    }

    /// Notes that the store had no record to restore.
    mutating func restoredNothing() {
        restored = true
    }

    /// Remembers `reply` as the current retryable write's result.
    mutating func recordRetryableWrite(_ reply: BSONDocument, number: Int64) {
        guard txnNumber == number, case .none = phase else { return }
        retryReply = reply
    }

    /// The current transaction committed.
    mutating func committed(number: Int64) {
        guard txnNumber == number else { return }
        phase = .committed
    }

    /// Aborts the open transaction, if any (an error, the client, the session's end).
    mutating func abort() {
        guard endActive() else { return }
        phase = .aborted
    }

    /// Aborts the open transaction if it started `limit` or longer before `now`; returns
    /// whether it did.
    mutating func abort(ifOlderThan limit: Duration, now: ContinuousClock.Instant) -> Bool {
        guard case let .active(_, started) = phase, now - started >= limit else { return false }
        abort()
        return true
    }

    /// Aborts the open transaction (its snapshot and buffer go); returns whether there was one.
    @discardableResult
    private mutating func endActive() -> Bool {
        guard case let .active(transaction, _) = phase else { return false }
        transaction.abort()
        phase = .aborted
        return true
    }

    // MARK: Errors

    static let transientLabel: BSONDocument = ["errorLabels": ["TransientTransactionError"]]

    static func noSuchTransaction(_ number: Int64, active: Int64?) -> MongoError {
        let suffix = active.map { " The active transaction number is \($0)" } ?? ""
        return MongoError(.noSuchTransaction,
                          "Given transaction number \(number) does not match any in-progress transactions.\(suffix)",
                          details: transientLabel)
    }

    static func aborted(_ number: Int64) -> MongoError {
        MongoError(.noSuchTransaction, "Transaction with { txnNumber: \(number) } has been aborted.", details: transientLabel)
    }
}
