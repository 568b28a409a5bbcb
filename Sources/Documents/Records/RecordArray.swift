// A lazy view of one encoded array: its count, and element i by offset arithmetic (uniform
// arrays) or one offset-table lookup (mixed arrays), without decoding the others.

public import BSON

/// A read-only view of an array inside a record.
public struct RecordArray: Sendable {
    let storage: [UInt8]
    let header: ArrayHeader
    let geometry: BodyGeometry?
    let resolver: ShapeResolver
    let start: Int
    let end: Int

    init(storage: [UInt8], start: Int, end: Int, resolver: ShapeResolver) throws(RecordError) {
        let parsed = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> (ArrayHeader, BodyGeometry?) in
            let raw = UnsafeRawBufferPointer(buffer)
            let header = try ArrayHeader(raw, start: start, end: end)
            guard header.count > 0 else { return (header, nil) }
            return (header, try BodyGeometry(raw, start: header.bodyStart, end: end, counts: header.counts))
        }
        (header, geometry) = parsed
        self.storage = storage
        self.resolver = resolver
        self.start = start
        self.end = end
    }

    /// The number of elements.
    public var count: Int { header.count }

    /// The kind every element has, or `nil` if the elements' kinds differ (or there are none).
    public var uniformKind: ValueKind? { header.uniformKind }

    /// The element at `index`, which must be less than ``count``.
    public func element(at index: Int) throws(RecordError) -> RecordField {
        guard index >= 0, index < header.count, let geometry else {
            throw .invalidLayout(offset: start, reason: "array index \(index) out of range")
        }
        let header = self.header
        let located = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> (ValueKind, Range<Int>) in
            let raw = UnsafeRawBufferPointer(buffer)
            let kind = try header.kind(at: index, raw)
            return (kind, try header.span(at: index, kind: kind, geometry: geometry, raw))
        }
        let (kind, span) = located
        return RecordField(kind: kind, storage: storage, span: span, resolver: resolver)
    }

    /// Materialises the whole array.
    public func values(maximumDepth: Int = 200) throws(RecordError) -> [BSONValue] {
        let (start, end, resolver) = (self.start, self.end, self.resolver)
        let result = try storage.withUnsafeBufferPointer { (buffer) throws(RecordError) -> [BSONValue] in
            try RecordReader(raw: UnsafeRawBufferPointer(buffer), resolver: resolver, maximumDepth: maximumDepth)
                .array(start: start, end: end, depth: 1)
        }
        return result
    }
}
