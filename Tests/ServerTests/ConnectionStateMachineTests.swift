// The connection state machine without a socket: in-order replies for pipelined requests,
// unacknowledged requests, compressor negotiation, lost framing, shutdown and client close.

import BSON
import Commands
import Testing
import Wire
@testable import Server

@Suite struct ConnectionStateMachineTests {
    func command(_ id: Int32, _ body: BSONDocument = ["ping": .int32(1), "$db": "admin"],
                 unacknowledged: Bool = false, compressor: Compressor? = nil) -> ConnectionWork {
        .command(PendingCommand(
            request: CommandRequest(database: "admin", body: body, isUnacknowledged: unacknowledged),
            requestID: id, replyKind: .msg(checksum: false), compressor: compressor))
    }

    func reply(_ id: Int32, _ body: BSONDocument, compressor: Compressor? = nil) -> ConnectionStateMachine.Action {
        .write(OutboundReply(responseTo: id, message: .msg(OpMsg(body: body)), compressor: compressor), compressor: compressor)
    }

    let ok: BSONDocument = ["ok": .double(1)]

    @Test func pipelinedRequestsRunOneAtATimeInOrder() {
        var machine = ConnectionStateMachine()
        #expect(machine.received(command(1)) == .run(PendingCommand(
            request: CommandRequest(database: "admin", body: [:]), requestID: 1, replyKind: .legacy)))
        #expect(machine.received(command(2)) == .wait)
        let error = ConnectionWork.errorReply(.missingBody, to: MessageHeader(messageLength: 21, requestID: 3, responseTo: 0, opCode: .msg))
        #expect(machine.received(.reply(error)) == .wait)
        #expect(machine.received(command(4)) == .wait)
        #expect(machine.commandCompleted(ok) == reply(1, ok))
        guard case let .run(second) = machine.next() else { Issue.record("second request did not start"); return }
        #expect(second.requestID == 2)
        #expect(machine.commandCompleted(ok) == reply(2, ok))
        #expect(machine.next() == .write(error, compressor: nil))
        guard case let .run(fourth) = machine.next() else { Issue.record("fourth request did not start"); return }
        #expect(fourth.requestID == 4)
        #expect(machine.commandCompleted(ok) == reply(4, ok))
        #expect(machine.next() == .wait)
    }

    @Test func anExhaustGetMoreStreamsUntilTheCursorIsExhausted() {
        var machine = ConnectionStateMachine()
        let getMore: BSONDocument = ["getMore": .int64(7), "collection": "c", "$db": "db"]
        _ = machine.received(.command(PendingCommand(
            request: CommandRequest(database: "db", body: getMore), requestID: 10,
            replyKind: .msg(checksum: false), exhaustAllowed: true)))
        // Commands finds something to return (no feed wait): the getMore runs.
        guard case .run = machine.feedChecked(nil) else { Issue.record("the getMore did not run"); return }
        let open: BSONDocument = ["cursor": ["id": .int64(7), "ns": "db.c", "nextBatch": [1]], "ok": .double(1)]
        let done: BSONDocument = ["cursor": ["id": .int64(0), "ns": "db.c", "nextBatch": [2]], "ok": .double(1)]
        // The first batch answers the client's request, flagged moreToCome.
        #expect(machine.commandCompleted(open) == .write(OutboundReply(
            responseTo: 10, message: .msg(OpMsg(flags: .moreToCome, body: open)), compressor: nil), compressor: nil))
        // The server runs the getMore again on its own; that batch answers the reply it sent (id 55).
        guard case let .checkFeed(checked) = machine.replyWritten(requestID: 55), checked.requestID == 55,
              case let .run(again) = machine.feedChecked(nil) else {
            Issue.record("the exhaust stream did not continue"); return
        }
        #expect(again.requestID == 55)
        // The last batch (cursor id 0) ends the stream: no moreToCome, nothing runs after it.
        #expect(machine.commandCompleted(done) == reply(55, done))
        #expect(machine.replyWritten(requestID: 56) == .wait)
    }

    @Test func withoutExhaustAllowedAGetMoreGetsOneReply() {
        var machine = ConnectionStateMachine()
        let getMore: BSONDocument = ["getMore": .int64(7), "collection": "c", "$db": "db"]
        _ = machine.received(.command(PendingCommand(
            request: CommandRequest(database: "db", body: getMore), requestID: 10, replyKind: .msg(checksum: false))))
        _ = machine.feedChecked(nil)
        let open: BSONDocument = ["cursor": ["id": .int64(7), "ns": "db.c", "nextBatch": [1]], "ok": .double(1)]
        #expect(machine.commandCompleted(open) == reply(10, open))
        #expect(machine.replyWritten(requestID: 11) == .wait)
    }

    @Test func unacknowledgedRequestsGetNoReply() {
        var machine = ConnectionStateMachine()
        _ = machine.received(command(1, unacknowledged: true))
        #expect(machine.received(command(2)) == .wait)
        guard case let .run(next) = machine.commandCompleted(["ok": .double(0), "code": .int32(2)]) else {
            Issue.record("no next command"); return
        }
        #expect(next.requestID == 2)
        #expect(machine.received(.drop(.illegalFlags(4))) == .wait)
        #expect(machine.commandCompleted(ok) == reply(2, ok))
        #expect(machine.next() == .wait)
    }

    @Test func repliesUseTheRequestCompressorOnlyOnceNegotiated() {
        var machine = ConnectionStateMachine()
        _ = machine.received(command(1, compressor: .zstd))
        #expect(machine.commandCompleted(ok) == .write(
            OutboundReply(responseTo: 1, message: .msg(OpMsg(body: ok)), compressor: .zstd), compressor: nil))
        _ = machine.next()
        _ = machine.received(command(2, ["hello": .int32(1), "$db": "admin"]))
        let hello: BSONDocument = ["isWritablePrimary": true, "compression": ["zstd", "zlib"], "ok": .double(1)]
        _ = machine.commandCompleted(hello)
        #expect(machine.negotiatedCompressors == [.zstd, .zlib])
        _ = machine.next()
        _ = machine.received(command(3, compressor: .zstd))
        #expect(machine.commandCompleted(ok) == reply(3, ok, compressor: .zstd))
        _ = machine.next()
        _ = machine.received(command(4, compressor: .snappy))
        #expect(machine.commandCompleted(ok) == .write(
            OutboundReply(responseTo: 4, message: .msg(OpMsg(body: ok)), compressor: .snappy), compressor: nil))
    }

    @Test func aNonHandshakeReplyDoesNotNegotiate() {
        var machine = ConnectionStateMachine()
        _ = machine.received(command(1, ["find": "c", "$db": "test"]))
        _ = machine.commandCompleted(["compression": ["zstd"], "ok": .double(1)])
        #expect(machine.negotiatedCompressors.isEmpty)
    }

    @Test func lostFramingRepliesAfterEarlierRequestsThenCloses() {
        var machine = ConnectionStateMachine()
        _ = machine.received(command(1))
        let error = ConnectionWork.errorReply(.messageLengthTooSmall(4),
                                              to: MessageHeader(messageLength: 4, requestID: 2, responseTo: 0, opCode: .msg))
        #expect(machine.received(.replyAndClose(error, .messageLengthTooSmall(4))) == .wait)
        #expect(machine.commandCompleted(ok) == reply(1, ok))
        #expect(machine.next() == .write(error, compressor: nil))
        #expect(machine.next() == .close)
        #expect(machine.received(command(3)) == .wait)
        #expect(machine.channelClosed() == .release)
        #expect(machine.channelClosed() == .wait)
    }

    @Test func quiesceFinishesReceivedRequestsThenCloses() {
        var machine = ConnectionStateMachine()
        #expect(machine.quiesce() == .close)
        var busy = ConnectionStateMachine()
        _ = busy.received(command(1))
        _ = busy.received(command(2))
        #expect(busy.quiesce() == .wait)
        #expect(busy.commandCompleted(ok) == reply(1, ok))
        guard case .run = busy.next() else { Issue.record("queued request dropped"); return }
        #expect(busy.commandCompleted(ok) == reply(2, ok))
        #expect(busy.next() == .close)
    }

    @Test func clientCloseWhileRunningReleasesAfterTheCommand() {
        var machine = ConnectionStateMachine()
        _ = machine.received(command(1))
        _ = machine.received(command(2))
        #expect(machine.channelClosed() == .wait)
        #expect(machine.commandCompleted(ok) == .release)
        #expect(machine.next() == .wait)
        #expect(machine.lifecycle == .closed)
    }

    @Test func aFullQueueStopsInputUntilItDrains() {
        var machine = ConnectionStateMachine()
        #expect(machine.acceptsInput)
        guard case .run = machine.received(command(1, unacknowledged: true)) else {
            Issue.record("first request did not start"); return
        }
        for id in 2...Int32(ConnectionStateMachine.maximumQueued) {
            #expect(machine.received(command(id, unacknowledged: true)) == .wait)
            #expect(machine.acceptsInput)
        }
        // One more waiting request fills the queue: the handler stops reading the socket.
        #expect(machine.received(command(99, unacknowledged: true)) == .wait)
        #expect(!machine.acceptsInput)
        // Finishing the running (unacknowledged) command starts the next and frees a place.
        guard case .run = machine.commandCompleted(ok) else { Issue.record("queue did not advance"); return }
        #expect(machine.acceptsInput)
    }
}

