// CursorRegistry: every open server-side cursor by id — the documents it still has to return
// (or the feed it reads: a change stream, a tailable cursor), its namespace, session and
// owning connection — with batch building under MongoDB's limits (batchSize, 16 MiB per
// reply), idle reaping, and kills by id, session or connection.

import BSON
import Query
import Synchronization

/// Where a cursor that is not a list of documents gets its batches.
enum CursorFeed: Sendable {
    /// A change stream (aggregate with `$changeStream`).
    case changeStream(ChangeStream)
    /// A tailable find on a capped collection.
    case tailable(TailableCursor)
}

/// The open cursors of one server.
final class CursorRegistry: Sendable {
    /// The most bytes of documents one batch carries (MongoDB's 16 MiB reply cap).
    static let maxBatchBytes = 16 * 1024 * 1024
    /// The first batch's size when the client gives none.
    static let defaultFirstBatchSize = 101

    /// One cursor: its state and what it still has to return.
    struct Cursor: Sendable {
        let id: Int64
        /// `db.collection` as replies name it (may be a `db.$cmd.listX` pseudo-namespace).
        let namespace: String
        var machine: CursorStateMachine
        var remaining: ArraySlice<BSONDocument>
        /// The session (`lsid.id`) it belongs to, if any.
        let session: BSONBinary?
        /// The connection that opened it, until that connection closes.
        var connectionID: Int64?
        /// The command that opened it, for currentOp-style diagnostics.
        let command: String
        /// What it reads, when it reads on (change streams, tailable cursors).
        var feed: CursorFeed?
        /// The engine's streaming cursor its batches come from, when it has one (finds and
        /// aggregations); `remaining` is then empty.
        var engine: QueryCursor?
        /// What is left of the opening command's maxTimeMS: the time budget of the whole
        /// cursor, spent only while getMores work on it (mongod's leftover max time); nil
        /// without maxTimeMS.
        var budget: Duration?
        /// The last batch filled its `batchSize` just as the engine ran out: mongod, which
        /// does not look past a full batch, keeps such a cursor open and answers the next
        /// getMore with an empty batch and id 0, and drivers count on that (exhaust streams).
        var drained = false
    }

    /// How a getMore may use a cursor's time (see ``nextBatch(id:namespace:batchSize:interrupt:time:)``).
    struct GetMoreTime: Sendable {
        /// The getMore gave `maxTimeMS` (only awaitData cursors accept it).
        var maxTimeGiven = false
        /// The `maxTimeAlwaysTimeOut` fail point is on: a getMore on a cursor with a time
        /// budget times out at once.
        var alwaysTimesOut = false
    }

    /// A batch taken from a cursor: its documents and the id to reply with (0 when done).
    struct Batch: Sendable {
        let documents: [BSONDocument]
        let cursorID: Int64
    }

    /// What killCursors found for each id.
    struct KillOutcome: Sendable, Equatable {
        var killed: [Int64] = []
        var notFound: [Int64] = []
    }

    private struct State: Sendable {
        var cursors: [Int64: Cursor] = [:]
        var timedOut: Int = 0
        var totalOpened: Int = 0
        /// Parked getMores to wake when their cursor goes (killCursors, session end, reaping).
        var removalWatchers: [Int64: [UInt64: @Sendable () -> Void]] = [:]
        var lastWatchID: UInt64 = 0

        /// Engine cursors of removed cursors, to close once the lock is released.
        var closing: [QueryCursor] = []

        /// Forgets cursor `id`; its engine cursor is closed with the orphaned watchers.
        mutating func remove(_ id: Int64) {
            if let engine = cursors.removeValue(forKey: id)?.engine { closing.append(engine) }
        }

        /// The watchers of cursors no longer open, forgotten, and the closing of removed
        /// cursors' engine cursors: each is called once, outside the lock.
        mutating func takeOrphanedWatchers() -> [@Sendable () -> Void] {
            var orphaned: [@Sendable () -> Void] = closing.map { engine in { engine.close() } }
            closing = []
            guard !removalWatchers.isEmpty else { return orphaned }
            for (id, watchers) in removalWatchers where cursors[id] == nil {
                orphaned += watchers.values
                removalWatchers[id] = nil
            }
            return orphaned
        }
    }

    /// A registration made with ``notifyOnRemoval(of:_:)``, for ``cancel(_:)``.
    struct RemovalWatch: Sendable, Hashable {
        let cursorID: Int64
        let id: UInt64
    }

    private let state = Mutex(State())
    private let timeout: Duration
    private let maxPerConnection: Int

    init(timeout: Duration, maxPerConnection: Int) {
        self.timeout = timeout
        self.maxPerConnection = maxPerConnection
    }

