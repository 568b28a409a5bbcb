// Feed getMores held by the connection instead of a thread: the cheap check that a getMore on
// a change stream or awaitData cursor has nothing to return yet, and the parking of such a wait
// (a commit notification, a cursor-removal notification and a killable operation). Never
// blocks or sleeps: whoever parks brings its own timer (the Server's event loop).

import BSON
import Query

/// A feed getMore with nothing to return yet: it waits for a commit after `sequence`, at
/// most `milliseconds`, and then runs without any further wait.
public struct FeedWait: Sendable, Equatable {
    /// The cursor the getMore reads.
    public let cursorID: Int64
    /// The change log sequence its feed has read through.
    public let sequence: UInt64
    /// How long it may wait: the getMore's `maxTimeMS` (or `maxAwaitTimeMS`, or the default).
    public let milliseconds: Int64

    /// A feed wait (public for the Server's state machine tests).
    public init(cursorID: Int64, sequence: UInt64, milliseconds: Int64) {
        self.cursorID = cursorID
        self.sequence = sequence
        self.milliseconds = milliseconds
    }
}

/// The registrations of one parked feed wait, released by ``release()``. Holds what it
/// needs to release them, so it works after the dispatcher is gone (shutdown).
/// Sendable: every part is immutable and itself Sendable.
public final class FeedParking: Sendable {
    private let engine: QueryEngine
    private let cursors: CursorRegistry
    private let operations: OperationTable
    private let commit: CommitWatch
    private let removal: CursorRegistry.RemovalWatch
    private let operation: Operation

    fileprivate init(server: ServerState, commit: CommitWatch, removal: CursorRegistry.RemovalWatch,
                     operation: Operation) {
        engine = server.engine
        cursors = server.cursors
        operations = server.operations
        self.commit = commit
        self.removal = removal
        self.operation = operation
    }

    /// Drops the registrations (calling it again does nothing more); returns true when
    /// killOp ended the wait (the getMore then answers Interrupted: set
    /// ``CommandRequest/wasInterrupted``).
    public func release() -> Bool {
        engine.cancelCommitNotification(commit)
        cursors.cancel(removal)
        operations.end(operation)
        return operation.isKilled
    }
}

extension CommandDispatcher {
    /// The wait of `request` when it is a getMore on a feed cursor with nothing to return
    /// yet; nil when it should simply run (anything else, something may be ready, or the
    /// request is malformed or refused: running it answers the error). Cheap and
    /// non-blocking (a registry lookup and a sequence comparison; no I/O): call it on an
    /// event loop.
    public func feedWait(for request: CommandRequest, connection: ConnectionInfo) -> FeedWait? {
        let body = request.body
        guard !request.isUnacknowledged, !request.isLegacy, body.first?.key == "getMore",
              case let .int64(cursorID)? = body.first?.value, cursorID != 0,
              case let .string(collection)? = body["collection"],
              server.auth.denial("getMore", request, connection: connection) == nil,
              let feed = server.cursors.peekFeed(id: cursorID, namespace: "\(request.database).\(collection)")
        else { return nil }
        let awaitMilliseconds: Int64?
        do {
            awaitMilliseconds = try FeedCommands.awaitMilliseconds(body)
            _ = try Self.deadline(body)
        } catch {
            return nil
        }
        let latest = server.engine.latestCommitSequence
        let sequence: UInt64?
        let defaultWait: Duration
        switch feed {
        case let .changeStream(stream):
            sequence = stream.waitSequence(latest: latest)
            defaultWait = ChangeStream.defaultAwait
        case let .tailable(cursor):
            sequence = cursor.waitSequence(latest: latest)
            defaultWait = TailableCursor.defaultAwait
        }
        guard let sequence else { return nil }
        let milliseconds = awaitMilliseconds ?? defaultWait.components.seconds * 1000
        return FeedWait(cursorID: cursorID, sequence: sequence, milliseconds: milliseconds)
    }

    /// Parks `wait`: calls `wake` (perhaps more than once, from any thread) when a write
    /// commits after its sequence, its cursor is killed or closed, or killOp names it (the
    /// wait shows in currentOp as the getMore `request`). Nil, with no registration and no
    /// call, when it is already over: run the getMore at once.
    public func park(_ wait: FeedWait, request: CommandRequest, connection: ConnectionInfo,
                     wake: @escaping @Sendable () -> Void) -> FeedParking? {
        guard let commit = server.engine.notifyOnCommit(after: wait.sequence, wake) else { return nil }
        guard let removal = server.cursors.notifyOnRemoval(of: wait.cursorID, wake) else {
            server.engine.cancelCommitNotification(commit)
            return nil
        }
        let operation = server.operations.begin(
            connectionID: connection.id, client: connection.remoteAddress, command: Self.summary(of: request.body),
            namespace: Self.namespace(of: request), startedAt: WallClock.now())
        operation.onKill(wake)
        return FeedParking(server: server, commit: commit, removal: removal, operation: operation)
    }
}
