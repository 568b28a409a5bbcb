// One embedded or top-level document in record bytes: its shape, layout and body geometry,
// and the byte range of any slot — the offset computation that replaces a key scan.

/// A parsed document record header: shape, layout and where each slot's bytes are.
struct DocumentBody: Sendable {
    let shapeID: ShapeID
    let layout: ShapeLayout
    let geometry: BodyGeometry

    /// Parses the record occupying `start..<end`: shape id varint, then the body.
    @inline(__always)
    init(_ raw: UnsafeRawBufferPointer, start: Int, end: Int, resolver: ShapeResolver) throws(RecordError) {
        var position = start
        let shape = try resolver.readShape(raw, at: &position, limit: end)
        shapeID = shape.id
        layout = shape.layout
        geometry = try BodyGeometry(raw, start: position, end: end, counts: layout.counts)
    }

    /// Parses the record occupying `start..<end`, taking its layout from `layouts`.
    @inline(__always)
    init(_ raw: UnsafeRawBufferPointer, start: Int, end: Int, resolver: ShapeResolver,
         layouts: inout RecordLayoutCache) throws(RecordError) {
        var position = start
        shapeID = try ShapeResolver.readShapeID(raw, at: &position, limit: end)
        layout = try layouts.layout(of: shapeID, resolver: resolver)
        geometry = try BodyGeometry(raw, start: position, end: end, counts: layout.counts)
    }

    /// The byte range of slot `slot` (< field count).
    @inline(__always)
    func span(ofSlot slot: Int, _ raw: UnsafeRawBufferPointer) throws(RecordError) -> Range<Int> {
        let placement = layout.placements[slot]
        switch layout.kinds[slot].storage {
        case .empty:
            return geometry.fixedStart..<geometry.fixedStart
        case .fixed(let width):
            let offset = geometry.fixedOffset(placement)
            return offset..<(offset + width)
        case .int32Width:
            let offset = geometry.fixedOffset(placement)
            return offset..<(offset + geometry.int32Width)
        case .int64Width:
            let offset = geometry.fixedOffset(placement)
            return offset..<(offset + geometry.int64Width)
        case .variable:
            return try geometry.variableSpan(Int(placement.variableIndex), in: raw)
        }
    }
}
