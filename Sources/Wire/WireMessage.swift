// WireMessage: the messages Tessera sends and receives, with whole-message encode/decode —
// header, OP_MSG's CRC-32C trailer, and OP_COMPRESSED unwrapped and applied transparently.

import BSON
public import NIOCore

/// A decoded wire message.
public enum WireMessage: Sendable, Equatable {
    /// OP_MSG.
    case msg(OpMsg)
    /// Legacy OP_QUERY.
    case query(OpQuery)
    /// Legacy OP_REPLY.
    case reply(OpReply)

    /// The message's opcode.
    public var opCode: OpCode {
        switch self {
        case .msg: .msg
        case .query: .query
        case .reply: .reply
        }
    }

    /// Writes the whole message: header, body, and for an OP_MSG with `checksumPresent` the
    /// CRC-32C trailer. With a `compressor` the message goes out as OP_COMPRESSED.
    public func encode(
        requestID: Int32, responseTo: Int32, compressor: Compressor? = nil, into buffer: inout ByteBuffer
    ) throws(WireError) {
        var checksum = false
        if case let .msg(message) = self { checksum = message.flags.contains(.checksumPresent) }
        try Self.frame(opCode: opCode, checksum: checksum, requestID: requestID, responseTo: responseTo,
                       compressor: compressor, into: &buffer) { (buffer) throws(WireError) in
            switch self {
            case let .msg(message): try message.encode(into: &buffer)
            case let .query(query): try query.encode(into: &buffer)
            case let .reply(reply): try reply.encode(into: &buffer)
            }
        }
    }

    /// Writes an OP_MSG reply whose only section is a body document already encoded as BSON
    /// (`body`, a complete document): the header, `flags`, the section and, with
    /// `checksumPresent`, the CRC-32C trailer; OP_COMPRESSED with a `compressor`. The body's
    /// bytes are copied once, into `buffer`.
    public static func encodeMsg(
        flags: OpMsg.Flags, body: [UInt8], requestID: Int32, responseTo: Int32, compressor: Compressor? = nil,
        into buffer: inout ByteBuffer
    ) throws(WireError) {
        try frame(opCode: .msg, checksum: flags.contains(.checksumPresent), requestID: requestID, responseTo: responseTo,
                  compressor: compressor, into: &buffer) { (buffer) throws(WireError) in
            buffer.writeInteger(flags.rawValue, endianness: .little)
            buffer.writeInteger(UInt8(0))
            buffer.writeBytes(body)
        }
    }

