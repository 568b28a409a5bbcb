// FsyncLock: `fsync: 1, lock: true` and `fsyncUnlock` — a lock count; while it is above zero
// write commands (and aggregations ending in `$out` or `$merge`) are held back before they
// run (reads go on), so the files on disk stay as the fsync left them for a file-level
// snapshot. A held-back write waits as a registration, not a thread: the Server parks it on
// its connection (``CommandDispatcher/parkWhileFsyncLocked(_:connection:wake:)``) and the
// last fsyncUnlock, killOp, shutdown or its maxTimeMS wakes it. Callers without an event
// loop (the embedded library) wait on the same registration, blocking their own thread.

import BSON
import Dispatch
import Synchronization

/// The fsync lock's count and the writes waiting for it.
final class FsyncLock: Sendable {
    /// Commands held back while the lock is held.
    static let writes: Set<String> = [
        "insert", "update", "delete", "findAndModify", "findandmodify", "bulkWrite", "create", "drop", "dropDatabase",
        "createIndexes", "dropIndexes", "deleteIndexes", "collMod", "renameCollection", "compact",
    ]

    /// A registered waiter's handle, for ``cancel(_:)``.
    struct Waiter: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct State: Sendable {
        var count: Int64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())
    /// `state.count`, readable without the lock: every command checks it.
    private let count = Atomic<Int64>(0)

    /// How many times it is locked.
    var lockCount: Int64 { count.load(ordering: .acquiring) }

    /// Writes registered to wake at the last unlock.
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Whether the command `body` (named `name`) is held back while locked: the write
    /// commands, and `aggregate` whose pipeline ends in `$out` or `$merge`.
    static func holdsBack(_ name: String, body: BSONDocument) -> Bool {
        if writes.contains(name) { return true }
        guard name == "aggregate", case let .array(stages)? = body["pipeline"],
              case let .document(last)? = stages.last, let stage = last.first?.key else { return false }
        return stage == "$out" || stage == "$merge"
    }

    /// Locks once more; returns the new count.
    func lock() -> Int64 {
        state.withLock { state in
            state.count += 1
            count.store(state.count, ordering: .releasing)
            return state.count
        }
    }

    /// Unlocks once; returns the new count. The last unlock wakes every waiting write.
    ///
    /// - Throws: `IllegalOperation` (20) when it is not locked.
    func unlock() throws(MongoError) -> Int64 {
        let (remaining, woken) = state.withLock { state -> (Int64, [@Sendable () -> Void])? in
            guard state.count > 0 else { return nil }
            state.count -= 1
            count.store(state.count, ordering: .releasing)
            guard state.count == 0 else { return (state.count, []) }
            defer { state.waiters = [:] }
            return (0, Array(state.waiters.values))
        } ?? (-1, [])
        guard remaining >= 0 else { throw MongoError(.illegalOperation, "fsyncUnlock called when not locked") }
        for wake in woken { wake() }
        return remaining
    }

    /// Registers `wake` to be called once, at the last unlock; nil (and no call) when it is
    /// not locked now.
    func notifyWhenUnlocked(_ wake: @escaping @Sendable () -> Void) -> Waiter? {
        state.withLock { state in
            guard state.count > 0 else { return nil }
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = wake
            return Waiter(id: state.nextWaiter)
        }
    }

    /// Drops a registration (nothing when it already woke).
    func cancel(_ waiter: Waiter) {
        _ = state.withLock { $0.waiters.removeValue(forKey: waiter.id) }
    }

    /// Wakes every waiting write without unlocking (shutdown: they then answer
    /// InterruptedAtShutdown).
    func wakeAll() {
        let woken = state.withLock { state in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for wake in woken { wake() }
    }

    /// Blocks the calling thread while locked when command `name` is held back — for callers
    /// with no event loop to park on. The thread sleeps on the lock's registration; killOp,
    /// shutdown and `deadline` end the wait.
    ///
    /// - Throws: `Interrupted` (11601) on killOp, `InterruptedAtShutdown` (11600) at
    ///   shutdown, `MaxTimeMSExpired` (50) past `deadline`.
    func waitIfLocked(_ name: String, body: BSONDocument, operation: Operation,
                      deadline: ContinuousClock.Instant?) throws(MongoError) {
        guard lockCount > 0, Self.holdsBack(name, body: body) else { return }
        let signal = DispatchSemaphore(value: 0)
        operation.onKill { signal.signal() }
        while true {
            if operation.isKilled { throw Self.interruption(operation) }
            guard let waiter = notifyWhenUnlocked({ signal.signal() }) else { return }
            let timeout: DispatchTime = deadline.map { .now() + .nanoseconds(Self.nanoseconds($0 - .now)) } ?? .distantFuture
            let result = signal.wait(timeout: timeout)
            cancel(waiter)
            if result == .timedOut { throw MongoError(.maxTimeMSExpired, "operation exceeded time limit") }
        }
    }

    /// Whole nanoseconds in `duration`, 0 when negative, saturating.
    private static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : Int(clamping: whole.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
    }

    /// The error of a wait that killOp or shutdown ended.
    static func interruption(_ operation: Operation) -> MongoError {
        operation.isInterruptedAtShutdown ? MongoError(.interruptedAtShutdown, "interrupted at shutdown")
                                          : MongoError(.interrupted, "operation was interrupted")
    }
}
