// RetryableWriteStatements: one record per executed statement of a retryable write (each
// document of an insert, each update or delete of its command, by statement id), so that a
// retry of a batch that was partly applied (the database connection lost mid-batch, a crash)
// answers the executed statements from their records and applies only the others, as mongod
// does with the stmtIds of its oplog entries. A statement's record is only ever written in the
// commit that applies its writes (``DocumentStore/markRetryableWrite(in:)``), never on its own,
// so no statement is applied without its record nor recorded without being applied.

public import BSON
internal import Storage

/// What the store remembers of one executed statement of a retryable write.
public struct RetryableStatementRecord: Sendable, Equatable {
    /// The `_id` of the document the statement's commit inserted, when it inserted one (for an
    /// update statement: its upsert).
    public let insertedID: BSONValue?

    /// Creates the record of a statement whose commit inserted `insertedID` (if any).
    public init(insertedID: BSONValue?) {
        self.insertedID = insertedID
    }
}

/// The key space of the statement records and their encoding: key = session id bytes +
/// statement id (4 bytes, big-endian two's complement), value = BSON `{t: <txnNumber>,
/// u: <datetime written>, i: <inserted _id>}` (`i` only for a commit of one statement that
/// inserted a document). A record of an older `txnNumber` is stale: it counts for nothing and
/// is overwritten when the session reuses the statement id, or expires with its session.
enum RetryableStatementRecords {
    /// The key space's name.
    static let keySpaceName = "statements"
    /// Bytes after the session id in a key.
    static let statementIDSize = 4

    static func key(session: [UInt8], statement: Int32) -> [UInt8] {
        let bits = UInt32(bitPattern: statement)
        return session + [UInt8(truncatingIfNeeded: bits >> 24), UInt8(truncatingIfNeeded: bits >> 16),
                          UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits)]
    }

    /// The keys from session `session`'s record of the lowest to that of the highest of
    /// `statements` (in key order: ids as unsigned big-endian bytes); nil for no statements.
    static func range(session: [UInt8], statements: [Int32]) -> KeyRange? {
        let bits = statements.map { UInt32(bitPattern: $0) }
        guard let lowest = bits.min(), let highest = bits.max() else { return nil }
        return KeyRange(lowerBound: key(session: session, statement: Int32(bitPattern: lowest)),
                        upperBound: key(session: session, statement: Int32(bitPattern: highest)) + [0])
    }

    /// The statement id of `key`, a key of session `session` (`nil` for another session's key
    /// that merely starts with the same bytes).
    static func statementID(of key: [UInt8], session: [UInt8]) -> Int32? {
        guard key.count == session.count + statementIDSize else { return nil }
        var bits: UInt32 = 0
        for byte in key[session.count...] { bits = bits << 8 | UInt32(byte) }
        return Int32(bitPattern: bits)
    }

    static func value(txnNumber: Int64, insertedID: BSONValue?) -> [UInt8] {
        var document: BSONDocument = ["t": .int64(txnNumber)]
        document["u"] = .datetime(WallClock.now())
        if let insertedID { document["i"] = insertedID }
        return (try? document.bsonBytes()) ?? []
    }

    static func decode(_ bytes: [UInt8]) -> (txnNumber: Int64, record: RetryableStatementRecord)? {
        guard let document = try? BSONDocument(bsonBytes: bytes), case let .int64(number)? = document["t"] else { return nil }
        return (number, RetryableStatementRecord(insertedID: document["i"]))
    }
}

extension DocumentStore {
    /// Runs `body`, a part of the retryable write the current thread runs that applies
    /// statements `ids`: each commit it makes that writes documents also records each of them
    /// as executed, atomically with its writes. Outside a retryable write (or with no ids),
    /// just runs `body`.
    public func runRetryableStatements<Result>(
        _ ids: [Int32], _ body: () throws(MongoError) -> Result
    ) throws(MongoError) -> Result {
        guard var statement = RetryableWriteStatement.current, !ids.isEmpty else { return try body() }
        statement.statementIDs = ids
        let outcome = RetryableWriteStatement.$current.withValue(statement) {
            Swift.Result { () throws(MongoError) -> Result in try body() }
        }
        return try outcome.get()
    }

