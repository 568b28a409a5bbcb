// RetryableWrites: the executed-statement records of retryable writes (MongoDB's
// `config.transactions`), kept in their own key space so a retry after a restart applies
// nothing twice. Per session: the newest txnNumber that wrote and, once its command finished,
// the reply. A marker for the statement goes into the same batch as every write the statement
// commits (DocumentStore.commit reads ``RetryableWriteStatement/current``); the reply follows
// in its own commit, so a crash in between leaves a marker without a reply. Inserts, updates
// and deletes also record each statement id they execute in that batch
// (RetryableWriteStatements.swift): their retry applies only the statements not recorded,
// so a batch partly applied is completed, not refused (217). Records go when
// their session ends (endSessions, killSessions) or has written nothing for the logical
// session timeout (``DocumentStore/expireRetryableWrites(writtenBefore:keeping:)``, which the
// server's reaper runs), as mongod reaps `config.transactions` with `config.system.sessions`.
// On a store several servers share, each run of a statement also carries a random token in
// its marker, and a commit that finds the statement already run by another server (or the
// session moved on) writes nothing (RetryableWriteRun). The two fields are independent: the
// token decides which run commits, the write time only when an idle record may go.

public import BSON
internal import Foundation
internal import Storage
internal import Synchronization

/// The retryable write a thread is running: its session and `txnNumber`.
///
/// While bound (``DocumentStore/runRetryableWrite(session:txnNumber:_:)``), every commit the
/// thread makes writes the statement's marker in the same batch as its documents.
public struct RetryableWriteStatement: Sendable, Hashable {
    /// The session's `lsid.id` bytes.
    public let sessionID: [UInt8]
    /// The statement's `txnNumber`.
    public let txnNumber: Int64
    /// The statement ids of the part of the write that runs now
    /// (``DocumentStore/runRetryableStatements(_:_:)``): each commit that writes documents
    /// records them as executed. Empty for a write recorded as a whole (findAndModify,
    /// bulkWrite, an update or delete of many documents).
    public var statementIDs: [Int32] = []

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
/// `{t: <txnNumber>, r: <reply>, u: <datetime written>, x: <run token>}` (`r` absent in a
/// marker; `u` absent in records written before expiry existed, which count as written at the
/// epoch; `x` only in markers on stores several servers share).
enum RetryableWriteRecords {
    /// The key space's name.
    static let keySpaceName = "sessions"

    static func value(txnNumber: Int64, reply: BSONDocument?, run: Int64? = nil) -> [UInt8] {
        var document: BSONDocument = ["t": .int64(txnNumber)]
        if let reply { document["r"] = .document(reply) }
        document["u"] = .datetime(WallClock.now())
        if let run { document["x"] = .int64(run) }
        return (try? document.bsonBytes()) ?? []
    }

    /// When the record in `bytes` was written (milliseconds since the epoch; 0 when unknown).
    static func writtenAt(_ bytes: [UInt8]) -> Int64 {
        guard let document = try? BSONDocument(bsonBytes: bytes), case let .datetime(written)? = document["u"] else { return 0 }
        return written.millisecondsSinceEpoch
    }

    static func decode(_ bytes: [UInt8]) -> RetryableWriteRecord? {
        decodeWithRun(bytes)?.record
    }

    /// The record and the token of the run that wrote it (`nil` when none was written).
    static func decodeWithRun(_ bytes: [UInt8]) -> (record: RetryableWriteRecord, run: Int64?)? {
        guard let document = try? BSONDocument(bsonBytes: bytes), case let .int64(number)? = document["t"] else {
            return nil
        }
        let run: Int64? = if case let .int64(token)? = document["x"] { token } else { nil }
        return (RetryableWriteRecord(txnNumber: number, reply: document["r"]?.documentValue), run)
    }
}

/// One run of a retryable write on a store several servers share. A driver may retry a
/// statement on another server while its first attempt still runs on the first one; both
/// runs then reach the database commit lock, and the second to get it must write nothing.
/// Each run writes its random token into the statement's marker; a commit that finds the
/// marker of the same statement with another token (or a newer statement) is refused and
/// the run marked preempted.
final class RetryableWriteRun: Sendable {
    /// This run's token, written into its markers.
    let token = Int64.random(in: .min ... .max)
    /// The `txnNumber` of the newer statement found, or of this one when another run of it
    /// committed first; `nil` while no commit was refused.
    private let found = Mutex<Int64?>(nil)