/// Point finds answered with their reply already encoded.
@Suite struct EncodedReplyStateMachineTests {
    func find(_ id: Int32, checksum: Bool = false, unacknowledged: Bool = false,
              compressor: Compressor? = nil) -> ConnectionWork {
        .command(PendingCommand(
            request: CommandRequest(database: "db", body: ["find": "c", "filter": ["_id": 1], "$db": "db"],
                                    isUnacknowledged: unacknowledged),
            requestID: id, replyKind: .msg(checksum: checksum), compressor: compressor))
    }

    let body: [UInt8] = [5, 0, 0, 0, 0]

    @Test func anEncodedReplyIsWrittenInOrderWithTheRequestsChecksumFlag() {
        var machine = ConnectionStateMachine()
        _ = machine.received(find(1, checksum: true))
        #expect(machine.received(find(2)) == .wait)
        #expect(machine.commandCompleted(encoded: body)
            == .writeEncoded(EncodedReply(responseTo: 1, flags: .checksumPresent, body: body), compressor: nil))
        guard case let .run(second) = machine.replyWritten(requestID: 100) else {
            Issue.record("the second request did not start"); return
        }
        #expect(second.requestID == 2)
        #expect(machine.commandCompleted(encoded: body)
            == .writeEncoded(EncodedReply(responseTo: 2, flags: [], body: body), compressor: nil))
        #expect(machine.replyWritten(requestID: 101) == .wait)
    }

    @Test func unacknowledgedOrClosedGetsNoReply() {
        var machine = ConnectionStateMachine()
        _ = machine.received(find(1, unacknowledged: true))
        #expect(machine.commandCompleted(encoded: body) == .wait)
        _ = machine.received(find(2))
        #expect(machine.channelClosed() == .wait)
        #expect(machine.commandCompleted(encoded: body) == .release)
    }

    @Test func anEncodedReplyUsesOnlyANegotiatedCompressor() {
        var machine = ConnectionStateMachine()
        _ = machine.received(find(1, compressor: .zstd))
        #expect(machine.commandCompleted(encoded: body)
            == .writeEncoded(EncodedReply(responseTo: 1, flags: [], body: body), compressor: nil))
    }
}