    /// Takes the first batch from `documents` and, if any remain (and `singleBatch` is not
    /// set), registers a cursor for the rest.
    ///
    /// - Throws: `OperationFailed` (96) when `connectionID` already holds
    ///   `maxCursorsPerConnection` cursors.
    func open(
        namespace: String, documents: [BSONDocument], batchSize: Int?, singleBatch: Bool,
        session: BSONBinary?, connectionID: Int64?, noTimeout: Bool, command: String,
        deadline: ContinuousClock.Instant? = nil
    ) throws(MongoError) -> Batch {
        var remaining = documents[...]
        let first = Self.takeBatch(from: &remaining, limit: batchSize ?? Self.defaultFirstBatchSize)
        guard !remaining.isEmpty, !singleBatch else { return Batch(documents: first, cursorID: 0) }
        let now = ContinuousClock.now
        let id = try register(connectionID: connectionID) { id in
            Cursor(id: id, namespace: namespace, machine: CursorStateMachine(openedAt: now, noTimeout: noTimeout),
                   remaining: remaining, session: session, connectionID: connectionID, command: command,
                   budget: deadline.map { now.duration(to: $0) })
        }
        return Batch(documents: first, cursorID: id)
    }

    /// Takes the first batch from the engine cursor `engine` and, if it is not exhausted (and
    /// `singleBatch` is not set), registers a cursor that reads on from it; otherwise closes
    /// it. `batchSize` 0 takes nothing now. The engine works outside the registry's lock.
    ///
    /// - Throws: the engine's errors; `OperationFailed` (96) when `connectionID` already
    ///   holds `maxCursorsPerConnection` cursors (the engine cursor is then closed).
    func open(
        namespace: String, engine: QueryCursor, batchSize: Int?, singleBatch: Bool, interrupt: OperationInterrupt,
        session: BSONBinary?, connectionID: Int64?, noTimeout: Bool, command: String
    ) throws(MongoError) -> Batch {
        let limit = batchSize ?? Self.defaultFirstBatchSize
        let first = limit == 0 ? [] : try engine.nextBatch(maxCount: limit, maxBytes: Self.maxBatchBytes, interrupt: interrupt)
        guard engine.isOpen, !singleBatch else {
            engine.close()
            return Batch(documents: first, cursorID: 0)
        }
        let now = ContinuousClock.now
        do {
            let id = try register(connectionID: connectionID) { id in
                Cursor(id: id, namespace: namespace, machine: CursorStateMachine(openedAt: now, noTimeout: noTimeout),
                       remaining: [], session: session, connectionID: connectionID, command: command, engine: engine,
                       budget: interrupt.deadline.map { now.duration(to: $0) })
            }
            return Batch(documents: first, cursorID: id)
        } catch {
            engine.close()
            throw error
        }
    }

    /// Stores the cursor `make` builds under a fresh random non-zero id; returns the id.
    ///
    /// - Throws: `OperationFailed` (96) when `connectionID` already holds
    ///   `maxCursorsPerConnection` cursors.
    private func register(connectionID: Int64?, _ make: (Int64) -> Cursor) throws(MongoError) -> Int64 {
        try state.withLock { (state) throws(MongoError) -> Int64 in
            if let connectionID {
                let held = state.cursors.values.count { $0.connectionID == connectionID }
                guard held < maxPerConnection else {
                    throw MongoError(.operationFailed,
                                     "connection \(connectionID) already has \(held) open cursors (the limit is \(maxPerConnection))")
                }
            }
            var id = Int64.random(in: 1...Int64.max)
            while state.cursors[id] != nil { id = Int64.random(in: 1...Int64.max) }
            state.cursors[id] = make(id)
            state.totalOpened += 1
            return id
        }
    }

    /// Registers a cursor that reads `feed`; returns its id.
    ///
    /// - Throws: `OperationFailed` (96) when `connectionID` already holds
    ///   `maxCursorsPerConnection` cursors.
    func open(
        namespace: String, feed: CursorFeed, session: BSONBinary?, connectionID: Int64?, command: String
    ) throws(MongoError) -> Int64 {
        let now = ContinuousClock.now
        return try register(connectionID: connectionID) { id in
            Cursor(id: id, namespace: namespace, machine: CursorStateMachine(openedAt: now, noTimeout: false),
                   remaining: [], session: session, connectionID: connectionID, command: command, feed: feed)
        }
    }

    /// The feed of cursor `id` for a getMore on `namespace` (marking it used), or `nil` when
    /// it is a cursor over documents (use `nextBatch`).
    ///
    /// - Throws: as `nextBatch`.
    func feed(id: Int64, namespace: String) throws(MongoError) -> CursorFeed? {
        let now = ContinuousClock.now
        return try state.withLock { (state) throws(MongoError) -> CursorFeed? in
            guard var cursor = state.cursors[id], cursor.machine.beginBatch() == .returnBatch else {
                throw MongoError(.cursorNotFound, "cursor id \(id) not found")
            }
            guard cursor.namespace == namespace else {
                throw MongoError(.unauthorized,
                                 "Requested getMore on namespace '\(namespace)', but cursor belongs to a different namespace \(cursor.namespace)")
            }
            guard let feed = cursor.feed else { return nil }
            cursor.machine.finishBatch(at: now, remaining: true)
            state.cursors[id] = cursor
            return feed
        }
    }

