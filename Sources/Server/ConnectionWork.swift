// Turns each inbound frame into the work a connection does for it, in arrival order: run a
// command (OP_MSG, or legacy OP_QUERY on `db.$cmd`), send an immediate error reply, or close.
// Pure: no channel, no dispatcher, so every routing rule is testable without a socket.

import BSON
import Commands
import NIOCore
import Wire

/// How the reply to a request is framed.
enum ReplyKind: Sendable, Equatable {
    /// OP_MSG, with a CRC-32C trailer when the request carried one.
    case msg(checksum: Bool)
    /// OP_REPLY with one document, for OP_QUERY.
    case legacy
}

/// A command waiting to run.
struct PendingCommand: Sendable {
    /// What Commands runs.
    var request: CommandRequest
    /// The request's id; the reply's `responseTo`.
    var requestID: Int32
    /// How the reply is framed.
    var replyKind: ReplyKind
    /// The compressor the request came with; the reply uses it if the connection negotiated it.
    var compressor: Compressor?
    /// The client set `exhaustAllowed`: a `getMore` may be answered by a stream of replies.
    var exhaustAllowed = false

    /// The command's name (the body's first key).
    var name: String { request.body.keys.first ?? "" }

    /// True for `getMore`, which may read a feed cursor and wait (see ``ConnectionStateMachine/FeedState``).
    var isGetMore: Bool { name == "getMore" }

    /// True for the handshake commands whose reply carries the negotiated `compression`.
    var isHandshake: Bool {
        let lowered = name.lowercased()
        return lowered == "hello" || lowered == "ismaster"
    }

    /// The reply message for `document`; `moreToCome` marks one reply of an exhaust stream.
    func reply(_ document: BSONDocument, moreToCome: Bool = false) -> WireMessage {
        switch replyKind {
        case let .msg(checksum):
            var flags: OpMsg.Flags = checksum ? .checksumPresent : []
            if moreToCome { flags.insert(.moreToCome) }
            return .msg(OpMsg(flags: flags, body: document))
        case .legacy:
            return .reply(OpReply(documents: [document]))
        }
    }

    /// The `topologyVersion` and `maxAwaitTimeMS` of a valid awaitable hello: the connection
    /// holds it until the topology changes or the time is up. A malformed one is nil here and
    /// runs at once, so the hello command answers it with its error.
    var awaitableHello: AwaitableHello? {
        guard isHandshake else { return nil }
        return (try? AwaitableHello(command: request.body)) ?? nil
    }

    /// The next request of an exhaust hello stream after `reply`, or nil when the stream ends:
    /// an OP_MSG awaitable hello whose client allows exhaust, answered successfully. The next
    /// reply waits on the topology version this one reported, as mongod's exhaust hello does.
    func helloStreamContinuation(after reply: BSONDocument) -> PendingCommand? {
        guard exhaustAllowed, case .msg = replyKind, !request.isUnacknowledged, awaitableHello != nil,
              reply["ok"]?.doubleValue == 1, case let .document(version)? = reply["topologyVersion"]
        else { return nil }
        var next = self
        next.request.body["topologyVersion"] = .document(version)
        return next
    }

    /// Whether `reply` continues as an exhaust stream: an OP_MSG `getMore` whose client
    /// allows exhaust, answered successfully with a cursor that is still open.
    func continuesExhaust(after reply: BSONDocument) -> Bool {
        guard exhaustAllowed, name == "getMore", case .msg = replyKind, !request.isUnacknowledged,
              reply["ok"]?.doubleValue == 1, case let .document(cursor)? = reply["cursor"],
              let id = cursor["id"]?.int64Value
        else { return false }
        return id != 0
    }
}

/// A reply ready to encode.
struct OutboundReply: Sendable, Equatable {
    /// The `requestID` being answered.
    var responseTo: Int32
    /// The message.
    var message: WireMessage
    /// The compressor the request used, if any (applied only when negotiated).
    var compressor: Compressor?
}

/// An OP_MSG reply whose body document is already BSON bytes (the point-find lane's).
struct EncodedReply: Sendable, Equatable {
    /// The `requestID` being answered.
    var responseTo: Int32
    /// The OP_MSG flags (`checksumPresent` when the request carried a checksum).
    var flags: OpMsg.Flags
    /// The reply document's BSON.
    var body: [UInt8]
}

