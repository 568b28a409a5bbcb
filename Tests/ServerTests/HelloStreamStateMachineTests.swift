// The awaitable hello's transitions in the connection state machine, without a socket: the
// wait (and its stale wake-ups), the exhaust stream of hello replies, and what ends a wait
// early (another request, shutdown, the client closing).

import BSON
import Commands
import Testing
import Wire
@testable import Server

@Suite struct HelloStreamStateMachineTests {
    let processId = ObjectId()

    func version(_ counter: Int64) -> TopologyVersion { TopologyVersion(processId: processId, counter: counter) }

    /// An awaitable hello as drivers send it (OP_MSG), with or without `exhaustAllowed`.
    func awaitableHello(_ id: Int32, counter: Int64 = 0, maxAwaitTimeMS: Int64 = 500, exhaust: Bool = false) -> ConnectionWork {
        let body: BSONDocument = [
            "hello": .int32(1), "topologyVersion": .document(version(counter).document),
            "maxAwaitTimeMS": .int64(maxAwaitTimeMS), "$db": "admin",
        ]
        return .command(PendingCommand(
            request: CommandRequest(database: "admin", body: body), requestID: id,
            replyKind: .msg(checksum: false), exhaustAllowed: exhaust))
    }

    func helloReply(counter: Int64 = 0) -> BSONDocument {
        ["isWritablePrimary": true, "topologyVersion": .document(version(counter).document), "ok": .double(1)]
    }

    func write(_ responseTo: Int32, _ body: BSONDocument, moreToCome: Bool = false) -> ConnectionStateMachine.Action {
        .write(OutboundReply(responseTo: responseTo, message: .msg(OpMsg(flags: moreToCome ? .moreToCome : [], body: body)),
                             compressor: nil), compressor: nil)
    }

    /// The wait an action asks for, or nil.
    func wait(_ action: ConnectionStateMachine.Action) -> ConnectionStateMachine.HelloWait? {
        if case let .awaitTopologyChange(wait) = action { return wait }
        return nil
    }

    @Test func anAwaitableHelloWaitsThenAnswersOnce() {
        var machine = ConnectionStateMachine()
        guard let first = wait(machine.received(awaitableHello(1))) else { Issue.record("the hello did not wait"); return }
        #expect(first.version == version(0))
        #expect(first.milliseconds == 500)
        #expect(machine.helloWait == first)
        #expect(!machine.isRunning)
        // The time is up (or the topology changed): the hello runs and answers its request.
        guard case let .run(hello) = machine.helloWaitEnded(first.id) else { Issue.record("the hello did not run"); return }
        #expect(hello.requestID == 1)
        #expect(machine.helloWait == nil)
        // Without exhaustAllowed one reply, without moreToCome, and nothing after it.
        #expect(machine.commandCompleted(helloReply()) == write(1, helloReply()))
        #expect(machine.replyWritten(requestID: 70) == .wait)
    }

    @Test func aHelloWithoutTopologyVersionRunsAtOnce() {
        var machine = ConnectionStateMachine()
        let plain = PendingCommand(request: CommandRequest(database: "admin", body: ["hello": .int32(1), "$db": "admin"]),
                                   requestID: 1, replyKind: .msg(checksum: false), exhaustAllowed: true)
        guard case .run = machine.received(.command(plain)) else { Issue.record("a plain hello waited"); return }
        #expect(machine.commandCompleted(helloReply()) == write(1, helloReply()))
        #expect(machine.replyWritten(requestID: 2) == .wait)
    }

    @Test func aMalformedAwaitableHelloRunsAtOnceToGetItsError() {
        var machine = ConnectionStateMachine()
        let body: BSONDocument = ["hello": .int32(1), "topologyVersion": .document(version(0).document),
                                  "maxAwaitTimeMS": .int32(-1), "$db": "admin"]
        let request = PendingCommand(request: CommandRequest(database: "admin", body: body), requestID: 1,
                                     replyKind: .msg(checksum: false), exhaustAllowed: true)
        guard case .run = machine.received(.command(request)) else { Issue.record("a malformed hello waited"); return }
        let error: BSONDocument = ["ok": .double(0), "code": .int32(51024)]
        #expect(machine.commandCompleted(error) == write(1, error))
        #expect(machine.replyWritten(requestID: 2) == .wait)
    }

