// The kind of value a shape slot (or an array element) holds, and how many record bytes it
// takes. Raw values are stored on disk (in shapes and arrays) and must never change.

public import BSON

/// The kind of a value in a shape-encoded record: its BSON type, refined where the refinement
/// saves bytes (`true` and `false` are kinds of their own, so Booleans take no value bytes;
/// a 16-byte UUID binary is a fixed-width kind).
///
/// Raw values are persisted. They equal the BSON type byte where the kind is one BSON type.
public enum ValueKind: UInt8, Sendable, CaseIterable {
    /// A 64-bit float, 8 bytes.
    case double = 0x01
    /// A UTF-8 string; its bytes in the variable region.
    case string = 0x02
    /// An embedded document: a nested record (its own shape id and body).
    case document = 0x03
    /// An array: element count, element kinds, and a body.
    case array = 0x04
    /// Binary data: subtype byte then payload, in the variable region.
    case binary = 0x05
    /// The deprecated undefined value; no bytes.
    case undefined = 0x06
    /// An ObjectId, 12 bytes.
    case objectId = 0x07
    /// The Boolean `false`; no bytes.
    case boolFalse = 0x08
    /// A UTC datetime in the record's 64-bit integer width.
    case datetime = 0x09
    /// Null; no bytes.
    case null = 0x0A
    /// A regular expression: varint pattern length, pattern, options.
    case regex = 0x0B
    /// A DBPointer: 12-byte id, then the namespace.
    case dbPointer = 0x0C
    /// JavaScript code; its bytes in the variable region.
    case javascript = 0x0D
    /// A symbol; its bytes in the variable region.
    case symbol = 0x0E
    /// Code with scope: varint code length, code, then the scope as a nested record.
    case javascriptWithScope = 0x0F
    /// A 32-bit integer in the record's 32-bit integer width (0–4 bytes).
    case int32 = 0x10
    /// A timestamp, 8 bytes.
    case timestamp = 0x11
    /// A 64-bit integer in the record's 64-bit integer width (0–8 bytes).
    case int64 = 0x12
    /// A Decimal128, 16 bytes.
    case decimal128 = 0x13
    /// MaxKey; no bytes.
    case maxKey = 0x7F
    /// A binary of subtype 4 (UUID) with exactly 16 bytes, stored as 16 fixed bytes.
    case uuid = 0x85
    /// The Boolean `true`; no bytes.
    case boolTrue = 0x88
    /// MinKey; no bytes.
    case minKey = 0xFF

    /// The kind of `value`.
    @inlinable
    public init(of value: BSONValue) {
        switch value {
        case .double: self = .double
        case .string: self = .string
        case .document: self = .document
        case .array: self = .array
        case .binary(let binary):
            self = binary.subtype == .uuid && binary.bytes.count == 16 ? .uuid : .binary
        case .undefined: self = .undefined
        case .objectId: self = .objectId
        case .bool(let flag): self = flag ? .boolTrue : .boolFalse
        case .datetime: self = .datetime
        case .null: self = .null
        case .regex: self = .regex
        case .dbPointer: self = .dbPointer
        case .javascript: self = .javascript
        case .symbol: self = .symbol
        case .javascriptWithScope: self = .javascriptWithScope
        case .int32: self = .int32
        case .timestamp: self = .timestamp
        case .int64: self = .int64
        case .decimal128: self = .decimal128
        case .minKey: self = .minKey
        case .maxKey: self = .maxKey
        }
    }

    /// The BSON type of values of this kind.
    public var bsonType: BSONType {
        switch self {
        case .double: .double
        case .string: .string
        case .document: .document
        case .array: .array
        case .binary, .uuid: .binary
        case .undefined: .undefined
        case .objectId: .objectId
        case .boolFalse, .boolTrue: .bool
        case .datetime: .datetime
        case .null: .null
        case .regex: .regex
        case .dbPointer: .dbPointer
        case .javascript: .javascript
        case .symbol: .symbol
        case .javascriptWithScope: .javascriptWithScope
        case .int32: .int32
        case .timestamp: .timestamp
        case .int64: .int64
        case .decimal128: .decimal128
        case .minKey: .minKey
        case .maxKey: .maxKey
        }
    }

    /// Where values of this kind sit in a record body.
    @inlinable
    var storage: SlotStorage {
        switch self {
        case .null, .undefined, .minKey, .maxKey, .boolFalse, .boolTrue: .empty
        case .double, .timestamp: .fixed(8)
        case .objectId: .fixed(12)
        case .decimal128, .uuid: .fixed(16)
        case .int32: .int32Width
        case .int64, .datetime: .int64Width
        case .string, .document, .array, .binary, .regex, .dbPointer, .javascript, .symbol, .javascriptWithScope:
            .variable
        }
    }

    /// Whether a value of this kind may occupy `count` bytes when it sits in a variable
    /// region (mixed arrays), where integers take their own minimal width.
    func acceptsLooseWidth(_ count: Int) -> Bool {
        switch storage {
        case .empty: count == 0
        case .fixed(let width): count == width
        case .int32Width: count <= 4
        case .int64Width: count <= 8
        case .variable: true
        }
    }
}

/// Where a slot's value sits in a record body.
@usableFromInline
enum SlotStorage: Equatable, Sendable {
    /// No bytes: the kind is the value (null, true, minKey, ...).
    case empty
    /// A fixed number of bytes in the fixed region.
    case fixed(Int)
    /// The record's 32-bit integer width, in the fixed region.
    case int32Width
    /// The record's 64-bit integer width, in the fixed region.
    case int64Width
    /// Anywhere in the variable region, bounded by the offset table.
    case variable
}