    /// The run the current thread (or task) is in, if any.
    @TaskLocal static var current: RetryableWriteRun?

    func preempt(by txnNumber: Int64) {
        found.withLock { $0 = max($0 ?? txnNumber, txnNumber) }
    }

    var preemptedBy: Int64? { found.withLock { $0 } }
}

extension DocumentStore {
    /// Runs `body` as retryable write `statement`: each commit it makes also records the
    /// statement as executed, atomically with its writes.
    ///
    /// On a store several servers share, when another server ran this statement first (a
    /// driver's retry while the first attempt was still running) or the session moved on to a
    /// newer statement, nothing is written and this throws `IncompleteTransactionHistory`
    /// (217: the statement's writes are applied, by the other run, whose reply
    /// ``awaitRetryableWriteReply(session:txnNumber:)`` waits for) or `TransactionTooOld` (225).
    public func runRetryableWrite<Result>(
        _ statement: RetryableWriteStatement, _ body: () throws(MongoError) -> Result
    ) throws(MongoError) -> Result {
        let run = isShared ? RetryableWriteRun() : nil
        let outcome = RetryableWriteStatement.$current.withValue(statement) {
            RetryableWriteRun.$current.withValue(run) {
                Swift.Result { () throws(MongoError) -> Result in try body() }
            }
        }
        // A refused commit may have been reported as a write error in a reply: the reply
        // does not stand either way.
        if let newer = run?.preemptedBy { throw Self.preempted(statement, by: newer) }
        return try outcome.get()
    }

    /// The error a run refused because the statement ran elsewhere (or the session moved on).
    static func preempted(_ statement: RetryableWriteStatement, by newer: Int64) -> MongoError {
        if newer > statement.txnNumber {
            return MongoError(.transactionTooOld,
                              "Retryable write with txnNumber \(statement.txnNumber) is prohibited on session because a newer retryable write with txnNumber \(newer) has already started on this session.")
        }
        return MongoError(.incompleteTransactionHistory,
                          "Retryable write with txnNumber \(statement.txnNumber) was applied by another server sharing the store while it ran here")
    }