    /// The feed of cursor `id` on `namespace`, without marking it used; nil for an unknown
    /// cursor, another namespace or a cursor over documents.
    func peekFeed(id: Int64, namespace: String) -> CursorFeed? {
        state.withLock { state in
            guard let cursor = state.cursors[id], cursor.namespace == namespace else { return nil }
            return cursor.feed
        }
    }

    /// Closes cursor `id` (its feed ended or failed).
    func close(id: Int64) {
        let orphaned = state.withLock { state in
            state.remove(id)
            return state.takeOrphanedWatchers()
        }
        for watcher in orphaned { watcher() }
    }

    /// Calls `onRemoval` once when cursor `id` is closed or killed; nil when it is not open.
    func notifyOnRemoval(of id: Int64, _ onRemoval: @escaping @Sendable () -> Void) -> RemovalWatch? {
        state.withLock { state -> RemovalWatch? in
            guard state.cursors[id] != nil else { return nil }
            state.lastWatchID &+= 1
            state.removalWatchers[id, default: [:]][state.lastWatchID] = onRemoval
            return RemovalWatch(cursorID: id, id: state.lastWatchID)
        }
    }

    /// Forgets a removal watch that is no longer wanted.
    func cancel(_ watch: RemovalWatch) {
        state.withLock { state in
            state.removalWatchers[watch.cursorID]?[watch.id] = nil
            if state.removalWatchers[watch.cursorID]?.isEmpty == true { state.removalWatchers[watch.cursorID] = nil }
        }
    }

    /// The next batch of cursor `id` for a getMore on `namespace`; a cursor over the engine
    /// reads it under `interrupt` (with the cursor's time budget as its deadline), outside the
    /// registry's lock, and the time it took is taken from the budget.
    ///
    /// - Throws: `CursorNotFound` (43) for an unknown or closed cursor, `Unauthorized` (13)
    ///   when the cursor belongs to another namespace, `BadValue` (2) when the getMore gave
    ///   `maxTimeMS` (these leave the cursor open, as in MongoDB); `MaxTimeMSExpired` (50) when
    ///   the cursor's budget runs out and the engine's errors (the cursor is then closed, as
    ///   MongoDB kills a failed cursor).
    func nextBatch(id: Int64, namespace: String, batchSize: Int?,
                   interrupt: OperationInterrupt = .none, time: GetMoreTime = GetMoreTime()) throws(MongoError) -> Batch {
        let now = ContinuousClock.now
        defer { runOrphanedWatchers() }
        let held = try state.withLock { (state) throws(MongoError) -> Either in
            guard var cursor = state.cursors[id], cursor.machine.beginBatch() == .returnBatch else {
                throw MongoError(.cursorNotFound, "cursor id \(id) not found")
            }
            guard cursor.namespace == namespace else {
                throw MongoError(.unauthorized,
                                 "Requested getMore on namespace '\(namespace)', but cursor belongs to a different namespace \(cursor.namespace)")
            }
            guard !time.maxTimeGiven else {
                throw MongoError(.badValue, "cannot set maxTimeMS on getMore command for a non-awaitData cursor")
            }
            if let budget = cursor.budget, time.alwaysTimesOut || budget <= .zero {
                state.remove(id)
                throw MongoError(.maxTimeMSExpired, "operation exceeded time limit")
            }
            if cursor.drained {
                state.remove(id)
                return .batch(Batch(documents: [], cursorID: 0))
            }
            if let engine = cursor.engine { return .engine(engine, cursor.budget.map { now + $0 }) }
            let documents = Self.takeBatch(from: &cursor.remaining, limit: batchSize == 0 ? nil : batchSize)
            cursor.machine.finishBatch(at: now, remaining: !cursor.remaining.isEmpty)
            if cursor.machine.isOpen {
                state.cursors[id] = cursor
                return .batch(Batch(documents: documents, cursorID: id))
            }
            state.cursors[id] = nil
            return .batch(Batch(documents: documents, cursorID: 0))
        }
        guard case let .engine(engine, deadline) = held else {
            if case let .batch(batch) = held { return batch }
            throw MongoError(.internalError, "cursor id \(id) gave no batch")
        }
        let limit = batchSize == 0 ? Int.max : batchSize ?? Int.max
        let documents: [BSONDocument]
        do {
            documents = try engine.nextBatch(
                maxCount: limit, maxBytes: Self.maxBatchBytes,
                interrupt: OperationInterrupt(deadline: deadline, killSwitch: interrupt.killSwitch, tally: interrupt.tally))
        } catch {
            close(id: id)
            throw error
        }
        let finished = ContinuousClock.now
        // A full batch leaves the cursor open even when the engine ran out (see `drained`).
        let open = engine.isOpen
        let drained = !open && documents.count == limit
        let kept = state.withLock { state -> Bool in
            guard var cursor = state.cursors[id], cursor.engine === engine else { return false }
            cursor.machine.finishBatch(at: finished, remaining: open || drained)
            cursor.drained = drained
            cursor.budget = deadline.map { finished.duration(to: $0) }
            state.cursors[id] = cursor.machine.isOpen ? cursor : nil
            return cursor.machine.isOpen
        }
        if !kept { engine.close() }
        return Batch(documents: documents, cursorID: kept ? id : 0)
    }

