// Why a wire message could not be framed or decoded, with MongoDB's code for each reason and
// whether the byte stream is still in step (the server answers and goes on) or not (the server
// answers if it can and closes the connection).

public import BSON

/// A framing or decoding failure of one wire message.
public enum WireError: Error, Sendable, Equatable {
    /// The header's length is below the 16-byte minimum: the stream is out of step.
    case messageLengthTooSmall(Int32)
    /// The header's length is far past any message a client sends (garbage on the socket).
    case messageLengthInvalid(Int32)
    /// A well-formed message longer than ``maximumMessageSize``; its bytes were skipped.
    case messageTooLarge(length: Int)
    /// The stream ended inside a header.
    case truncatedHeader(available: Int)
    /// The opcode is not one the server accepts.
    case unsupportedOpCode(Int32)
    /// The message body ended before the field `field` was complete.
    case truncated(field: String)
    /// Bytes left over after the last field of a message.
    case trailingBytes(count: Int)
    /// A document failed BSON validation.
    case invalidBSON(BSONError)
    /// A document is larger than the limit for its place in the message.
    case documentTooLarge(size: Int, limit: Int)
    /// OP_MSG sets flag bits (in the required low 16) that the server does not know.
    case illegalFlags(UInt32)
    /// The OP_MSG CRC-32C trailer does not match the message.
    case checksumMismatch(expected: UInt32, actual: UInt32)
    /// OP_MSG has no kind-0 section.
    case missingBody
    /// OP_MSG has more than one kind-0 section.
    case multipleBodies
    /// OP_MSG has a section kind other than 0 or 1.
    case unknownSectionKind(UInt8)
    /// A kind-1 section's length is impossible.
    case invalidSectionLength(Int32)
    /// Two kind-1 sections share an identifier.
    case duplicateDocumentSequence(String)
    /// A kind-1 identifier is also a field of the body.
    case duplicateField(String)
    /// OP_COMPRESSED names a compressor id the server does not know.
    case unknownCompressor(UInt8)
    /// OP_COMPRESSED wraps another OP_COMPRESSED (or an opcode that cannot be wrapped).
    case invalidCompressedOpCode(Int32)
    /// OP_COMPRESSED states an uncompressed size that is negative or over the message limit.
    case invalidUncompressedSize(Int32)
    /// Decompressing failed, or produced a size other than the one stated.
    case decompressionFailed(compressor: String, reason: String)
    /// Compressing a reply failed.
    case compressionFailed(compressor: String, reason: String)
    /// A cstring (collection name, section identifier) has no NUL or is not UTF-8.
    case invalidCString(field: String)
    /// The command body has no `$db` field naming its database.
    case missingDatabase

    /// True when the failing message's length was known and consumed, so the next message
    /// starts where the server expects; false when the connection must close.
    public var isStreamInSync: Bool {
        switch self {
        case .messageLengthTooSmall, .messageLengthInvalid, .truncatedHeader: false
        default: true
        }
    }

    /// MongoDB's numeric error code for the reply.
    public var code: Int32 {
        switch self {
        case .messageLengthTooSmall, .messageLengthInvalid, .messageTooLarge, .truncatedHeader,
             .unsupportedOpCode, .truncated, .trailingBytes, .invalidSectionLength,
             .unknownCompressor, .invalidCompressedOpCode, .invalidUncompressedSize,
             .decompressionFailed, .compressionFailed, .invalidCString:
            17  // ProtocolError
        case .invalidBSON: 22  // InvalidBSON
        case .documentTooLarge: 10334  // BSONObjectTooLarge
        case .illegalFlags: 223  // IllegalOpMsgFlag
        case .checksumMismatch: 288  // ChecksumMismatch
        case .multipleBodies: 40430
        case .duplicateDocumentSequence: 40431
        case .unknownSectionKind: 40432
        case .duplicateField: 40433
        case .missingDatabase: 40571
        case .missingBody: 40587
        }
    }

    /// MongoDB's name for ``code`` (`Location<code>` for codes MongoDB raises by number only).
    public var codeName: String {
        switch code {
        case 17: "ProtocolError"
        case 22: "InvalidBSON"
        case 223: "IllegalOpMsgFlag"
        case 288: "ChecksumMismatch"
        case 10334: "BSONObjectTooLarge"
        default: "Location\(code)"
        }
    }
}

extension WireError: CustomStringConvertible {
    /// The `errmsg` of the error reply.
    public var description: String {
        switch self {
        case let .messageLengthTooSmall(length):
            "message length \(length) is invalid. Min \(MessageHeader.size) Max: \(maximumMessageSize)"
        case let .messageLengthInvalid(length):
            "message length \(length) is invalid. Min \(MessageHeader.size) Max: \(maximumMessageSize)"
        case let .messageTooLarge(length):
            "message length \(length) exceeds maxMessageSizeBytes \(maximumMessageSize)"
        case let .truncatedHeader(available):
            "connection closed inside a message header (\(available) of \(MessageHeader.size) bytes)"
        case let .unsupportedOpCode(value):
            if let known = OpCode(rawValue: value) {
                "\(known.name) (opcode \(value)) is no longer supported. The client driver may require an upgrade."
            } else {
                "unsupported opcode \(value)"
            }
        case let .truncated(field):
            "message ended inside \(field)"
        case let .trailingBytes(count):
            "\(count) unexpected bytes after the end of the message"
        case let .invalidBSON(error):
            "invalid BSON in message: \(error)"
        case let .documentTooLarge(size, limit):
            "BSONObj size: \(size) is invalid. Size must be between 0 and \(limit)"
        case let .illegalFlags(flags):
            "Message contains illegal flags value: 0b\(String(flags, radix: 2))"
        case .checksumMismatch:
            "OP_MSG checksum does not match contents"
        case .missingBody:
            "OP_MSG messages must have a body"
        case .multipleBodies:
            "Multiple body sections in message"
        case let .unknownSectionKind(kind):
            "Unknown section kind \(kind)"
        case let .invalidSectionLength(length):
            "invalid document sequence length \(length)"
        case let .duplicateDocumentSequence(name):
            "Duplicate document sequence: \(name)"
        case let .duplicateField(name):
            "Duplicate field between body and document sequence \(name)"
        case let .unknownCompressor(id):
            "Cannot decompress message compressed with unknown compressor id \(id)"
        case let .invalidCompressedOpCode(value):
            "OP_COMPRESSED cannot wrap opcode \(value)"
        case let .invalidUncompressedSize(size):
            "OP_COMPRESSED uncompressed size \(size) is invalid. Max: \(maximumMessageSize)"
        case let .decompressionFailed(compressor, reason):
            "\(compressor) decompression failed: \(reason)"
        case let .compressionFailed(compressor, reason):
            "\(compressor) compression failed: \(reason)"
        case let .invalidCString(field):
            "\(field) is not a NUL-terminated UTF-8 string"
        case .missingDatabase:
            "OP_MSG requests require a $db argument"
        }
    }
}
