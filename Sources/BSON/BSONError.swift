// Errors of the BSON layer: why bytes could not be decoded, why a value could not be
// encoded, why Extended JSON could not be parsed. Each case says where and what.

/// Why BSON bytes were rejected, a value could not be encoded, or Extended JSON could not be
/// parsed. The server maps these to MongoDB error replies in one place.
public enum BSONError: Error, Sendable, Equatable {
    /// The input ended before a complete value at `offset`.
    case truncated(offset: Int, needed: Int)
    /// A length prefix at `offset` is impossible (negative, too small, or past its container).
    case invalidLength(offset: Int, length: Int, reason: String)
    /// A document's or string's terminating byte at `offset` is not 0x00.
    case missingTerminator(offset: Int)
    /// An element type byte at `offset` is not a BSON type.
    case unknownType(offset: Int, byte: UInt8)
    /// A string or key at `offset` is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A Boolean at `offset` is neither 0 nor 1.
    case invalidBoolean(offset: Int, byte: UInt8)
    /// Nesting exceeded the configured limit at `offset`.
    case nestingTooDeep(offset: Int, limit: Int)
    /// The input holds more bytes after the top-level document.
    case trailingBytes(offset: Int)
    /// The document is larger than the limit in force.
    case documentTooLarge(size: Int, limit: Int)
    /// A key or cstring value contains a NUL byte and cannot be encoded.
    case nulInCString(String)
    /// Extended JSON or a textual value was malformed; `offset` is a byte offset in the text.
    case invalidExtendedJSON(offset: Int, reason: String)
    /// A textual form of a number or identifier was malformed.
    case invalidText(kind: String, text: String)
}

extension BSONError: CustomStringConvertible {
    /// A one-line explanation for logs and error replies.
    public var description: String {
        switch self {
        case let .truncated(offset, needed):
            "BSON truncated at byte \(offset): \(needed) more bytes needed"
        case let .invalidLength(offset, length, reason):
            "invalid BSON length \(length) at byte \(offset): \(reason)"
        case let .missingTerminator(offset):
            "missing BSON terminator at byte \(offset)"
        case let .unknownType(offset, byte):
            "unknown BSON type 0x\(String(byte, radix: 16)) at byte \(offset)"
        case let .invalidUTF8(offset):
            "invalid UTF-8 in BSON string at byte \(offset)"
        case let .invalidBoolean(offset, byte):
            "invalid BSON boolean value \(byte) at byte \(offset)"
        case let .nestingTooDeep(offset, limit):
            "BSON nesting deeper than \(limit) levels at byte \(offset)"
        case let .trailingBytes(offset):
            "unexpected bytes after the BSON document at byte \(offset)"
        case let .documentTooLarge(size, limit):
            "BSON document of \(size) bytes exceeds the limit of \(limit) bytes"
        case let .nulInCString(text):
            "a key or cstring contains a NUL byte: \(text.debugDescription)"
        case let .invalidExtendedJSON(offset, reason):
            "invalid Extended JSON at byte \(offset): \(reason)"
        case let .invalidText(kind, text):
            "invalid \(kind): \(text.debugDescription)"
        }
    }
}
