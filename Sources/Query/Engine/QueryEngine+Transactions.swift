// QueryEngine's multi-document transactions: begin one, run query operations inside it
// (QueryCollections that read its snapshot and buffer its writes), commit or abort it. A
// thin face over Documents' Transaction, which owns snapshot isolation and the commit.

public import BSON
public import Documents

extension QueryEngine {
    /// Begins a transaction reading the store as of now.
    ///
    /// - Throws: `InternalError` when the storage engine cannot take a snapshot.
    public func beginTransaction() throws(MongoError) -> QueryTransaction {
        QueryTransaction(try Transaction(store: store))
    }
}

/// A multi-document transaction with snapshot isolation, across collections and databases.
///
/// Its collections (``collection(_:interrupt:)``) read the store as it was when it began plus
/// its own writes; writes are buffered and applied atomically by ``commit(writeConcern:)``.
/// Conflicts are first-committer-wins (`WriteConflict`, 112, labelled
/// `TransientTransactionError`). Statements may come from any thread.
public final class QueryTransaction: Sendable {
    /// Where a transaction is in its life: active, committed or aborted.
    public typealias State = Transaction.State

    let transaction: Transaction

    init(_ transaction: Transaction) {
        self.transaction = transaction
    }

    /// Query operations on `namespace` inside this transaction, stopped by `interrupt`.
    public func collection(_ namespace: Namespace, interrupt: OperationInterrupt = .none) -> QueryCollection {
        QueryCollection(transaction.collection(namespace), interrupt: interrupt)
    }

    /// The transaction's state now.
    public var state: State { transaction.state }

    /// The commit sequence its snapshot reads at: the newest change its reads see.
    public func snapshotSequence() throws(MongoError) -> UInt64 {
        try transaction.snapshotSequence()
    }

    /// The collection at `namespace` as this transaction sees it (one it created included),
    /// or `nil`.
    public func collectionDescription(_ namespace: Namespace) -> CollectionDescription? {
        transaction.collectionDescription(namespace)
    }

    /// Applies every buffered write atomically, or (on any error) none; the transaction ends
    /// either way. Committing twice is harmless.
    ///
    /// - Throws: `WriteConflict` (112), `DuplicateKey` (11000), `NoSuchTransaction` (251)
    ///   when already aborted.
    public func commit(writeConcern: WriteConcern = .acknowledged) throws(MongoError) {
        try transaction.commit(writeConcern: writeConcern)
    }

    /// Discards every buffered write; the transaction ends. Harmless when repeated or after
    /// a commit.
    public func abort() {
        transaction.abort()
    }
}
