// ServerTopology: the server's topologyVersion (a process id and a counter) and the waiters of
// awaitable `hello`s, told when it changes. Owns only that state; it never sleeps, blocks or
// schedules anything: whoever waits brings its own timer (the Server's event loop).

public import BSON
import Synchronization

/// MongoDB's `topologyVersion`: which process answers, and how often its role has changed.
public struct TopologyVersion: Sendable, Hashable {
    /// One id per server run; a different one tells a client the server restarted.
    public var processId: ObjectId
    /// Incremented on every change a client should learn of (here: the start of shutdown).
    public var counter: Int64

    /// A topology version.
    public init(processId: ObjectId, counter: Int64) {
        self.processId = processId
        self.counter = counter
    }

    /// `{processId, counter}` as hello replies carry it.
    public var document: BSONDocument {
        ["processId": .objectId(processId), "counter": .int64(counter)]
    }
}

/// The topology of one running server and the awaitable hellos waiting for it to change.
///
/// Sendable: the counter, the quiesce flag and the waiters sit behind one Mutex; callbacks run
/// outside it, on the thread that changed the topology.
public final class ServerTopology: Sendable {
    /// A registered waiter, for ``cancel(_:)``.
    public struct Registration: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct State {
        var counter: Int64 = 0
        var quiescing = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: @Sendable () -> Void] = [:]
    }

    /// This server run's process id.
    public let processId: ObjectId
    private let state = Mutex(State())

    /// A topology with a new process id and counter 0.
    public init(processId: ObjectId = ObjectId()) {
        self.processId = processId
    }

    /// The current topology version.
    public var version: TopologyVersion {
        TopologyVersion(processId: processId, counter: state.withLock { $0.counter })
    }

    /// True once shutdown began: hello answers ShutdownInProgress from then on.
    public var isQuiescing: Bool { state.withLock { $0.quiescing } }

    /// How many waiters are registered (for tests and diagnostics).
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Calls `onChange` once, when the topology next changes, if `version` is the current one.
    /// Returns nil without registering when it is not (another process id, an older or a newer
    /// counter) or shutdown has begun: the caller answers at once.
    public func notifyOnChange(from version: TopologyVersion,
                               _ onChange: @escaping @Sendable () -> Void) -> Registration? {
        guard version.processId == processId else { return nil }
        return state.withLock { state -> Registration? in
            guard !state.quiescing, version.counter == state.counter else { return nil }
            state.nextID &+= 1
            state.waiters[state.nextID] = onChange
            return Registration(id: state.nextID)
        }
    }

    /// Forgets a waiter that no longer waits (its time ran out, or its connection closed).
    public func cancel(_ registration: Registration) {
        _ = state.withLock { $0.waiters.removeValue(forKey: registration.id) }
    }

    /// Shutdown begins: the counter goes up once and every waiter is told, so clients
    /// streaming `hello` learn of it at once. Later calls do nothing.
    public func beginQuiesce() {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.quiescing else { return [] }
            state.quiescing = true
            state.counter += 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter() }
    }
}
