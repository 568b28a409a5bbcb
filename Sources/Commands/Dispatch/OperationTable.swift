// OperationTable: the commands running right now, for currentOp and killOp. Each running
// command holds an Operation whose kill switch the query engine polls inside its scans.

import BSON
import Query
import Synchronization

/// One running command.
final class Operation: Sendable {
    /// Its opid.
    let id: Int32
    /// The connection it runs on.
    let connectionID: Int64
    /// The client's address.
    let client: String
    /// The command document (without large document sequences).
    let command: BSONDocument
    /// `db.collection` or `db.$cmd`.
    let namespace: String
    /// When it started.
    let started: ContinuousClock.Instant
    /// The wall-clock start, for `currentOpTime`.
    let startedAt: BSONDateTime
    /// Its kill switch, shared with the OperationInterrupt its scans poll.
    let killSwitch = KillSwitch()
    /// What its scans examined, for the profiler and the slow-operation log.
    let tally = OperationTally()
    /// What each statement of an update or delete did, for the profiler's per-statement entries.
    let statements = StatementLog()
    /// Called once by killOp: wakes a wait parked outside any thread (a feed getMore).
    private let killHandler = Mutex<(@Sendable () -> Void)?>(nil)

    init(id: Int32, connectionID: Int64, client: String, command: BSONDocument, namespace: String,
         startedAt: BSONDateTime) {
        self.id = id
        self.connectionID = connectionID
        self.client = client
        self.command = command
        self.namespace = namespace
        self.started = .now
        self.startedAt = startedAt
    }

    /// Whether killOp has marked it.
    var isKilled: Bool { killSwitch.isKilled }

    /// Marks it killed; it stops at its next check.
    func kill() {
        killSwitch.kill()
        let handler = killHandler.withLock { handler in
            defer { handler = nil }
            return handler
        }
        handler?()
    }

    /// Calls `handler` when this operation is killed (at once if it already was).
    func onKill(_ handler: @escaping @Sendable () -> Void) {
        killHandler.withLock { $0 = handler }
        if isKilled, let pending = killHandler.withLock({ handler in
            defer { handler = nil }
            return handler
        }) {
            pending()
        }
    }

    /// Whether shutdown (rather than killOp) has marked it.
    var isInterruptedAtShutdown: Bool { killSwitch.isKilledForShutdown }
}

/// The running commands.
final class OperationTable: Sendable {
    private struct State: Sendable {
        var nextID: Int32 = 1
        var running: [Int32: Operation] = [:]
    }

    private let state = Mutex(State())

    /// Registers a command as running.
    func begin(connectionID: Int64, client: String, command: BSONDocument, namespace: String,
               startedAt: BSONDateTime) -> Operation {
        state.withLock { state in
            let id = state.nextID
            state.nextID = state.nextID == Int32.max ? 1 : state.nextID + 1
            let operation = Operation(id: id, connectionID: connectionID, client: client, command: command,
                                      namespace: namespace, startedAt: startedAt)
            state.running[id] = operation
            return operation
        }
    }

    /// Removes a finished command.
    func end(_ operation: Operation) {
        _ = state.withLock { $0.running.removeValue(forKey: operation.id) }
    }

    /// The running commands, oldest first.
    var running: [Operation] {
        state.withLock { Array($0.running.values) }.sorted { $0.id < $1.id }
    }

    /// Marks every running operation interrupted by shutdown (they stop at their next check
    /// with InterruptedAtShutdown, 11600); returns how many there were.
    func interruptAllForShutdown() -> Int {
        let running = state.withLock { Array($0.running.values) }
        for operation in running { operation.killSwitch.killForShutdown() }
        return running.count
    }

    /// Operation `id`, while it runs.
    func operation(_ id: Int32) -> Operation? {
        state.withLock { $0.running[id] }
    }

    /// Marks operation `id` killed; returns whether it was running.
    func kill(_ id: Int32) -> Bool {
        guard let operation = state.withLock({ $0.running[id] }) else { return false }
        operation.kill()
        return true
    }
}
