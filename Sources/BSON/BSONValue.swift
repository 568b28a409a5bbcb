// The BSON value model: one enum case per type in the BSON specification.
// Owns structural equality (type-sensitive, bit-exact doubles) and hashing; MongoDB's
// comparison order lives in Comparison.swift and never in `==`.

/// A single BSON value of any type in the BSON specification.
///
/// `==` is *structural*: values are equal only when they have the same BSON type and the
/// same bits (`int32(1) != double(1.0)`, `-0.0 != 0.0`, `NaN == NaN` with the same payload).
/// That is the identity the codec round-trips. MongoDB's query semantics, where numbers of
/// different types compare by value, are ``BSONValue/compare(_:_:)``.
public enum BSONValue: Sendable {
    /// 64-bit IEEE 754 floating point (type 0x01).
    case double(Double)
    /// UTF-8 string (type 0x02).
    case string(String)
    /// Embedded document (type 0x03).
    case document(BSONDocument)
    /// Array (type 0x04). Keys on the wire are "0", "1", ...; the model keeps only values.
    case array([BSONValue])
    /// Binary data with a subtype (type 0x05).
    case binary(BSONBinary)
    /// Deprecated undefined value (type 0x06).
    case undefined
    /// 12-byte ObjectId (type 0x07).
    case objectId(ObjectId)
    /// Boolean (type 0x08).
    case bool(Bool)
    /// UTC datetime as milliseconds since the Unix epoch (type 0x09).
    case datetime(BSONDateTime)
    /// Null (type 0x0A).
    case null
    /// Regular expression with options (type 0x0B).
    indirect case regex(BSONRegex)
    /// Deprecated DBPointer (type 0x0C).
    indirect case dbPointer(BSONDBPointer)
    /// JavaScript code (type 0x0D).
    case javascript(String)
    /// Deprecated symbol (type 0x0E).
    case symbol(String)
    /// Deprecated JavaScript code with scope (type 0x0F).
    indirect case javascriptWithScope(BSONCodeWithScope)
    /// 32-bit signed integer (type 0x10).
    case int32(Int32)
    /// Internal MongoDB timestamp (type 0x11).
    case timestamp(BSONTimestamp)
    /// 64-bit signed integer (type 0x12).
    case int64(Int64)
    /// IEEE 754-2008 128-bit decimal (type 0x13).
    case decimal128(Decimal128)
    /// Compares lower than every other value (type 0xFF).
    case minKey
    /// Compares higher than every other value (type 0x7F).
    case maxKey