    @Test func anExhaustHelloStreamsAReplyAfterEveryWait() {
        var machine = ConnectionStateMachine()
        guard var current = wait(machine.received(awaitableHello(10, exhaust: true))) else {
            Issue.record("the hello did not wait"); return
        }
        var answering: Int32 = 10
        for sent in Int32(50)..<53 {
            guard case let .run(hello) = machine.helloWaitEnded(current.id) else { Issue.record("no hello ran"); return }
            #expect(hello.requestID == answering)
            // Each reply is flagged moreToCome and answers the previous reply (or the request).
            #expect(machine.commandCompleted(helloReply()) == write(answering, helloReply(), moreToCome: true))
            guard let next = wait(machine.replyWritten(requestID: sent)) else { Issue.record("the stream stopped"); return }
            #expect(next.id != current.id)
            #expect(next.version == version(0))
            #expect(machine.helloWait == next)
            // A wake-up of the finished wait (its timer raced the notification) does nothing.
            #expect(machine.helloWaitEnded(current.id) == .wait)
            current = next
            answering = sent
        }
    }

    @Test func theStreamWaitsOnTheVersionItsLastReplyReported() {
        var machine = ConnectionStateMachine()
        guard let first = wait(machine.received(awaitableHello(10, exhaust: true))) else { Issue.record("no wait"); return }
        _ = machine.helloWaitEnded(first.id)
        // The topology changed meanwhile: the reply says counter 1, and the next wait is on it.
        #expect(machine.commandCompleted(helloReply(counter: 1)) == write(10, helloReply(counter: 1), moreToCome: true))
        guard let second = wait(machine.replyWritten(requestID: 11)) else { Issue.record("the stream stopped"); return }
        #expect(second.version == version(1))
    }

    @Test func anErrorReplyEndsTheStream() {
        var machine = ConnectionStateMachine()
        guard let first = wait(machine.received(awaitableHello(10, exhaust: true))) else { Issue.record("no wait"); return }
        _ = machine.helloWaitEnded(first.id)
        let error: BSONDocument = ["ok": .double(0), "code": .int32(91), "topologyVersion": .document(version(1).document)]
        #expect(machine.commandCompleted(error) == write(10, error))
        #expect(machine.replyWritten(requestID: 11) == .wait)
        #expect(machine.helloWait == nil)
    }

    @Test func anotherRequestEndsTheStreamWithAFinalReply() {
        var machine = ConnectionStateMachine()
        guard let first = wait(machine.received(awaitableHello(10, exhaust: true))) else { Issue.record("no wait"); return }
        _ = machine.helloWaitEnded(first.id)
        _ = machine.commandCompleted(helloReply())
        guard let second = wait(machine.replyWritten(requestID: 11)) else { Issue.record("the stream stopped"); return }
        // A ping arrives while the stream waits: the hello answers at once, without moreToCome...
        let ping = PendingCommand(request: CommandRequest(database: "admin", body: ["ping": .int32(1), "$db": "admin"]),
                                  requestID: 20, replyKind: .msg(checksum: false))
        guard case let .run(hello) = machine.received(.command(ping)) else { Issue.record("the wait went on"); return }
        #expect(hello.requestID == 11)
        #expect(machine.helloWait == nil)
        #expect(machine.commandCompleted(helloReply()) == write(11, helloReply()))
        // ...then the ping runs, and the stale wake-up of the old wait does nothing.
        guard case let .run(next) = machine.replyWritten(requestID: 12) else { Issue.record("the ping did not run"); return }
        #expect(next.requestID == 20)
        #expect(machine.helloWaitEnded(second.id) == .wait)
    }

