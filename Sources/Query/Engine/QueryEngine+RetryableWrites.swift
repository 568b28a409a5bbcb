// QueryEngine's retryable-write records: run a write as a session's numbered statement (so
// its commits record it, and each statement id they apply, as executed, atomically), read
// which statements of a retried write were executed, record its reply, and read back what a
// session last ran after a restart, and forget the records of ended or expired sessions. A
// thin face over Documents' RetryableWrites.

public import BSON
import Documents

extension QueryEngine {
    /// Runs `body` (a retryable write command) as statement `txnNumber` of session
    /// `sessionID`: every commit it makes records the statement as executed in the same batch.
    public func runRetryableWrite<Result>(
        session sessionID: BSONBinary, txnNumber: Int64, _ body: () throws(MongoError) -> Result
    ) throws(MongoError) -> Result {
        try store.runRetryableWrite(RetryableWriteStatement(sessionID: sessionID.bytes, txnNumber: txnNumber), body)
    }

    /// Runs `body`, the part of the retryable write running now (inside
    /// ``runRetryableWrite(session:txnNumber:_:)``) that applies statements `ids` of its
    /// command: each commit it makes that writes documents records them as executed in the same
    /// batch. Outside a retryable write, or with no ids, just runs `body`.
    public func runRetryableStatements<Result>(
        _ ids: [Int32], _ body: () throws(MongoError) -> Result
    ) throws(MongoError) -> Result {
        try store.runRetryableStatements(ids, body)
    }

    /// The statements of retryable write `txnNumber` of session `sessionID` already executed:
    /// their ids, and for those whose commit inserted a document (an update's upsert) its `_id`.
    public func executedRetryableStatements(
        session sessionID: BSONBinary, txnNumber: Int64
    ) throws(MongoError) -> (executed: Set<Int32>, inserted: [Int32: BSONValue]) {
        let records = try store.executedRetryableStatements(session: sessionID.bytes, txnNumber: txnNumber)
        return (Set(records.keys), records.compactMapValues(\.insertedID))
    }

    /// Records `reply` as the result of statement `txnNumber` of session `sessionID`, so a
    /// retry after a restart is answered with it (unsynced: see
    /// ``DocumentStore/recordRetryableWrite(_:reply:)``).
    public func recordRetryableWrite(session sessionID: BSONBinary, txnNumber: Int64, reply: BSONDocument) throws(MongoError) {
        try store.recordRetryableWrite(RetryableWriteStatement(sessionID: sessionID.bytes, txnNumber: txnNumber), reply: reply)
    }

    /// The reply of statement `txnNumber` of session `sessionID` that another server sharing
    /// the store applied, once that server records it (waits a few seconds at most); `nil`
    /// when it was not recorded in time or the session moved on.
    public func awaitRetryableWriteReply(session sessionID: BSONBinary, txnNumber: Int64) throws(MongoError) -> BSONDocument? {
        try store.awaitRetryableWriteReply(session: sessionID.bytes, txnNumber: txnNumber)
    }

    /// The newest retryable write stored for session `sessionID`: its `txnNumber` and reply
    /// (`nil` when it wrote but its reply was never recorded), or `nil` when there is none.
    public func retryableWriteRecord(session sessionID: BSONBinary) throws(MongoError) -> (txnNumber: Int64, reply: BSONDocument?)? {
        guard let record = try store.retryableWriteRecord(session: sessionID.bytes) else { return nil }
        return (record.txnNumber, record.reply)
    }

    /// Deletes the retryable-write records of the ended sessions `sessionIDs`.
    public func forgetRetryableWrites(sessions sessionIDs: some Sequence<BSONBinary>) throws(MongoError) {
        try store.forgetRetryableWrites(sessions: sessionIDs.map(\.bytes))
    }

    /// Deletes the retryable-write records written before `cutoff`, except those of the
    /// sessions in `active`; returns how many went.
    @discardableResult
    public func expireRetryableWrites(writtenBefore cutoff: BSONDateTime, keeping active: some Sequence<BSONBinary>) throws(MongoError) -> Int {
        try store.expireRetryableWrites(writtenBefore: cutoff, keeping: Set(active.map(\.bytes)))
    }
}
