// Finds the shape a record names: first in a snapshot (no lock), then in the registry for
// shapes created after the snapshot was taken.

/// Resolves shape ids for readers: a snapshot, backed by the live registry.
struct ShapeResolver: Sendable {
    /// The snapshot's shapes by id (only the array: views copy the resolver, so it stays two
    /// references wide).
    let shapes: [Shape?]
    let registry: ShapeRegistry

    init(registry: ShapeRegistry, snapshot: ShapeSnapshot? = nil) {
        self.registry = registry
        shapes = (snapshot ?? registry.snapshot()).shapes
    }

    /// The shape with `id`, or ``RecordError/unknownShape(_:)``.
    @inline(__always)
    func shape(_ id: ShapeID) throws(RecordError) -> Shape {
        let index = Int(id.rawValue)
        if index < shapes.count, let shape = shapes[index] { return shape }
        if let shape = registry.shape(withID: id) { return shape }
        throw .unknownShape(id)
    }

    /// Reads a shape id varint at `position` and resolves it.
    @inline(__always)
    func readShape(_ raw: UnsafeRawBufferPointer, at position: inout Int, limit: Int) throws(RecordError) -> Shape {
        let start = position
        let raw = try RecordBytes.readVarint(raw, at: &position, limit: limit)
        guard raw <= UInt64(UInt32.max) else { throw .malformedVarint(offset: start) }
        return try shape(ShapeID(UInt32(raw)))
    }
}