    @Test func aRequestPipelinedBehindAWaitingHelloEndsItsWait() {
        var machine = ConnectionStateMachine()
        guard wait(machine.received(awaitableHello(1))) != nil else { Issue.record("no wait"); return }
        let ping = PendingCommand(request: CommandRequest(database: "admin", body: ["ping": .int32(1), "$db": "admin"]),
                                  requestID: 2, replyKind: .msg(checksum: false))
        guard case let .run(hello) = machine.received(.command(ping)) else { Issue.record("the hello kept waiting"); return }
        #expect(hello.requestID == 1)
        #expect(machine.commandCompleted(helloReply()) == write(1, helloReply()))
        guard case let .run(next) = machine.replyWritten(requestID: 3) else { Issue.record("the ping did not run"); return }
        #expect(next.requestID == 2)
    }

    @Test func shutdownAnswersAWaitingStreamAtOnceThenCloses() {
        var machine = ConnectionStateMachine()
        guard let first = wait(machine.received(awaitableHello(10, exhaust: true))) else { Issue.record("no wait"); return }
        _ = machine.helloWaitEnded(first.id)
        _ = machine.commandCompleted(helloReply())
        guard wait(machine.replyWritten(requestID: 11)) != nil else { Issue.record("the stream stopped"); return }
        guard case let .run(hello) = machine.quiesce() else { Issue.record("the hello kept waiting"); return }
        #expect(hello.requestID == 11)
        // The hello answers ShutdownInProgress with the new topology version: the last reply.
        let error: BSONDocument = ["ok": .double(0), "code": .int32(91), "topologyVersion": .document(version(1).document)]
        #expect(machine.commandCompleted(error) == write(11, error))
        #expect(machine.replyWritten(requestID: 12) == .close)
    }

    @Test func aStreamThatWasPromisedAReplyAnswersAtOnceWhenShutdownCameFirst() {
        var machine = ConnectionStateMachine()
        guard let first = wait(machine.received(awaitableHello(10, exhaust: true))) else { Issue.record("no wait"); return }
        _ = machine.helloWaitEnded(first.id)
        // The reply went out flagged moreToCome; shutdown begins before it is written.
        #expect(machine.commandCompleted(helloReply()) == write(10, helloReply(), moreToCome: true))
        #expect(machine.quiesce() == .wait)
        guard case let .run(hello) = machine.replyWritten(requestID: 11) else { Issue.record("no final reply"); return }
        #expect(hello.requestID == 11)
        #expect(machine.commandCompleted(["ok": .double(0), "code": .int32(91)]) == write(11, ["ok": .double(0), "code": .int32(91)]))
        #expect(machine.replyWritten(requestID: 12) == .close)
    }

    @Test func theClientClosingEndsTheWait() {
        var machine = ConnectionStateMachine()
        guard let first = wait(machine.received(awaitableHello(1, exhaust: true))) else { Issue.record("no wait"); return }
        #expect(machine.channelClosed() == .release)
        #expect(machine.helloWait == nil)
        #expect(machine.helloWaitEnded(first.id) == .wait)
    }

    @Test func legacyIsMasterWaitsButNeverStreams() {
        var machine = ConnectionStateMachine()
        let body: BSONDocument = ["isMaster": .int32(1), "topologyVersion": .document(version(0).document),
                                  "maxAwaitTimeMS": .int32(100)]
        let legacy = PendingCommand(request: CommandRequest(database: "admin", body: body, isLegacy: true),
                                    requestID: 5, replyKind: .legacy, exhaustAllowed: true)
        guard let first = wait(machine.received(.command(legacy))) else { Issue.record("no wait"); return }
        _ = machine.helloWaitEnded(first.id)
        #expect(machine.commandCompleted(helloReply()) == .write(
            OutboundReply(responseTo: 5, message: .reply(OpReply(documents: [helloReply()])), compressor: nil), compressor: nil))
        #expect(machine.replyWritten(requestID: 6) == .wait)
    }
}