    /// The BSON type byte of this value.
    @inlinable
    public var type: BSONType {
        switch self {
        case .double: .double
        case .string: .string
        case .document: .document
        case .array: .array
        case .binary: .binary
        case .undefined: .undefined
        case .objectId: .objectId
        case .bool: .bool
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
}

/// The type byte that precedes every element in a BSON document.
public enum BSONType: UInt8, Sendable, CaseIterable {
    case double = 0x01
    case string = 0x02
    case document = 0x03
    case array = 0x04
    case binary = 0x05
    case undefined = 0x06
    case objectId = 0x07
    case bool = 0x08
    case datetime = 0x09
    case null = 0x0A
    case regex = 0x0B
    case dbPointer = 0x0C
    case javascript = 0x0D
    case symbol = 0x0E
    case javascriptWithScope = 0x0F
    case int32 = 0x10
    case timestamp = 0x11
    case int64 = 0x12
    case decimal128 = 0x13
    case minKey = 0xFF
    case maxKey = 0x7F

    /// MongoDB's alias for the type, as `$type` accepts and returns it ("double", "objectId", ...).
    public var alias: String {
        switch self {
        case .double: "double"
        case .string: "string"
        case .document: "object"
        case .array: "array"
        case .binary: "binData"
        case .undefined: "undefined"
        case .objectId: "objectId"
        case .bool: "bool"
        case .datetime: "date"
        case .null: "null"
        case .regex: "regex"
        case .dbPointer: "dbPointer"
        case .javascript: "javascript"
        case .symbol: "symbol"
        case .javascriptWithScope: "javascriptWithScope"
        case .int32: "int"
        case .timestamp: "timestamp"
        case .int64: "long"
        case .decimal128: "decimal"
        case .minKey: "minKey"
        case .maxKey: "maxKey"
        }
    }
}

extension BSONValue: Equatable {
    /// Structural equality: same BSON type and same bits. See the type's documentation.
    public static func == (lhs: BSONValue, rhs: BSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.double(a), .double(b)): a.bitPattern == b.bitPattern
        case let (.string(a), .string(b)): a.utf8BytesEqual(b)
        case let (.document(a), .document(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.binary(a), .binary(b)): a == b
        case (.undefined, .undefined), (.null, .null), (.minKey, .minKey), (.maxKey, .maxKey): true
        case let (.objectId(a), .objectId(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case let (.datetime(a), .datetime(b)): a == b
        case let (.regex(a), .regex(b)): a == b
        case let (.dbPointer(a), .dbPointer(b)): a == b
        case let (.javascript(a), .javascript(b)): a.utf8BytesEqual(b)
        case let (.symbol(a), .symbol(b)): a.utf8BytesEqual(b)
        case let (.javascriptWithScope(a), .javascriptWithScope(b)): a == b
        case let (.int32(a), .int32(b)): a == b
        case let (.timestamp(a), .timestamp(b)): a == b
        case let (.int64(a), .int64(b)): a == b
        case let (.decimal128(a), .decimal128(b)): a == b
        default: false
        }
    }
}

extension BSONValue: Hashable {
    /// Hashes consistently with structural `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type.rawValue)
        switch self {
        case .double(let v): hasher.combine(v.bitPattern)
        case .string(let v), .javascript(let v), .symbol(let v):
            hasher.combine(v.utf8.count)
            for byte in v.utf8 { hasher.combine(byte) }
        case .document(let v): hasher.combine(v)
        case .array(let v): hasher.combine(v)
        case .binary(let v): hasher.combine(v)
        case .undefined, .null, .minKey, .maxKey: break
        case .objectId(let v): hasher.combine(v)
        case .bool(let v): hasher.combine(v)
        case .datetime(let v): hasher.combine(v)
        case .regex(let v): hasher.combine(v)
        case .dbPointer(let v): hasher.combine(v)
        case .javascriptWithScope(let v): hasher.combine(v)
        case .int32(let v): hasher.combine(v)
        case .timestamp(let v): hasher.combine(v)
        case .int64(let v): hasher.combine(v)
        case .decimal128(let v): hasher.combine(v)
        }
    }
}

// MARK: - Typed accessors

extension BSONValue {
    /// The document payload, if this value is a document.
    @inlinable public var documentValue: BSONDocument? {
        if case .document(let d) = self { return d } else { return nil }
    }
    /// The array payload, if this value is an array.
    @inlinable public var arrayValue: [BSONValue]? {
        if case .array(let a) = self { return a } else { return nil }
    }
    /// The string payload, if this value is a string.
    @inlinable public var stringValue: String? {
        if case .string(let s) = self { return s } else { return nil }
    }
    /// The Boolean payload, if this value is a Boolean.
    @inlinable public var boolValue: Bool? {
        if case .bool(let b) = self { return b } else { return nil }
    }
    /// The value as an `Int64` if it is an int32, an int64, or a double with an exact
    /// integral value in range.
    public var int64Value: Int64? {
        switch self {
        case .int32(let v): Int64(v)
        case .int64(let v): v
        case .double(let v): Int64(exactly: v)
        default: nil
        }
    }
    /// The value as a `Double` if it is an int32, int64 or double.
    public var doubleValue: Double? {
        switch self {
        case .int32(let v): Double(v)
        case .int64(let v): Double(v)
        case .double(let v): v
        default: nil
        }
    }
    /// Whether the value is one of the numeric types (int32, int64, double, decimal128).
    @inlinable public var isNumeric: Bool {
        switch self {
        case .int32, .int64, .double, .decimal128: true
        default: false
        }
    }
}

// MARK: - Literals

extension BSONValue: ExpressibleByStringLiteral {
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension BSONValue: ExpressibleByIntegerLiteral {
    /// An int32 when the literal fits in 32 bits, otherwise an int64 (as drivers do).
    public init(integerLiteral value: Int) {
        if let small = Int32(exactly: value) { self = .int32(small) } else { self = .int64(Int64(value)) }
    }
}

extension BSONValue: ExpressibleByFloatLiteral {
    /// A double value.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension BSONValue: ExpressibleByBooleanLiteral {
    /// A Boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension BSONValue: ExpressibleByArrayLiteral {
    /// An array value.
    public init(arrayLiteral elements: BSONValue...) { self = .array(elements) }
}

extension BSONValue: ExpressibleByDictionaryLiteral {
    /// An embedded document value, keeping the literal's key order.
    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self = .document(BSONDocument(elements))
    }
}

extension BSONValue: ExpressibleByNilLiteral {
    /// BSON null.
    public init(nilLiteral: ()) { self = .null }
}