    /// The reply of statement `txnNumber` of session `sessionID`, which another server
    /// applied: waits (up to `limit`) for that server to record it. `nil` when it was not
    /// recorded in time (that server died between commit and record) or the session moved on.
    public func awaitRetryableWriteReply(session sessionID: [UInt8], txnNumber: Int64,
                                         within limit: Duration = .seconds(10)) throws(MongoError) -> BSONDocument? {
        let deadline = ContinuousClock.now + limit
        while true {
            guard let record = try retryableWriteRecord(session: sessionID), record.txnNumber == txnNumber else { return nil }
            if let reply = record.reply { return reply }
            guard ContinuousClock.now < deadline else { return nil }
            usleep(10_000)
        }
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
        try withoutRetryableWrite { () throws(MongoError) in
            try commit(.acknowledged) { (pending) throws(MongoError) in
                pending.batch.put(statement.sessionID, value, in: keySpace)
            }
        }
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

    /// Deletes the records of sessions `sessionIDs` (they ended: no driver reuses an ended
    /// session's id, so no retry can need them).
    ///
    /// Commits only when one of them has a record (point reads first): drivers end every
    /// session they close, most never ran a retryable write, and a commit would wait for the
    /// commit section — on a shared engine for the database lock, held by any server's commit
    /// or whole index build. A record written after the check goes with the reaper's expiry.
    public func forgetRetryableWrites(sessions sessionIDs: [[UInt8]]) throws(MongoError) {
        let keySpace = sessionsKeySpace
        var recorded: [[UInt8]] = []
        do {
            for id in sessionIDs where try storage.get(id, in: keySpace) != nil { recorded.append(id) }
        } catch {
            throw .storage(error)
        }
        guard !recorded.isEmpty else { return }
        // A session with statement records has a session record too (written in the same commit).
        let statementKeys = try retryableStatementKeys(sessions: recorded)
        let statementsKeySpace = self.statementsKeySpace
        try withoutRetryableWrite { () throws(MongoError) in
            try commit(.acknowledged) { (pending) throws(MongoError) in
                for id in recorded { pending.batch.delete(id, in: keySpace) }
                for key in statementKeys { pending.batch.delete(key, in: statementsKeySpace) }
            }
        }
    }

    /// Deletes the records last written before `cutoff`, except those of the sessions in
    /// `active` (still in use, so a retry may come); returns how many went. What the server
    /// runs every so often with `cutoff` = now − `localLogicalSessionTimeoutMinutes`.
    ///
    /// Each record is re-read inside the commit section before it goes, so one its session
    /// rewrote meanwhile stays.
    @discardableResult
    public func expireRetryableWrites(writtenBefore cutoff: BSONDateTime, keeping active: Set<[UInt8]> = []) throws(MongoError) -> Int {
        let keySpace = sessionsKeySpace
        let limit = cutoff.millisecondsSinceEpoch
        var candidates: [[UInt8]] = []
        do {
            let cursor = try storage.makeCursor(over: .all, in: keySpace)
            cursor.seekToFirst()
            while let key = cursor.key, let value = cursor.value {
                if !active.contains(key) && RetryableWriteRecords.writtenAt(value) < limit { candidates.append(key) }
                cursor.next()
            }
            try cursor.checkStatus()
        } catch {
            throw .storage(error)
        }
        let expired = try deleteRecords(candidates, in: keySpace, writtenBefore: limit)
        // Statement records go on the same rule (each carries its own write time).
        try deleteRecords(try expiredRetryableStatementKeys(writtenBefore: limit, keeping: active),
                          in: statementsKeySpace, writtenBefore: limit)
        return expired
    }

    /// Deletes the records of `keys` in `keySpace` still written before `limit` (milliseconds
    /// since the epoch; re-read inside the commit section), a chunk per commit to keep the
    /// section short; returns how many went.
    @discardableResult
    private func deleteRecords(_ keys: [[UInt8]], in keySpace: any KeySpace, writtenBefore limit: Int64) throws(MongoError) -> Int {
        var deleted = 0
        var start = keys.startIndex
        while start < keys.endIndex {
            let chunk = keys[start..<min(start + 1000, keys.endIndex)]
            start = chunk.endIndex
            deleted += try withoutRetryableWrite { () throws(MongoError) -> Int in
                try commit(.acknowledged) { (pending) throws(MongoError) -> Int in
                    var count = 0
                    for key in chunk {
                        let current: [UInt8]?
                        do throws(StorageError) {
                            current = try storage.get(key, in: keySpace)
                        } catch {
                            throw .storage(error)
                        }
                        guard let current, RetryableWriteRecords.writtenAt(current) < limit else { continue }
                        pending.batch.delete(key, in: keySpace)
                        count += 1
                    }
                    return count
                }
            }
        }
        return deleted
    }

    /// Runs `body` with no retryable write bound, so its commit writes no marker.
    private func withoutRetryableWrite<Result>(_ body: () throws(MongoError) -> Result) throws(MongoError) -> Result {
        let outcome = RetryableWriteStatement.$current.withValue(nil) {
            Swift.Result { () throws(MongoError) -> Result in try body() }
        }
        return try outcome.get()
    }

    /// Adds the marker of the retryable write the current thread runs (if any) to `pending`,
    /// and the records of the statements the commit applies (RetryableWriteStatements.swift).
    /// On a store several servers share (run holding the database commit lock), first checks
    /// that no other run of the statement (for a write recorded per statement: of one of the
    /// statements the commit applies), and no newer statement of the session, committed: if
    /// one did, the run is marked preempted and the commit refused.
    func markRetryableWrite(in pending: PendingCommit) throws(MongoError) {
        guard let statement = RetryableWriteStatement.current else { return }
        let batch = pending.batch
        let run = RetryableWriteRun.current
        let perStatement = !statement.statementIDs.isEmpty
        if let run {
            let stored: [UInt8]?
            do {
                stored = try storage.get(statement.sessionID, in: sessionsKeySpace)
            } catch {
                throw .storage(error)
            }
            // A write recorded per statement may be a retry of a partly applied one: another
            // run's marker of the same number is expected, its statements' records decide.
            if let stored, let (record, writer) = RetryableWriteRecords.decodeWithRun(stored),
               record.txnNumber > statement.txnNumber
                || (!perStatement && record.txnNumber == statement.txnNumber && writer != run.token) {
                run.preempt(by: record.txnNumber)
                throw Self.preempted(statement, by: record.txnNumber)
            }
        }
        if perStatement { try markRetryableStatements(statement, run: run, in: pending) }
        batch.put(statement.sessionID, RetryableWriteRecords.value(txnNumber: statement.txnNumber, reply: nil, run: run?.token),
                  in: sessionsKeySpace)
    }
}
