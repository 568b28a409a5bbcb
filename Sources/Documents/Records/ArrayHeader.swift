// The front of an encoded array: element count, whether all elements share one kind, and
// where their kinds are. Uniform arrays lay out like a record body; mixed ones keep every
// element in the variable region so element i is still one table lookup away.

/// The parsed header of an encoded array.
///
/// An array is `varint(count << 1 | uniform)`, then one kind byte if uniform or `count` kind
/// bytes if not, then a body: for a uniform array, the body of `count` slots of that kind;
/// for a mixed one, `count` variable slots (integers there take their own minimal width).
/// The empty array is the single byte 0.
struct ArrayHeader: Sendable {
    /// The most elements an encoded array may claim (zero-width elements cost no bytes, so
    /// the count alone must be bounded).
    static let maximumCount = 1 << 24

    let count: Int
    /// The shared kind, or `nil` for a mixed array.
    let uniformKind: ValueKind?
    /// Offset of the first per-element kind byte (mixed arrays).
    let kindsStart: Int
    /// Where the body starts.
    let bodyStart: Int

    /// Parses the header of the array occupying `start..<end`.
    init(_ raw: UnsafeRawBufferPointer, start: Int, end: Int) throws(RecordError) {
        var position = start
        let header = try RecordBytes.readVarint(raw, at: &position, limit: end)
        guard header >> 1 <= UInt64(ArrayHeader.maximumCount) else {
            throw .invalidLayout(offset: start, reason: "array of \(header >> 1) elements")
        }
        count = Int(header >> 1)
        let uniform = header & 1 == 1
        if count == 0 {
            guard !uniform else { throw .invalidLayout(offset: start, reason: "empty array marked uniform") }
            guard position == end else { throw .trailingBytes(offset: position) }
            uniformKind = nil
            kindsStart = position
            bodyStart = position
        } else if uniform {
            guard position < end else { throw .truncated(offset: position, needed: 1) }
            guard let kind = ValueKind(rawValue: raw[position]) else {
                throw .unknownKind(offset: position, byte: raw[position])
            }
            uniformKind = kind
            kindsStart = position
            bodyStart = position + 1
        } else {
            guard count <= end - position else { throw .truncated(offset: end, needed: count - (end - position)) }
            uniformKind = nil
            kindsStart = position
            bodyStart = position + count
        }
    }

    /// The slot counts of the body.
    var counts: BodyCounts {
        if let uniformKind { return BodyCounts(uniform: uniformKind, count: count) }
        return BodyCounts(variableCount: count)
    }

    /// The kind of element `index` (< count).
    @inline(__always)
    func kind(at index: Int, _ raw: UnsafeRawBufferPointer) throws(RecordError) -> ValueKind {
        if let uniformKind { return uniformKind }
        let offset = kindsStart + index
        guard let kind = ValueKind(rawValue: raw[offset]) else { throw .unknownKind(offset: offset, byte: raw[offset]) }
        return kind
    }

    /// The byte range of element `index` (< count) of kind `kind`.
    @inline(__always)
    func span(at index: Int, kind: ValueKind, geometry: BodyGeometry, _ raw: UnsafeRawBufferPointer) throws(RecordError) -> Range<Int> {
        guard uniformKind != nil else {
            let span = try geometry.variableSpan(index, in: raw)
            guard kind.acceptsLooseWidth(span.count) else {
                throw .invalidLayout(offset: span.lowerBound, reason: "\(span.count) bytes for a \(kind) element")
            }
            return span
        }
        switch kind.storage {
        case .empty: return geometry.fixedStart..<geometry.fixedStart
        case .fixed(let width):
            let offset = geometry.fixedStart + index * width
            return offset..<(offset + width)
        case .int32Width:
            let offset = geometry.fixedStart + index * geometry.int32Width
            return offset..<(offset + geometry.int32Width)
        case .int64Width:
            let offset = geometry.fixedStart + index * geometry.int64Width
            return offset..<(offset + geometry.int64Width)
        case .variable:
            return try geometry.variableSpan(index, in: raw)
        }
    }
}
