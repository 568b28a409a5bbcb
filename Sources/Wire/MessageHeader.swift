// The 16-byte header that starts every wire message: total length, request id, the id of the
// request being answered, and the opcode, all little-endian int32s.

public import NIOCore

/// The standard message header.
public struct MessageHeader: Sendable, Hashable {
    /// The header's size on the wire.
    public static let size = 16

    /// The whole message's length in bytes, header included.
    public var messageLength: Int32
    /// The sender's id for this message.
    public var requestID: Int32
    /// The `requestID` of the message this one answers (0 for requests).
    public var responseTo: Int32
    /// The opcode as sent; may name no known ``OpCode``.
    public var opCodeValue: Int32

    /// A header from its fields.
    public init(messageLength: Int32, requestID: Int32, responseTo: Int32, opCode: Int32) {
        self.messageLength = messageLength
        self.requestID = requestID
        self.responseTo = responseTo
        self.opCodeValue = opCode
    }

    /// A header for a known opcode.
    public init(messageLength: Int32, requestID: Int32, responseTo: Int32, opCode: OpCode) {
        self.init(messageLength: messageLength, requestID: requestID, responseTo: responseTo, opCode: opCode.rawValue)
    }

    /// The opcode, if it is one this module knows.
    public var opCode: OpCode? { OpCode(rawValue: opCodeValue) }

    /// The number of bytes after the header (negative when the length is malformed).
    public var bodyLength: Int { Int(messageLength) - MessageHeader.size }

    /// Writes the header's 16 bytes.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(messageLength, endianness: .little)
        buffer.writeInteger(requestID, endianness: .little)
        buffer.writeInteger(responseTo, endianness: .little)
        buffer.writeInteger(opCodeValue, endianness: .little)
    }

    /// Reads a header, or returns nil (consuming nothing) when fewer than 16 bytes are readable.
    public static func decode(from buffer: inout ByteBuffer) -> MessageHeader? {
        guard let header = peek(in: buffer) else { return nil }
        buffer.moveReaderIndex(forwardBy: size)
        return header
    }

    /// Reads a header without consuming it, or nil when fewer than 16 bytes are readable.
    public static func peek(in buffer: ByteBuffer) -> MessageHeader? {
        let at = buffer.readerIndex
        guard
            let length = buffer.getInteger(at: at, endianness: .little, as: Int32.self),
            let requestID = buffer.getInteger(at: at + 4, endianness: .little, as: Int32.self),
            let responseTo = buffer.getInteger(at: at + 8, endianness: .little, as: Int32.self),
            let opCode = buffer.getInteger(at: at + 12, endianness: .little, as: Int32.self)
        else { return nil }
        return MessageHeader(messageLength: length, requestID: requestID, responseTo: responseTo, opCode: opCode)
    }

    /// How a stream reader should treat a message announcing this header.
    public var framing: Framing {
        let length = Int(messageLength)
        if length < MessageHeader.size { return .unframeable(.messageLengthTooSmall(messageLength)) }
        if length <= maximumMessageSize { return .message }
        if length <= maximumDiscardableMessageSize, opCode != nil {
            return .discard(.messageTooLarge(length: length))
        }
        return .unframeable(.messageLengthInvalid(messageLength))
    }

    /// What a stream reader does with a header.
    public enum Framing: Sendable, Equatable {
        /// Read `messageLength` bytes and decode them.
        case message
        /// Skip `messageLength` bytes without buffering them, then answer with the error.
        case discard(WireError)
        /// The length cannot be trusted: the stream is out of step; answer if possible and close.
        case unframeable(WireError)
    }
}
