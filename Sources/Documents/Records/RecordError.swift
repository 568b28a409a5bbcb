// Errors of shapes and records: why record bytes could not be read, why a document could not
// be encoded, why persisted shapes could not be restored. Each case says where and what.

public import BSON

/// Why a record could not be encoded or decoded, or a shape registry could not be restored.
/// Malformed bytes always end in one of these, never in a trap.
public enum RecordError: Error, Sendable, Equatable {
    /// The record ended before a complete value at `offset`.
    case truncated(offset: Int, needed: Int)
    /// A varint at `offset` is over-long, not minimal, or out of range.
    case malformedVarint(offset: Int)
    /// The record names a shape id the registry does not have.
    case unknownShape(ShapeID)
    /// A kind byte at `offset` is not a ``ValueKind``.
    case unknownKind(offset: Int, byte: UInt8)
    /// The record's structure at `offset` is impossible (bad layout byte, offsets out of
    /// order or past the end, a value of the wrong size).
    case invalidLayout(offset: Int, reason: String)
    /// A string at `offset` is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// Bytes remain at `offset` after the record's last value.
    case trailingBytes(offset: Int)
    /// Documents or arrays are nested deeper than `limit`.
    case nestingTooDeep(limit: Int)
    /// Interning a new shape would exceed the registry's limit.
    case tooManyShapes(limit: Int)
    /// A persisted shape definition is malformed or inconsistent.
    case invalidShapeDefinition(String)
    /// BSON input (wire bytes) was malformed, or a record cannot be written as BSON.
    case bson(BSONError)
}

extension RecordError: CustomStringConvertible {
    /// A one-line explanation for logs and error replies.
    public var description: String {
        switch self {
        case let .truncated(offset, needed): "record truncated at byte \(offset): \(needed) more bytes needed"
        case let .malformedVarint(offset): "malformed varint in record at byte \(offset)"
        case let .unknownShape(id): "record refers to unknown shape \(id)"
        case let .unknownKind(offset, byte): "unknown value kind 0x\(String(byte, radix: 16)) at byte \(offset)"
        case let .invalidLayout(offset, reason): "invalid record layout at byte \(offset): \(reason)"
        case let .invalidUTF8(offset): "invalid UTF-8 in record at byte \(offset)"
        case let .trailingBytes(offset): "unexpected bytes after the record's values at byte \(offset)"
        case let .nestingTooDeep(limit): "record nesting deeper than \(limit) levels"
        case let .tooManyShapes(limit): "more than \(limit) distinct document shapes"
        case let .invalidShapeDefinition(reason): "invalid shape definition: \(reason)"
        case let .bson(error): error.description
        }
    }
}
