// The parked feed getMore's transitions in the connection state machine, without a socket:
// the check, the park and its stale wake-ups, killOp, requests pipelined behind a wait, and
// what ends a wait early (shutdown, the client closing).

import BSON
import Commands
import Testing
import Wire
@testable import Server

@Suite struct FeedWaitStateMachineTests {
    /// A getMore on cursor 7 of `db.c`, as a driver sends it.
    func getMore(_ id: Int32, maxAwaitTimeMS: Int64 = 600_000) -> ConnectionWork {
        let body: BSONDocument = [
            "getMore": .int64(7), "collection": "c", "maxAwaitTimeMS": .int64(maxAwaitTimeMS), "$db": "db",
        ]
        return .command(PendingCommand(request: CommandRequest(database: "db", body: body), requestID: id,
                                       replyKind: .msg(checksum: false)))
    }

    let ping = ConnectionWork.command(PendingCommand(
        request: CommandRequest(database: "admin", body: ["ping": .int32(1), "$db": "admin"]), requestID: 2,
        replyKind: .msg(checksum: false)))
    let nothingYet = FeedWait(cursorID: 7, sequence: 41, milliseconds: 600_000)
    let batch: BSONDocument = ["cursor": ["id": .int64(7), "ns": "db.c", "nextBatch": [1]], "ok": .double(1)]

    /// The getMore an action runs, or nil.
    func run(_ action: ConnectionStateMachine.Action) -> PendingCommand? {
        if case let .run(command) = action { return command }
        return nil
    }

    /// The wait an action parks, or nil.
    func parked(_ action: ConnectionStateMachine.Action) -> ConnectionStateMachine.FeedParkedWait? {
        if case let .awaitFeed(wait) = action { return wait }
        return nil
    }

    @Test func aGetMoreIsCheckedBeforeItRuns() {
        var machine = ConnectionStateMachine()
        guard case let .checkFeed(command) = machine.received(getMore(1)) else {
            Issue.record("the getMore was not checked"); return
        }
        #expect(command.requestID == 1)
        #expect(!machine.isRunning)
        let started = run(machine.feedChecked(nil))
        // Ready (or not a feed): it runs, and must not wait on a thread.
        #expect(started?.request.waitsOnConnection == true)
        #expect(started?.request.wasInterrupted == false)
        #expect(machine.isRunning)
    }

    @Test func aFeedGetMoreWithNothingReadyParksWithoutRunning() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        let wait = parked(machine.feedChecked(nothingYet))
        #expect(wait?.wait == nothingYet)
        #expect(machine.feedWait == wait)
        #expect(!machine.isRunning)
    }

    @Test func aWakeUpRunsTheGetMoreOnceAndLateWakeUpsDoNothing() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        guard let wait = parked(machine.feedChecked(nothingYet)) else { Issue.record("did not park"); return }
        #expect(machine.feedWaitEnded(wait.id &+ 1, interrupted: false) == .wait)
        let woken = run(machine.feedWaitEnded(wait.id, interrupted: false))
        #expect(woken?.requestID == 1)
        #expect(woken?.request.waitsOnConnection == true)
        #expect(machine.feedWait == nil)
        // The timer firing after the commit woke it does nothing.
        #expect(machine.feedWaitEnded(wait.id, interrupted: false) == .wait)
        #expect(machine.commandCompleted(batch) == .write(OutboundReply(
            responseTo: 1, message: .msg(OpMsg(body: batch)), compressor: nil), compressor: nil))
    }

    @Test func eachWaitHasItsOwnID() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        guard let first = parked(machine.feedChecked(nothingYet)) else { Issue.record("did not park"); return }
        _ = machine.feedWaitEnded(first.id, interrupted: false)
        _ = machine.commandCompleted(batch)
        #expect(machine.next() == .wait)
        _ = machine.received(getMore(3))
        guard let second = parked(machine.feedChecked(nothingYet)) else { Issue.record("did not park"); return }
        #expect(second.id != first.id)
        #expect(machine.feedWaitEnded(first.id, interrupted: false) == .wait)
    }

    @Test func killOpEndsTheWaitAsInterrupted() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        guard let wait = parked(machine.feedChecked(nothingYet)) else { Issue.record("did not park"); return }
        #expect(run(machine.feedWaitEnded(wait.id, interrupted: true))?.request.wasInterrupted == true)
    }

    @Test func requestsPipelinedBehindAWaitRunAfterItsReply() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        guard let wait = parked(machine.feedChecked(nothingYet)) else { Issue.record("did not park"); return }
        // Replies go out in request order: the ping waits behind the parked getMore.
        #expect(machine.received(ping) == .wait)
        #expect(machine.feedWait == wait)
        _ = machine.feedWaitEnded(wait.id, interrupted: false)
        _ = machine.commandCompleted(batch)
        #expect(run(machine.replyWritten(requestID: 9))?.requestID == 2)
    }

    @Test func shutdownEndsTheWaitAtOnceThenCloses() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        guard parked(machine.feedChecked(nothingYet)) != nil else { Issue.record("did not park"); return }
        let answered = run(machine.quiesce())
        #expect(answered?.requestID == 1)
        #expect(machine.feedWait == nil)
        _ = machine.commandCompleted(batch)
        #expect(machine.replyWritten(requestID: 9) == .close)
    }

    @Test func whileShuttingDownAGetMoreDoesNotPark() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        _ = machine.received(getMore(2))
        _ = machine.feedChecked(nil)
        _ = machine.quiesce()
        _ = machine.commandCompleted(batch)
        // The second getMore is not checked at all once the connection is closing.
        let second = run(machine.replyWritten(requestID: 9))
        #expect(second?.requestID == 2)
    }

    @Test func aClientCloseDropsTheWaitAndReleases() {
        var machine = ConnectionStateMachine()
        _ = machine.received(getMore(1))
        guard let wait = parked(machine.feedChecked(nothingYet)) else { Issue.record("did not park"); return }
        #expect(machine.channelClosed() == .release)
        #expect(machine.feedWait == nil)
        #expect(machine.feedWaitEnded(wait.id, interrupted: false) == .wait)
    }

    @Test func anUnacknowledgedGetMoreIsNotChecked() {
        var machine = ConnectionStateMachine()
        let body: BSONDocument = ["getMore": .int64(7), "collection": "c", "$db": "db"]
        let work = ConnectionWork.command(PendingCommand(
            request: CommandRequest(database: "db", body: body, isUnacknowledged: true), requestID: 1,
            replyKind: .msg(checksum: false)))
        #expect(run(machine.received(work))?.requestID == 1)
    }
}
