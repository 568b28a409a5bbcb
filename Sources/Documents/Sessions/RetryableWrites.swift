// RetryableWrites: the executed-statement records of retryable writes (MongoDB's
// `config.transactions`), kept in their own key space so a retry after a restart applies
// nothing twice. Per session: the newest txnNumber that wrote and, once its command finished,
// the reply. A marker for the statement goes into the same batch as every write the statement
// commits (DocumentStore.commit reads ``RetryableWriteStatement/current``); the reply follows
// in its own commit, so a crash in between leaves a marker without a reply.

public import BSON
internal import Storage

/// The retryable write a thread is running: its session and `txnNumber`.
///
/// While bound (``DocumentStore/runRetryableWrite(session:txnNumber:_:)``), every commit the
/// thread makes writes the statement's marker in the same batch as its documents.
public struct RetryableWriteStatement: Sendable, Hashable {
    /// The session's `lsid.id` bytes.
    public let sessionID: [UInt8]
    /// The statement's `txnNumber`.
    public let txnNumber: Int64

    /// The statement the current thread (or task) runs, if any.
    @TaskLocal static var current: RetryableWriteStatement?

    /// Creates a statement for session `sessionID` and `txnNumber`.
    public init(sessionID: [UInt8], txnNumber: Int64) {
        self.sessionID = sessionID
        self.txnNumber = txnNumber
    }
}

/// What the store remembers of a session's newest retryable write.
public struct RetryableWriteRecord: Sendable, Equatable {
    /// Its `txnNumber`.
    public let txnNumber: Int64
    /// The reply it got; `nil` when its writes committed but the reply was never recorded.
    public let reply: BSONDocument?
}

/// The key space of the records and their encoding: key = session id bytes, value = BSON
/// `{t: <txnNumber>, r: <reply>}` (`r` absent in a marker).
enum RetryableWriteRecords {
    /// The key space's name.
    static let keySpaceName = "sessions"

    static func value(txnNumber: Int64, reply: BSONDocument?) -> [UInt8] {
        var document: BSONDocument = ["t": .int64(txnNumber)]
        if let reply { document["r"] = .document(reply) }
        return (try? document.bsonBytes()) ?? []
    }

    static func decode(_ bytes: [UInt8]) -> RetryableWriteRecord? {
        guard let document = try? BSONDocument(bsonBytes: bytes), case let .int64(number)? = document["t"] else {
            return nil
        }
        return RetryableWriteRecord(txnNumber: number, reply: document["r"]?.documentValue)
    }
}

extension DocumentStore {
    /// Runs `body` as retryable write `statement`: each commit it makes also records the
    /// statement as executed, atomically with its writes.
    public func runRetryableWrite<Result>(
        _ statement: RetryableWriteStatement, _ body: () throws(MongoError) -> Result
    ) throws(MongoError) -> Result {
        let outcome = RetryableWriteStatement.$current.withValue(statement) {
            Swift.Result { () throws(MongoError) -> Result in try body() }
        }
        return try outcome.get()
    }

    /// Records `reply` as the result of `statement` (after its writes committed).
    ///
    /// Not synced on its own, even for `j: true` writes (no second fsync per write): it reaches
    /// the WAL right after the writes, so it survives a process crash with them, and the
    /// background journal sync makes it durable within `journalCommitInterval`. A power loss
    /// before that leaves the synced marker, which refuses the retry (217) rather than
    /// running it twice.
    public func recordRetryableWrite(_ statement: RetryableWriteStatement, reply: BSONDocument) throws(MongoError) {
        let keySpace = sessionsKeySpace
        let value = RetryableWriteRecords.value(txnNumber: statement.txnNumber, reply: reply)
        let outcome = RetryableWriteStatement.$current.withValue(nil) {
            Swift.Result { () throws(MongoError) in
                try commit(.acknowledged) { (pending) throws(MongoError) in
                    pending.batch.put(statement.sessionID, value, in: keySpace)
                }
            }
        }
        try outcome.get()
    }

    /// The newest retryable write recorded for session `sessionID`, if any.
    public func retryableWriteRecord(session sessionID: [UInt8]) throws(MongoError) -> RetryableWriteRecord? {
        let stored: [UInt8]?
        do {
            stored = try storage.get(sessionID, in: sessionsKeySpace)
        } catch {
            throw .storage(error)
        }
        guard let stored else { return nil }
        guard let record = RetryableWriteRecords.decode(stored) else {
            throw MongoError(.internalError, "unreadable retryable-write record for a session in \(path)")
        }
        return record
    }

    /// Adds the marker of the retryable write the current thread runs (if any) to `batch`.
    func markRetryableWrite(in batch: any KeyValueWriteBatch) {
        guard let statement = RetryableWriteStatement.current else { return }
        batch.put(statement.sessionID, RetryableWriteRecords.value(txnNumber: statement.txnNumber, reply: nil),
                  in: sessionsKeySpace)
    }
}
