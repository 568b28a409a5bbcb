// ClientSession: a logical session of the embedding API and the state machine of its
// transactions (none → active → committed | aborted → none ...). Operations given a session
// in an active transaction read the transaction's snapshot and buffer their writes in it;
// commit applies them atomically. Outside a transaction a session changes nothing (one
// process has no causal-consistency gap to close).

import Query
import Synchronization

/// How a session behaves.
public struct ClientSessionOptions: Sendable {
    /// Accepted for MongoSwift compatibility; reads in one process are always causally
    /// consistent.
    public var causalConsistency: Bool?
    /// The options of transactions this session starts without their own.
    public var defaultTransactionOptions: TransactionOptions?

    /// Options; nil fields take the defaults.
    public init(causalConsistency: Bool? = nil, defaultTransactionOptions: TransactionOptions? = nil) {
        self.causalConsistency = causalConsistency
        self.defaultTransactionOptions = defaultTransactionOptions
    }
}

/// How a transaction commits.
public struct TransactionOptions: Sendable {
    /// The commit's durability (acknowledged when nil).
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(writeConcern: WriteConcern? = nil) {
        self.writeConcern = writeConcern
    }
}

/// A session: pass it as the last argument of operations to run them in its transaction.
///
/// ```swift
/// let session = client.startSession()
/// try session.startTransaction()
/// try await accounts.updateOne(filter: ["_id": "a"], update: ["$inc": ["balance": -5]], session: session)
/// try await accounts.updateOne(filter: ["_id": "b"], update: ["$inc": ["balance": 5]], session: session)
/// try await session.commitTransaction()
/// session.end()
/// ```
///
/// A transaction reads one snapshot of the store plus its own writes; its writes become
/// visible together at commit. Two transactions writing the same document conflict: the
/// second fails with `WriteConflict` (112) labelled `TransientTransactionError`, and
/// ``TesseraClient/withTransaction(isolation:options:_:)`` retries it.
public final class ClientSession: Sendable {
    /// The client the session belongs to.
    public let client: TesseraClient
    /// The options it was started with.
    public let options: ClientSessionOptions
    private let state = Mutex(State.idle)

    /// Where the session is.
    private enum State {
        /// No transaction runs (none yet, or the last one committed or aborted).
        case idle
        /// A transaction runs, with its commit's write concern.
        case inTransaction(QueryTransaction, WriteConcern)
        /// ``end()`` was called.
        case ended
    }

    init(client: TesseraClient, options: ClientSessionOptions) {
        self.client = client
        self.options = options
    }

    deinit {
        end()
    }

    /// Whether a transaction is in progress.
    public var inTransaction: Bool {
        state.withLock { if case .inTransaction = $0 { true } else { false } }
    }

    /// Starts a transaction: operations given this session read its snapshot and buffer
    /// their writes until ``commitTransaction()``.
    ///
    /// - Throws: `IllegalOperation` (20) when a transaction is already in progress or the
    ///   session has ended.
    public func startTransaction(options: TransactionOptions? = nil) throws(TesseraError) {
        let engine = try client.engine()
        let concern = (options ?? self.options.defaultTransactionOptions)?.writeConcern ?? .acknowledged
        try state.withLock { (state) throws(TesseraError) in
            switch state {
            case .ended: throw TesseraError(code: 20, codeName: "IllegalOperation", message: "the session has ended")
            case .inTransaction: throw TesseraError(code: 20, codeName: "IllegalOperation", message: "Transaction already in progress")
            case .idle: break
            }
            do throws(MongoError) {
                state = .inTransaction(try engine.beginTransaction(), concern)
            } catch {
                throw TesseraError(error)
            }
        }
    }

    /// Commits the transaction: every buffered write becomes visible at once, or none.
    ///
    /// - Throws: `WriteConflict` (112, `TransientTransactionError`) when a document it wrote
    ///   changed since it began, `DuplicateKey` (11000); `NoSuchTransaction` (251) without a
    ///   transaction. The transaction has ended either way.
    public func commitTransaction() async throws(TesseraError) {
        guard let (transaction, concern) = takeTransaction() else {
            throw TesseraError(code: 251, codeName: "NoSuchTransaction", message: "No transaction started")
        }
        try await EngineWork.run(client) { (_) throws(MongoError) in
            try transaction.commit(writeConcern: concern.engineConcern)
        }
    }

    /// Aborts the transaction: its buffered writes are discarded.
    ///
    /// - Throws: `NoSuchTransaction` (251) without a transaction.
    public func abortTransaction() async throws(TesseraError) {
        guard let (transaction, _) = takeTransaction() else {
            throw TesseraError(code: 251, codeName: "NoSuchTransaction", message: "No transaction started")
        }
        transaction.abort()
    }

    /// Ends the session, aborting a transaction in progress. Harmless when repeated.
    public func end() {
        let open = state.withLock { (state) -> QueryTransaction? in
            defer { state = .ended }
            if case let .inTransaction(transaction, _) = state { return transaction }
            return nil
        }
        open?.abort()
    }

    /// The running transaction, which the session no longer holds after this.
    private func takeTransaction() -> (QueryTransaction, WriteConcern)? {
        state.withLock { state in
            guard case let .inTransaction(transaction, concern) = state else { return nil }
            state = .idle
            return (transaction, concern)
        }
    }

    /// The running transaction, if any, that an operation given this session joins.
    ///
    /// - Throws: `IllegalOperation` (20) once the session has ended.
    func joinedTransaction() throws(TesseraError) -> QueryTransaction? {
        try state.withLock { (state) throws(TesseraError) -> QueryTransaction? in
            switch state {
            case let .inTransaction(transaction, _): return transaction
            case .idle: return nil
            case .ended: throw TesseraError(code: 20, codeName: "IllegalOperation", message: "the session has ended")
            }
        }
    }

    /// Checks that `session` allows `command`, which MongoDB never runs inside a transaction
    /// (DDL, listings, `count`, change streams).
    ///
    /// - Throws: `OperationNotSupportedInTransaction` (263) with `message` (by default
    ///   MongoDB's for `command`) inside a transaction; `IllegalOperation` (20) once ended.
    static func checkOutsideTransaction(_ session: ClientSession?, command: String,
                                        message: String? = nil) throws(TesseraError) {
        guard let session, try session.joinedTransaction() != nil else { return }
        throw TesseraError(code: 263, codeName: "OperationNotSupportedInTransaction",
                           message: message ?? "Cannot run '\(command)' in a multi-document transaction.")
    }

    /// The engine collection at `namespace` as an operation given this session sees it: in
    /// the running transaction, or the store itself.
    func collection(_ namespace: Namespace, engine: QueryEngine, interrupt: OperationInterrupt) throws(MongoError) -> QueryCollection {
        let transaction = try state.withLock { (state) throws(MongoError) -> QueryTransaction? in
            switch state {
            case let .inTransaction(transaction, _): return transaction
            case .idle: return nil
            case .ended: throw MongoError(.illegalOperation, "the session has ended")
            }
        }
        guard let transaction else { return engine.collection(namespace).interrupted(by: interrupt) }
        return transaction.collection(namespace, interrupt: interrupt)
    }
}
