// Routing frames to work without a socket: OP_MSG with sequences and `$db`, moreToCome,
// legacy OP_QUERY on `$cmd` and elsewhere, and error replies shaped as MongoDB's.

import BSON
import Commands
import NIOCore
import Testing
import Wire
@testable import Server

@Suite struct ConnectionWorkTests {
    func frame(_ message: WireMessage, requestID: Int32 = 5, compressor: Compressor? = nil, mutate: (inout [UInt8]) -> Void = { _ in }) throws -> InboundFrame {
        var buffer = ByteBuffer()
        try message.encode(requestID: requestID, responseTo: 0, compressor: compressor, into: &buffer)
        var bytes = Array(buffer.readableBytesView)
        mutate(&bytes)
        var all = ByteBuffer(bytes: bytes)
        let header = try #require(MessageHeader.decode(from: &all))
        return .message(header, all)
    }

    @Test func opMsgBecomesACommandWithSequencesMergedAndItsDatabase() throws {
        let message = OpMsg(sections: [
            .body(["insert": "c", "$db": "shop"]),
            .documentSequence(identifier: "documents", documents: [["a": .int32(1)]]),
        ])
        guard case let .command(command) = ConnectionWork.route(try frame(.msg(message), compressor: .zlib)) else {
            Issue.record("not a command"); return
        }
        #expect(command.request.database == "shop")
        #expect(command.request.body == ["insert": "c", "$db": "shop", "documents": [["a": .int32(1)]]])
        #expect(command.request.isUnacknowledged == false && command.request.isLegacy == false)
        #expect(command.requestID == 5)
        #expect(command.compressor == .zlib)
        #expect(command.replyKind == .msg(checksum: false))
    }

    @Test func moreToComeMakesTheRequestUnacknowledged() throws {
        let message = OpMsg(flags: [.moreToCome, .checksumPresent], body: ["insert": "c", "$db": "shop"])
        guard case let .command(command) = ConnectionWork.route(try frame(.msg(message))) else {
            Issue.record("not a command"); return
        }
        #expect(command.request.isUnacknowledged)
        #expect(command.replyKind == .msg(checksum: true))
    }

    @Test func missingDatabaseIsError40571() throws {
        guard case let .reply(reply) = ConnectionWork.route(try frame(.msg(OpMsg(body: ["ping": .int32(1)])))) else {
            Issue.record("no error reply"); return
        }
        #expect(reply.responseTo == 5)
        guard case let .msg(message) = reply.message else { Issue.record("not OP_MSG"); return }
        #expect(message.body?["code"] == .int32(40571))
        #expect(message.body?["ok"] == .double(0))
        #expect(message.body?["errmsg"] == "OP_MSG requests require a $db argument")
    }

    @Test func failedUnacknowledgedRequestIsDroppedNotAnswered() throws {
        let message = OpMsg(flags: [.moreToCome, .checksumPresent], body: ["insert": "c", "$db": "shop"])
        let work = ConnectionWork.route(try frame(.msg(message)) { $0[$0.count - 1] ^= 0xFF })
        guard case let .drop(error) = work else { Issue.record("answered a moreToCome request"); return }
        guard case .checksumMismatch = error else { Issue.record("wrong error \(error)"); return }
    }

    @Test func legacyCommandQueryBecomesALegacyCommand() throws {
        let query = OpQuery(fullCollectionName: "admin.$cmd", query: ["$query": ["isMaster": .int32(1)], "$readPreference": ["mode": "primary"]])
        guard case let .command(command) = ConnectionWork.route(try frame(.query(query))) else {
            Issue.record("not a command"); return
        }
        #expect(command.request.isLegacy)
        #expect(command.request.database == "admin")
        #expect(command.request.body == ["isMaster": .int32(1)])
        #expect(command.replyKind == .legacy)
        #expect(command.reply(["ok": .double(1)]) == .reply(OpReply(documents: [["ok": .double(1)]])))
    }

    @Test func legacyFindIsRefusedLikeMongod() throws {
        let query = OpQuery(fullCollectionName: "test.users", query: [:])
        guard case let .reply(reply) = ConnectionWork.route(try frame(.query(query))) else {
            Issue.record("no reply"); return
        }
        guard case let .reply(opReply) = reply.message else { Issue.record("not OP_REPLY"); return }
        #expect(opReply.responseFlags == .queryFailure)
        #expect(opReply.documents.first?["code"] == .int32(5_739_101))
        #expect(opReply.documents.first?["ok"] == .double(0))
    }

    @Test func decodeErrorsOnOpQueryAreAnsweredWithOpReply() throws {
        let query = OpQuery(fullCollectionName: "admin.$cmd", query: ["isMaster": .int32(1)])
        let work = ConnectionWork.route(try frame(.query(query)) { $0.append(contentsOf: [1, 2, 3]) ; $0[0] &+= 3 })
        guard case let .reply(reply) = work, case let .reply(opReply) = reply.message else {
            Issue.record("no OP_REPLY"); return
        }
        #expect(opReply.documents.first?["code"] == .int32(17))
        #expect(opReply.documents.first?["codeName"] == "ProtocolError")
    }

    @Test func skippedOversizedFrameIsAnsweredAndUnframeableCloses() {
        let header = MessageHeader(messageLength: 50_000_000, requestID: 8, responseTo: 0, opCode: .msg)
        guard case let .reply(reply) = ConnectionWork.route(.rejected(header, .messageTooLarge(length: 50_000_000))),
              case let .msg(message) = reply.message else { Issue.record("no reply"); return }
        #expect(reply.responseTo == 8)
        #expect(message.body?["code"] == .int32(17))
        guard case .replyAndClose(nil, _) = ConnectionWork.route(.unframeable(nil, .truncatedHeader(available: 3))) else {
            Issue.record("did not close"); return
        }
    }
}
