// Writes held back by the fsync lock, parked by the connection instead of a thread: the check
// that a request is a write the lock holds back, the registration that wakes it (the last
// fsyncUnlock, killOp — the wait shows in currentOp — or shutdown) and what the write does
// when it wakes. Never blocks or sleeps: whoever parks brings its own timer for maxTimeMS
// (the Server's event loop).

public import BSON
import Query

/// A parked write's registrations, released once by ``release()``. Holds what it needs, so
/// it works after the dispatcher is gone (shutdown).
public final class FsyncParking: Sendable {
    /// How long the write may wait (its `maxTimeMS`), or nil for no limit.
    public let milliseconds: Int64?
    private let lock: FsyncLock
    private let operations: OperationTable
    private let waiter: FsyncLock.Waiter
    private let operation: Operation

    fileprivate init(lock: FsyncLock, operations: OperationTable, waiter: FsyncLock.Waiter, operation: Operation,
                     milliseconds: Int64?) {
        self.lock = lock
        self.operations = operations
        self.waiter = waiter
        self.operation = operation
        self.milliseconds = milliseconds
    }

    /// Drops the registrations; returns the reply the write answers at once — Interrupted
    /// (killOp), InterruptedAtShutdown, or MaxTimeMSExpired when `timedOut` — or nil when it
    /// should run now (or park again, if the lock was taken again meanwhile).
    public func release(timedOut: Bool) -> BSONDocument? {
        lock.cancel(waiter)
        operations.end(operation)
        if operation.isKilled { return CommandDispatcher.errorReply(FsyncLock.interruption(operation)) }
        if timedOut { return CommandDispatcher.errorReply(MongoError(.maxTimeMSExpired, "operation exceeded time limit")) }
        return nil
    }
}

extension CommandDispatcher {
    /// Parks `request` when it is a write the fsync lock holds back now: calls `wake` (perhaps
    /// more than once, from any thread) at the last fsyncUnlock, on killOp or at shutdown;
    /// the caller also wakes it after ``FsyncParking/milliseconds``. Nil, with no
    /// registration and no call, when it should run at once (not locked, not held back, or
    /// malformed: running it answers the error). Cheap and non-blocking: call it on an event loop.
    public func parkWhileFsyncLocked(_ request: CommandRequest, connection: ConnectionInfo,
                                     wake: @escaping @Sendable () -> Void) -> FsyncParking? {
        let lock = server.fsyncLock
        guard lock.lockCount > 0, let name = request.body.first?.key,
              FsyncLock.holdsBack(name, body: request.body),
              server.authorizationDenial(name, request, connection: connection) == nil
        else { return nil }
        let deadline: ContinuousClock.Instant?
        do {
            deadline = try Self.deadline(request.body)
        } catch {
            return nil
        }
        let milliseconds = deadline.map { Int64(clamping: Profiler.milliseconds($0 - .now)) }
        guard let waiter = lock.notifyWhenUnlocked(wake) else { return nil }
        let operation = server.operations.begin(
            connectionID: connection.id, client: connection.remoteAddress, command: Self.summary(of: request.body),
            namespace: Self.namespace(of: request), startedAt: WallClock.now())
        operation.onKill(wake)
        return FsyncParking(lock: lock, operations: server.operations, waiter: waiter, operation: operation,
                            milliseconds: milliseconds)
    }

    /// Writes parked or sleeping on the fsync lock now (serverStatus, tests).
    var fsyncWaiterCount: Int { server.fsyncLock.waiterCount }
}
