// SessionRegistry: the logical sessions this standalone server has seen (from startSession or
// any command's `lsid`), with their last use, so endSessions/killSessions/refreshSessions have
// something to act on and idle sessions expire after logicalSessionTimeoutMinutes.

import BSON
import Documents
import Synchronization

/// Logical sessions by their `lsid.id` UUID.
final class SessionRegistry: Sendable {
    /// Minutes of inactivity after which a session expires (hello's
    /// `logicalSessionTimeoutMinutes`).
    static let timeoutMinutes: Int32 = 30

    private let sessions = Mutex<[BSONBinary: ContinuousClock.Instant]>([:])

    /// A fresh session id (a random version 4 UUID, binary subtype 4).
    func start() -> BSONBinary {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let id = BSONBinary(subtype: .uuid, bytes: bytes)
        touch(id)
        return id
    }

    /// Records a use of session `id` now.
    func touch(_ id: BSONBinary) {
        let now = ContinuousClock.now
        sessions.withLock { $0[id] = now }
    }

    /// Forgets the sessions `ids`.
    func end(_ ids: some Sequence<BSONBinary>) {
        sessions.withLock { sessions in
            for id in ids { sessions[id] = nil }
        }
    }

    /// Forgets sessions idle past the timeout; returns their ids.
    func expire(now: ContinuousClock.Instant = .now) -> Set<BSONBinary> {
        let limit = Duration.seconds(Int64(Self.timeoutMinutes) * 60)
        return sessions.withLock { sessions in
            let expired = Set(sessions.filter { now - $0.value >= limit }.keys)
            for id in expired { sessions[id] = nil }
            return expired
        }
    }

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
