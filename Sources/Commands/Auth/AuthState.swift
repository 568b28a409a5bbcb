// Who is authenticated on which connection, the SASL conversation each connection has in
// progress, and which user opened which cursor. Shared by the auth commands and the
// dispatcher's authorization check (AuthGate); forgets a connection when it closes.

import BSON
import Query
import Synchronization

/// The authentication state of the whole server.
final class AuthState: Sendable {
    /// One SASL conversation in progress.
    struct Conversation: Sendable {
        /// Its `conversationId`.
        var id: Int32
        /// The database the user is defined in (`$db` of saslStart).
        var database: String
        /// The state machine.
        var machine: SCRAMConversation
    }

    /// One connection's state.
    struct ConnectionAuth: Sendable {
        /// Authenticated users and their roles as of `generation`.
        var users: [UserName: [RoleName]] = [:]
        /// The user generation the roles were read at.
        var generation: Int = 0
        /// The users' privileges, resolved once per generation (custom roles cost store reads).
        var privileges: [Privilege]?
        /// The conversation in progress, if any.
        var conversation: Conversation?
    }

    /// Whether `--auth` is on: commands need an authenticated user with the right roles.
    let enabled: Bool
    /// The users.
    let store: UserStore
    /// The user-defined roles.
    let roles: RoleStore
    /// The process's key for the made-up credentials of unknown users.
    let secret: [UInt8]
    private let connections = Mutex<[Int64: ConnectionAuth]>([:])
    private let cursorOwners = Mutex<[Int64: Set<UserName>]>([:])
    private let sessionOwners = Mutex<[BSONBinary: Set<UserName>]>([:])
    /// Failed logins by remote host, to slow down password guessing.
    let loginThrottle = LoginThrottle()
    /// Bumped by every user change so connections re-read their roles.
    private let generation = Atomic<Int>(1)

