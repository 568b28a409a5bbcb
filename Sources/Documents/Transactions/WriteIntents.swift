// WriteIntents: which open transaction has written which document, so a second transaction
// writing the same document conflicts at once (as MongoDB's document locks make it) instead
// of doing its work and failing at commit. Held from a transaction's first write to its end.

internal import Synchronization

/// The documents open transactions have written, by owner.
final class WriteIntents: Sendable {
    /// One transaction's identity.
    final class Owner: Sendable {
        init() {}
    }

    /// A document of a collection.
    struct Key: Sendable, Hashable {
        let collection: UInt64
        let document: [UInt8]
    }

    private struct State: Sendable {
        var holders: [Key: ObjectIdentifier] = [:]
        var held: [ObjectIdentifier: [Key]] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// Claims `keys` for `owner`: all of them, or none when another owner holds one.
    func claim(_ keys: [Key], for owner: Owner) -> Bool {
        let id = ObjectIdentifier(owner)
        return state.withLock { state in
            for key in keys {
                if let holder = state.holders[key], holder != id { return false }
            }
            for key in keys where state.holders[key] == nil {
                state.holders[key] = id
                state.held[id, default: []].append(key)
            }
            return true
        }
    }

    /// Releases everything `owner` holds.
    func release(_ owner: Owner) {
        let id = ObjectIdentifier(owner)
        state.withLock { state in
            guard let keys = state.held.removeValue(forKey: id) else { return }
            for key in keys where state.holders[key] == id { state.holders[key] = nil }
        }
    }

    /// How many documents are claimed (tests).
    var count: Int { state.withLock { $0.holders.count } }
}