    /// The statements of retryable write `txnNumber` of session `sessionID` that were
    /// executed (their writes committed), by statement id.
    public func executedRetryableStatements(
        session sessionID: [UInt8], txnNumber: Int64
    ) throws(MongoError) -> [Int32: RetryableStatementRecord] {
        var executed: [Int32: RetryableStatementRecord] = [:]
        var unreadable = false
        try scanEntries(of: storage, in: statementsKeySpace, range: .prefix(sessionID)) { key, value in
            guard let id = RetryableStatementRecords.statementID(of: Array(key), session: sessionID) else { return true }
            guard let (number, record) = RetryableStatementRecords.decode(Array(value)) else {
                unreadable = true
                return false
            }
            if number == txnNumber { executed[id] = record }
            return true
        }
        if unreadable {
            throw MongoError(.internalError, "unreadable retryable-write statement record for a session in \(path)")
        }
        return executed
    }

    /// The keys of the statement records of sessions `sessionIDs`.
    func retryableStatementKeys(sessions sessionIDs: [[UInt8]]) throws(MongoError) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        for session in sessionIDs {
            try scanEntries(of: storage, in: statementsKeySpace, range: .prefix(session)) { key, _ in
                let key = Array(key)
                if RetryableStatementRecords.statementID(of: key, session: session) != nil { keys.append(key) }
                return true
            }
        }
        return keys
    }

    /// The keys of the statement records written before `limit` (milliseconds since the
    /// epoch) whose session is not in `active`.
    func expiredRetryableStatementKeys(writtenBefore limit: Int64, keeping active: Set<[UInt8]>) throws(MongoError) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        try scanEntries(of: storage, in: statementsKeySpace, range: .all) { key, value in
            let key = Array(key)
            guard key.count > RetryableStatementRecords.statementIDSize else { return true }
            let session = Array(key.dropLast(RetryableStatementRecords.statementIDSize))
            if !active.contains(session) && RetryableWriteRecords.writtenAt(Array(value)) < limit { keys.append(key) }
            return true
        }
        return keys
    }

    /// Adds to `pending` the records of the statements of `statement` (when its commit writes
    /// documents). On a store several servers share (`run` given, the database commit lock
    /// held), first checks that none of them was already executed by another run, nor a newer
    /// statement of the session started: if so, the run is marked preempted and the commit
    /// refused.
    func markRetryableStatements(_ statement: RetryableWriteStatement, run: RetryableWriteRun?,
                                 in pending: PendingCommit) throws(MongoError) {
        if let run, let range = RetryableStatementRecords.range(session: statement.sessionID, statements: statement.statementIDs) {
            // One range read for the whole commit, not a read per statement: on a networked
            // engine each read is a round trip, made while every server waits on the lock.
            let ids = Set(statement.statementIDs)
            var newer: Int64?
            try scanEntries(of: storage, in: statementsKeySpace, range: range) { key, value in
                guard let id = RetryableStatementRecords.statementID(of: Array(key), session: statement.sessionID),
                      ids.contains(id), let (number, _) = RetryableStatementRecords.decode(Array(value)),
                      number >= statement.txnNumber
                else { return true }
                newer = number
                return false
            }
            if let newer {
                run.preempt(by: newer)
                throw Self.preempted(statement, by: newer)
            }
        }
        guard pending.writesDocuments else { return }
        // Only a commit of one statement says what it inserted (an update's upsert); an
        // insert's records need nothing but their presence.
        let inserted = statement.statementIDs.count == 1 ? pending.firstInsertedID : nil
        let value = RetryableStatementRecords.value(txnNumber: statement.txnNumber, insertedID: inserted)
        for id in statement.statementIDs {
            pending.batch.put(RetryableStatementRecords.key(session: statement.sessionID, statement: id), value,
                              in: statementsKeySpace)
        }
    }
}
