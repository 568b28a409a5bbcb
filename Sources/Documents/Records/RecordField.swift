// A lightweight view of one value inside a record: its kind and byte range. Scalar reads are
// direct loads; containers open as further views; nothing else is decoded.

public import BSON

/// One value in a record, located but not decoded.
///
/// Typed accessors return `nil` when the value has another kind (no numeric conversion
/// happens here; that is the query layer's business).
public struct RecordField: Sendable {
    /// The value's kind.
    public let kind: ValueKind
    let storage: [UInt8]
    let span: Range<Int>
    let resolver: ShapeResolver

    init(kind: ValueKind, storage: [UInt8], span: Range<Int>, resolver: ShapeResolver) {
        self.kind = kind
        self.storage = storage
        self.span = span
        self.resolver = resolver
    }

    /// The value's BSON type.
    public var bsonType: BSONType { kind.bsonType }

    /// The bytes the value occupies in the record (empty for null, Booleans and the like).
    public var valueBytes: ArraySlice<UInt8> { storage[span] }

    @inline(__always)
    private func signed() -> Int64 {
        storage.withUnsafeBytes { RecordBytes.loadSigned($0, at: span.lowerBound, width: span.count) }
    }

    @inline(__always)
    private func unsigned64(at offset: Int = 0) -> UInt64 {
        storage.withUnsafeBytes { RecordBytes.loadUnsigned($0, at: span.lowerBound + offset, width: 8) }
    }

    /// The value if it is an int32.
    public var int32: Int32? { kind == .int32 ? Int32(truncatingIfNeeded: signed()) : nil }
    /// The value if it is an int64.
    public var int64: Int64? { kind == .int64 ? signed() : nil }
    /// The value if it is a double.
    public var double: Double? { kind == .double ? Double(bitPattern: unsigned64()) : nil }
    /// The value if it is a Boolean.
    public var bool: Bool? {
        switch kind {
        case .boolTrue: true
        case .boolFalse: false
        default: nil
        }
    }
    /// The value if it is a datetime.
    public var datetime: BSONDateTime? {
        kind == .datetime ? BSONDateTime(millisecondsSinceEpoch: signed()) : nil
    }
    /// The value if it is a timestamp.
    public var timestamp: BSONTimestamp? {
        guard kind == .timestamp else { return nil }
        let bits = unsigned64()
        return BSONTimestamp(timestamp: UInt32(truncatingIfNeeded: bits >> 32), increment: UInt32(truncatingIfNeeded: bits))
    }
    /// The value if it is a Decimal128.
    public var decimal128: Decimal128? {
        kind == .decimal128 ? Decimal128(high: unsigned64(at: 8), low: unsigned64()) : nil
    }
    /// The value if it is an ObjectId.
    public var objectId: ObjectId? { kind == .objectId ? ObjectId(bytes: storage[span]) : nil }
    /// Whether the value is null.
    public var isNull: Bool { kind == .null }

    /// The UTF-8 bytes of a string, JavaScript or symbol value (unvalidated, no copy), for
    /// comparisons that need no `String`.
    public var utf8: ArraySlice<UInt8>? {
        switch kind {
        case .string, .javascript, .symbol: storage[span]
        default: nil
        }
    }

    /// The value if it is a string (validated UTF-8).
    public func string() throws(RecordError) -> String? {
        guard kind == .string else { return nil }
        return try decode { reader, span throws(RecordError) in try reader.string(span) }
    }

    /// The value as a view if it is an embedded document.
    public func document() throws(RecordError) -> Record? {
        guard kind == .document else { return nil }
        return try Record(storage: storage, start: span.lowerBound, end: span.upperBound, resolver: resolver)
    }

    /// The value as a view if it is an array.
    public func array() throws(RecordError) -> RecordArray? {
        guard kind == .array else { return nil }
        return try RecordArray(storage: storage, start: span.lowerBound, end: span.upperBound, resolver: resolver)
    }

    /// Materialises the value.
    public func value(maximumDepth: Int = 200) throws(RecordError) -> BSONValue {
        let kind = self.kind
        return try decode(maximumDepth: maximumDepth) { reader, span throws(RecordError) in
            try reader.value(kind, span, depth: 1)
        }
    }

    private func decode<T>(
        maximumDepth: Int = 200, _ body: (RecordReader, Range<Int>) throws(RecordError) -> T
    ) throws(RecordError) -> T {
        let (span, resolver) = (self.span, self.resolver)
        let result = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> T in
            try body(RecordReader(raw: UnsafeRawBufferPointer(buffer), resolver: resolver, maximumDepth: maximumDepth), span)
        }
        return result
    }
}
