// SessionRegistry: the logical sessions this server has seen (from startSession or any
// command's `lsid`), with their last use and their transaction state, so endSessions/
// killSessions/refreshSessions have something to act on, idle sessions expire after
// logicalSessionTimeoutMinutes, and a session's open transaction dies with it. Any client,
// authenticated or not, can make sessions just by naming a new lsid, so their number is
// capped (`maxSessions`): one more answers TooManyLogicalSessions (261), as mongod does.

import BSON
import Synchronization

/// One logical session's server-side record.
final class ServerSession: Sendable {
    /// Its `lsid.id`.
    let id: BSONBinary
    /// Its transaction and retryable-write state; held while one of its transaction or
    /// retryable-write statements runs, so a session's statements run one at a time.
    let state = Mutex(SessionTransactionState())

    init(id: BSONBinary) {
        self.id = id
    }

    /// Aborts the session's open transaction, waiting for a running statement to finish.
    func abortTransaction() {
        state.withLock { $0.abort() }
    }
}

/// Logical sessions by their `lsid.id` UUID.
final class SessionRegistry: Sendable {
    /// Minutes of inactivity after which a session expires (hello's
    /// `logicalSessionTimeoutMinutes`; the `localLogicalSessionTimeoutMinutes` parameter).
    let timeoutMinutes: Int32

    private struct Entry: Sendable {
        var lastUse: ContinuousClock.Instant
        let session: ServerSession
    }

    private let sessions = Mutex<[BSONBinary: Entry]>([:])
    /// The most sessions held at once (`maxSessions`).
    let maximumCount: Int

    /// An empty registry holding at most `maximumCount` sessions, each expiring after
    /// `timeoutMinutes` idle.
    init(maximumCount: Int = 1_000_000, timeoutMinutes: Int32 = 30) {
        self.maximumCount = maximumCount
        self.timeoutMinutes = timeoutMinutes
    }

    /// A fresh session id (a random version 4 UUID, binary subtype 4).
    ///
    /// - Throws: `TooManyLogicalSessions` (261) when the registry is full.
    func start() throws(MongoError) -> BSONBinary {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let id = BSONBinary(subtype: .uuid, bytes: bytes)
        try touch(id)
        return id
    }

    /// Records a use of session `id` now.
    ///
    /// - Throws: `TooManyLogicalSessions` (261) when `id` is new and the registry is full.
    func touch(_ id: BSONBinary) throws(MongoError) {
        _ = try session(id)
    }

    /// Session `id`'s record (created if new), marked used now.
    ///
    /// - Throws: `TooManyLogicalSessions` (261) when `id` is new and the registry is full;
    ///   `BadValue` (2) when `id` is not a 16-byte UUID (so no client can pin megabytes of
    ///   key per session).
    func session(_ id: BSONBinary) throws(MongoError) -> ServerSession {
        guard id.bytes.count == 16 else {
            throw MongoError(.badValue, "lsid.id must be a UUID of 16 bytes, not \(id.bytes.count) bytes")
        }
        let now = ContinuousClock.now
        let limit = maximumCount
        return try sessions.withLock { (sessions) throws(MongoError) -> ServerSession in
            if let entry = sessions[id] {
                sessions[id]?.lastUse = now
                return entry.session
            }
            guard sessions.count < limit else {
                throw MongoError(.tooManyLogicalSessions,
                                 "Unable to add session into the cache because the number of active sessions is too high")
            }
            let session = ServerSession(id: id)
            sessions[id] = Entry(lastUse: now, session: session)
            return session
        }
    }

    /// Forgets the sessions `ids`, aborting their open transactions.
    func end(_ ids: some Sequence<BSONBinary>) {
        let ended = sessions.withLock { sessions in
            ids.compactMap { sessions.removeValue(forKey: $0)?.session }
        }
        for session in ended { session.abortTransaction() }
    }

    /// Forgets sessions idle past the timeout, aborting their transactions; returns their ids.
    func expire(now: ContinuousClock.Instant = .now) -> Set<BSONBinary> {
        let limit = Duration.seconds(Int64(timeoutMinutes) * 60)
        let expired = sessions.withLock { sessions in
            let expired = sessions.filter { now - $0.value.lastUse >= limit }
            for id in expired.keys { sessions[id] = nil }
            return expired.values.map(\.session)
        }
        for session in expired { session.abortTransaction() }
        return Set(expired.map(\.id))
    }

    /// Aborts transactions open for `limit` or longer (`transactionLifetimeLimitSeconds`);
    /// returns how many. A session busy running a statement is left for the next pass.
    @discardableResult
    func abortTransactions(olderThan limit: Duration, now: ContinuousClock.Instant = .now) -> Int {
        let all = sessions.withLock { $0.values.map(\.session) }
        var aborted = 0
        for session in all {
            let didAbort = session.state.withLockIfAvailable { $0.abort(ifOlderThan: limit, now: now) } ?? false
            if didAbort { aborted += 1 }
        }
        return aborted
    }

    /// Sessions with a transaction open now; one busy running a statement counts if its
    /// transaction was open when checked last, so the figure never waits on a statement.
    var openTransactionCount: Int {
        let all = sessions.withLock { $0.values.map(\.session) }
        return all.count { session in
            session.state.withLockIfAvailable { $0.activeTransaction != nil } ?? true
        }
    }

    /// Every session id.
    var all: Set<BSONBinary> { sessions.withLock { Set($0.keys) } }

    /// Whether session `id` is known (not ended, not expired).
    func contains(_ id: BSONBinary) -> Bool { sessions.withLock { $0[id] != nil } }

    /// How many sessions are active.
    var count: Int { sessions.withLock { $0.count } }

    /// The session ids in `array` (`[{id: UUID}, ...]`), as endSessions and friends take them.
    ///
    /// - Throws: `TypeMismatch` (14) for an element that is not `{id: <binary>}`.
    static func sessionIDs(in value: BSONValue?, command: String) throws(MongoError) -> [BSONBinary] {
        guard case let .array(elements)? = value else {
            throw MongoError(.typeMismatch, "BSON field '\(command)' is the wrong type, expected type 'array'")
        }
        var ids: [BSONBinary] = []
        for element in elements {
            guard case let .document(lsid) = element, case let .binary(id)? = lsid["id"] else {
                throw MongoError(.typeMismatch, "BSON field '\(command).id' is missing or is not a UUID")
            }
            ids.append(id)
        }
        return ids
    }
}