    /// Writes a whole message around the body `writeBody` writes (everything after the
    /// header): the header, then for an OP_MSG with `checksum` the CRC-32C trailer; with a
    /// `compressor` the message goes out as OP_COMPRESSED.
    private static func frame(
        opCode: OpCode, checksum: Bool, requestID: Int32, responseTo: Int32, compressor: Compressor?,
        into buffer: inout ByteBuffer, _ writeBody: (inout ByteBuffer) throws(WireError) -> Void
    ) throws(WireError) {
        if let compressor {
            var plain = ByteBuffer()
            try frame(opCode: opCode, checksum: checksum, requestID: requestID, responseTo: responseTo, compressor: nil,
                      into: &plain, writeBody)
            plain.moveReaderIndex(forwardBy: MessageHeader.size)
            let wrapped = try OpCompressed(compressing: plain, originalOpCode: opCode, with: compressor)
            let start = buffer.writerIndex
            MessageHeader(messageLength: 0, requestID: requestID, responseTo: responseTo, opCode: .compressed)
                .encode(into: &buffer)
            wrapped.encode(into: &buffer)
            buffer.setInteger(Int32(buffer.writerIndex - start), at: start, endianness: .little)
            return
        }
        let start = buffer.writerIndex
        MessageHeader(messageLength: 0, requestID: requestID, responseTo: responseTo, opCode: opCode).encode(into: &buffer)
        try writeBody(&buffer)
        if opCode == .msg, checksum {
            buffer.setInteger(Int32(buffer.writerIndex + 4 - start), at: start, endianness: .little)
            let crc = buffer.withUnsafeReadableBytes { raw in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(start - buffer.readerIndex)...]))
            }
            buffer.writeInteger(crc, endianness: .little)
        }
        buffer.setInteger(Int32(buffer.writerIndex - start), at: start, endianness: .little)
    }

    /// Decodes the body of a message whose `header` has been read; `body` holds exactly the
    /// bytes after the header. OP_COMPRESSED is unwrapped; the result names its compressor.
    public static func decode(header: MessageHeader, body: ByteBuffer) throws(WireError) -> InboundMessage {
        guard header.opCode == .compressed else {
            return InboundMessage(header: header, message: try decodeUncompressed(header: header, body: body), compressor: nil)
        }
        var body = body
        let compressed = try OpCompressed.decode(from: &body)
        let inner = MessageHeader(
            messageLength: Int32(MessageHeader.size) + compressed.uncompressedSize,
            requestID: header.requestID, responseTo: header.responseTo, opCode: compressed.originalOpCode)
        let message = try decodeUncompressed(header: inner, body: try compressed.decompressedBody())
        return InboundMessage(header: header, message: message, compressor: compressed.compressor)
    }

    /// Reads one whole message (header and body) from `buffer` when all its bytes are there;
    /// nil (consuming nothing) when more bytes are needed.
    public static func decode(from buffer: inout ByteBuffer) throws(WireError) -> InboundMessage? {
        guard let header = MessageHeader.peek(in: buffer) else { return nil }
        switch header.framing {
        case .message: break
        case let .discard(error), let .unframeable(error): throw error
        }
        guard buffer.readableBytes >= Int(header.messageLength) else { return nil }
        buffer.moveReaderIndex(forwardBy: MessageHeader.size)
        guard let body = buffer.readSlice(length: header.bodyLength) else { return nil }
        return try decode(header: header, body: body)
    }

    private static func decodeUncompressed(header: MessageHeader, body: ByteBuffer) throws(WireError) -> WireMessage {
        var body = body
        switch header.opCode {
        case .msg:
            guard let bits = body.getInteger(at: body.readerIndex, endianness: .little, as: UInt32.self) else {
                throw .truncated(field: "OP_MSG flagBits")
            }
            let flags = OpMsg.Flags(rawValue: bits)
            try OpMsg.checkFlags(flags)
            if flags.contains(.checksumPresent) {
                try verifyChecksum(header: header, body: &body)
            }
            return .msg(try OpMsg.decode(from: &body))
        case .query:
            return .query(try OpQuery.decode(from: &body))
        case .reply:
            return .reply(try OpReply.decode(from: &body))
        default:
            throw .unsupportedOpCode(header.opCodeValue)
        }
    }

    /// Checks OP_MSG's trailer against the CRC-32C of the header and the body before it, and
    /// drops the trailer from `body`.
    private static func verifyChecksum(header: MessageHeader, body: inout ByteBuffer) throws(WireError) {
        guard body.readableBytes >= 8 else { throw .truncated(field: "OP_MSG checksum") }
        let covered = body.readableBytes - 4
        guard let stated = body.getInteger(at: body.readerIndex + covered, endianness: .little, as: UInt32.self) else {
            throw .truncated(field: "OP_MSG checksum")
        }
        var headerBytes = ByteBuffer()
        header.encode(into: &headerBytes)
        var state = headerBytes.withUnsafeReadableBytes { CRC32C.update(CRC32C.start, with: $0) }
        state = body.withUnsafeReadableBytes { CRC32C.update(state, with: UnsafeRawBufferPointer(rebasing: $0[0..<covered])) }
        let actual = CRC32C.finish(state)
        guard actual == stated else { throw .checksumMismatch(expected: stated, actual: actual) }
        body = body.getSlice(at: body.readerIndex, length: covered) ?? body
    }
}

/// A received message with its outer header and, when it came as OP_COMPRESSED, the
/// compressor it used (a reply may use the same one).
public struct InboundMessage: Sendable, Equatable {
    /// The header as received (opcode 2012 when compressed).
    public var header: MessageHeader
    /// The message, decompressed.
    public var message: WireMessage
    /// The compressor of an OP_COMPRESSED message; nil when it came uncompressed.
    public var compressor: Compressor?

    /// An inbound message from its parts.
    public init(header: MessageHeader, message: WireMessage, compressor: Compressor?) {
        self.header = header
        self.message = message
        self.compressor = compressor
    }
}