/// What the connection does for one frame.
enum ConnectionWork: Sendable {
    /// Run a command on the thread pool and reply (unless unacknowledged).
    case command(PendingCommand)
    /// Send a reply without running anything (a framing or decoding error).
    case reply(OutboundReply)
    /// A request that failed but wants no reply (`moreToCome`); only logged.
    case drop(WireError)
    /// The stream is out of step: send the reply if there is one, then close.
    case replyAndClose(OutboundReply?, WireError)

    /// The error text for OP_QUERY outside `db.$cmd`, as mongod 5.1+ answers it.
    static let legacyQueryRemoved =
        "OP_QUERY is no longer supported. The client driver may require an upgrade. "
        + "For more details see https://dochub.mongodb.org/core/legacy-opcode-removal"

    /// The work for `frame`.
    static func route(_ frame: InboundFrame) -> ConnectionWork {
        switch frame {
        case let .message(header, body):
            do {
                return try route(WireMessage.decode(header: header, body: body))
            } catch {
                return failed(error, header: header, body: body)
            }
        case let .rejected(header, error):
            return failed(error, header: header, body: nil)
        case let .unframeable(header, error):
            return .replyAndClose(header.map { errorReply(error, to: $0) }, error)
        }
    }

    /// The work for a decoded message.
    static func route(_ inbound: InboundMessage) throws(WireError) -> ConnectionWork {
        let requestID = inbound.header.requestID
        switch inbound.message {
        case let .msg(message):
            let body = try message.commandBody()
            guard case let .string(database) = body["$db"] else { throw .missingDatabase }
            let request = CommandRequest(
                database: database, body: body, isUnacknowledged: message.flags.contains(.moreToCome))
            return .command(PendingCommand(
                request: request, requestID: requestID,
                replyKind: .msg(checksum: message.flags.contains(.checksumPresent)), compressor: inbound.compressor,
                exhaustAllowed: message.flags.contains(.exhaustAllowed)))
        case let .query(query):
            guard let database = query.commandDatabase else {
                let document: BSONDocument = [
                    "$err": .string(legacyQueryRemoved), "code": .int32(5_739_101), "ok": .double(0),
                ]
                let reply = OpReply(responseFlags: .queryFailure, documents: [document])
                return .reply(OutboundReply(responseTo: requestID, message: .reply(reply), compressor: inbound.compressor))
            }
            let request = CommandRequest(database: database, body: unwrapLegacyCommand(query.query), isLegacy: true)
            return .command(PendingCommand(
                request: request, requestID: requestID, replyKind: .legacy, compressor: inbound.compressor))
        case .reply:
            throw .unsupportedOpCode(OpCode.reply.rawValue)
        }
    }

    /// A legacy command may come wrapped as `{$query: {cmd}, $readPreference: ...}`.
    static func unwrapLegacyCommand(_ document: BSONDocument) -> BSONDocument {
        guard let first = document.elements.first, first.key == "$query" || first.key == "query",
              case let .document(inner) = first.value
        else { return document }
        return inner
    }

    /// MongoDB's error reply document for a wire error.
    static func errorDocument(_ error: WireError) -> BSONDocument {
        [
            "ok": .double(0), "errmsg": .string(error.description), "code": .int32(error.code),
            "codeName": .string(error.codeName),
        ]
    }

    /// The error reply to the message with `header`: OP_REPLY for OP_QUERY, else OP_MSG.
    static func errorReply(_ error: WireError, to header: MessageHeader) -> OutboundReply {
        let document = errorDocument(error)
        let message: WireMessage = header.opCode == .query
            ? .reply(OpReply(documents: [document])) : .msg(OpMsg(body: document))
        return OutboundReply(responseTo: header.requestID, message: message, compressor: nil)
    }

    /// The work for a message that failed to decode but whose bytes were consumed.
    private static func failed(_ error: WireError, header: MessageHeader, body: ByteBuffer?) -> ConnectionWork {
        if header.opCode == .msg, let body,
           let bits = body.getInteger(at: body.readerIndex, endianness: .little, as: UInt32.self),
           OpMsg.Flags(rawValue: bits).contains(.moreToCome) {
            return .drop(error)
        }
        return .reply(errorReply(error, to: header))
    }
}