    /// The state for a server over `engine`.
    init(enabled: Bool, engine: QueryEngine) {
        self.enabled = enabled
        store = UserStore(engine: engine)
        roles = RoleStore(engine: engine)
        var generator = SystemRandomNumberGenerator()
        secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    // MARK: Users of a connection

    /// The privileges of every user on `connection` (built-in and user-defined roles).
    func privileges(on connection: Int64) -> [Privilege] {
        let users = users(on: connection)
        if let cached = connections.withLock({ $0[connection]?.privileges }) { return cached }
        let privileges = roles.privileges(of: users.values.flatMap { $0 })
        connections.withLock { $0[connection]?.privileges = privileges }
        return privileges
    }

    /// Records that a user or role changed (created, dropped, roles, privileges or password).
    func usersChanged() {
        generation.add(1, ordering: .relaxed)
    }

    /// The users authenticated on `connection`, with their current roles (re-read from the
    /// store after any user change; a dropped user keeps no roles).
    func users(on connection: Int64) -> [UserName: [RoleName]] {
        let current = generation.load(ordering: .relaxed)
        guard let state = connections.withLock({ $0[connection] }), !state.users.isEmpty else { return [:] }
        if state.generation == current { return state.users }
        var refreshed: [UserName: [RoleName]] = [:]
        for name in state.users.keys {
            refreshed[name] = (try? store.user(name))?.roles ?? []
        }
        connections.withLock { connections in
            connections[connection]?.users = refreshed
            connections[connection]?.generation = current
            connections[connection]?.privileges = nil
        }
        return refreshed
    }

    /// Marks `user` authenticated on `connection`.
    func authenticate(_ user: UserRecord, on connection: Int64) {
        let current = generation.load(ordering: .relaxed)
        connections.withLock { connections in
            var state = connections[connection] ?? ConnectionAuth()
            if state.generation != current {
                // Roles read earlier may be stale: keep the names, re-read on next use.
                state.generation = 0
            }
            state.users[user.name] = user.roles
            state.privileges = nil
            connections[connection] = state
        }
    }

    /// Logs every user of `database` out of `connection`; returns whether one was.
    @discardableResult
    func logout(_ connection: Int64, database: String) -> Bool {
        connections.withLock { connections in
            guard var state = connections[connection] else { return false }
            let before = state.users.count
            state.users = state.users.filter { $0.key.db != database }
            state.privileges = nil
            state.conversation = nil
            connections[connection] = state
            return state.users.count != before
        }
    }

    /// Forgets a closed connection.
    func connectionClosed(_ connection: Int64) {
        _ = connections.withLock { $0.removeValue(forKey: connection) }
    }

    // MARK: Conversations

    /// Stores `conversation` as `connection`'s conversation in progress (replacing any).
    func setConversation(_ conversation: Conversation?, on connection: Int64) {
        connections.withLock { connections in
            var state = connections[connection] ?? ConnectionAuth()
            state.conversation = conversation
            connections[connection] = state
        }
    }

    /// Takes `connection`'s conversation in progress out of the table.
    func takeConversation(on connection: Int64) -> Conversation? {
        connections.withLock { connections in
            let conversation = connections[connection]?.conversation
            connections[connection]?.conversation = nil
            return conversation
        }
    }

    /// Whether `--auth` is on and nobody is authenticated on `connection`.
    func isAnonymous(_ connection: Int64) -> Bool {
        enabled && users(on: connection).isEmpty
    }

    /// Whether connections `a` and `b` share an authenticated user (always without `--auth`),
    /// as MongoDB's "coauthorized": whose operations a user may see and kill.
    func coauthorized(_ a: Int64, _ b: Int64) -> Bool {
        guard enabled else { return true }
        return !Set(users(on: a).keys).isDisjoint(with: users(on: b).keys)
    }

    // MARK: Sessions

    /// The most session owners remembered before those of ended sessions are forgotten.
    static let sessionOwnerCapacity = 10_000

    /// Claims session `id` for the users on `connection` at its first use; false when other
    /// users own it (no user in common). `isLive` prunes the table when it is full.
    func claimSession(_ id: BSONBinary, connection: Int64, isLive: (BSONBinary) -> Bool) -> Bool {
        let users = Set(users(on: connection).keys)
        guard !users.isEmpty else { return true }
        return sessionOwners.withLock { table in
            if let owners = table[id] { return !owners.isDisjoint(with: users) }
            if table.count >= Self.sessionOwnerCapacity { table = table.filter { isLive($0.key) } }
            table[id] = users
            return true
        }
    }

    /// Of `ids`, those the users on `connection` may end or kill: their own, and ids nobody
    /// owns (sessions that do not exist). Everything without `--auth`.
    func ownSessions(_ ids: [BSONBinary], connection: Int64) -> [BSONBinary] {
        guard enabled else { return ids }
        let users = Set(users(on: connection).keys)
        return sessionOwners.withLock { table in
            ids.filter { id in table[id].map { !$0.isDisjoint(with: users) } ?? true }
        }
    }

    /// Every session the users on `connection` own.
    func sessionsOwned(by connection: Int64) -> [BSONBinary] {
        let users = Set(users(on: connection).keys)
        guard !users.isEmpty else { return [] }
        return sessionOwners.withLock { table in
            table.filter { !$0.value.isDisjoint(with: users) }.map(\.key)
        }
    }

    /// Forgets the owners of ended sessions.
    func forgetSessions(_ ids: some Sequence<BSONBinary>) {
        sessionOwners.withLock { table in
            for id in ids { table[id] = nil }
        }
    }

    // MARK: Cursors

    /// Records that the users on `connection` own cursor `id`.
    func recordCursor(_ id: Int64, connection: Int64, stillOpen: (Int64) -> Bool) {
        let owners = Set(users(on: connection).keys)
        cursorOwners.withLock { table in
            table[id] = owners
            if table.count > 4096 {
                table = table.filter { stillOpen($0.key) }
            }
        }
    }

    /// Forgets cursor `id` (exhausted or killed).
    func forgetCursor(_ id: Int64) {
        _ = cursorOwners.withLock { $0.removeValue(forKey: id) }
    }

    /// Whether the users on `connection` may use cursor `id`: the same users that opened it
    /// (a cursor nobody recorded, opened before auth was on or already gone, is not checked
    /// here; the cursor registry answers for it).
    func mayUseCursor(_ id: Int64, connection: Int64) -> Bool {
        guard let owners = cursorOwners.withLock({ $0[id] }) else { return true }
        return owners == Set(users(on: connection).keys)
    }
}

/// Whether `address` (`host:port` or `[v6]:port`) is a loopback address.
func isLoopback(_ address: String) -> Bool {
    isLoopbackHost(splitHostPort(address).host)
}

/// `host` and `port` of `host:port` or `[v6]:port` (the port `nil` when absent or not a number).
func splitHostPort(_ address: String) -> (host: String, port: Int32?) {
    if address.hasPrefix("[") {
        guard let close = address.firstIndex(of: "]") else { return (address, nil) }
        let host = String(address[address.index(after: address.startIndex)..<close])
        let rest = address[address.index(after: close)...]
        return (host, rest.hasPrefix(":") ? Int32(rest.dropFirst()) : nil)
    }
    guard let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon else { return (address, nil) }
    return (String(address[..<colon]), Int32(address[address.index(after: colon)...]))
}

/// Whether `host` (no port) names a loopback address.
func isLoopbackHost(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.") || host.hasPrefix("::ffff:127.")
}