    /// What a getMore found under the lock: a batch already taken, or an engine cursor to read.
    private enum Either {
        case batch(Batch)
        /// The engine cursor to read, and the deadline its budget leaves this getMore.
        case engine(QueryCursor, ContinuousClock.Instant?)
    }

    /// Calls the removal watchers of cursors no longer open.
    private func runOrphanedWatchers() {
        for watcher in state.withLock({ $0.takeOrphanedWatchers() }) { watcher() }
    }

    /// Kills the cursors `ids` (killCursors) that belong to `namespace`.
    func kill(ids: [Int64], namespace: String) -> KillOutcome {
        let (outcome, orphaned) = state.withLock { state in
            var outcome = KillOutcome()
            for id in ids {
                if var cursor = state.cursors[id], cursor.namespace == namespace, cursor.machine.kill() {
                    state.remove(id)
                    outcome.killed.append(id)
                } else {
                    outcome.notFound.append(id)
                }
            }
            return (outcome, state.takeOrphanedWatchers())
        }
        for watcher in orphaned { watcher() }
        return outcome
    }

    /// Kills every cursor of the sessions `sessions`; returns how many.
    @discardableResult
    func kill(sessions: Set<BSONBinary>) -> Int {
        let (count, orphaned) = state.withLock { state in
            let doomed = state.cursors.values.filter { $0.session.map(sessions.contains) ?? false }.map(\.id)
            for id in doomed { state.remove(id) }
            return (doomed.count, state.takeOrphanedWatchers())
        }
        for watcher in orphaned { watcher() }
        return count
    }

    /// The sessions that own open cursors.
    func allSessions() -> Set<BSONBinary> {
        state.withLock { Set($0.cursors.values.compactMap(\.session)) }
    }

    /// Kills cursors idle past `timeout` (the registry's own when `nil`); returns how many.
    @discardableResult
    func reapIdle(now: ContinuousClock.Instant = .now, timeout: Duration? = nil) -> Int {
        let timeout = timeout ?? self.timeout
        let (count, orphaned) = state.withLock { state in
            var reaped: [Int64] = []
            for (id, var cursor) in state.cursors where cursor.machine.expireIfIdle(at: now, timeout: timeout) {
                reaped.append(id)
            }
            for id in reaped { state.remove(id) }
            state.timedOut += reaped.count
            return (reaped.count, state.takeOrphanedWatchers())
        }
        for watcher in orphaned { watcher() }
        return count
    }

    /// Forgets which connection owns its cursors (they stay usable from other connections,
    /// as in MongoDB, until they time out).
    func release(connectionID: Int64) {
        state.withLock { state in
            for (id, cursor) in state.cursors where cursor.connectionID == connectionID {
                state.cursors[id]?.connectionID = nil
            }
        }
    }

    /// Whether cursor `id` is open.
    func contains(_ id: Int64) -> Bool {
        state.withLock { $0.cursors[id] != nil }
    }

    /// Open, timed-out-so-far and total-opened counts (serverStatus `metrics.cursor`).
    var counts: (open: Int, timedOut: Int, totalOpened: Int, noTimeout: Int) {
        state.withLock { state in
            (state.cursors.count, state.timedOut, state.totalOpened,
             state.cursors.values.count { $0.machine.noTimeout })
        }
    }

    /// Takes up to `limit` documents (no limit when `nil`) from `remaining`, stopping before
    /// the batch would pass 16 MiB (a non-empty batch always has at least one document).
    static func takeBatch(from remaining: inout ArraySlice<BSONDocument>, limit: Int?) -> [BSONDocument] {
        let cap = limit ?? Int.max
        var batch: [BSONDocument] = []
        var bytes = 0
        while let next = remaining.first, batch.count < cap {
            let size = BSONSize.of(next)
            if !batch.isEmpty && bytes + size > maxBatchBytes { break }
            bytes += size
            batch.append(next)
            remaining.removeFirst()
        }
        return batch
    }
}
