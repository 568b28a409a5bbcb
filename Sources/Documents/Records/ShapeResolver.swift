// Finds the shape a record names: first in a snapshot (no lock), then in the registry for
// shapes created after the snapshot was taken.

/// Resolves shape ids for readers: a snapshot, backed by the live registry.
///
/// A class, so that every record view made from one decoder holds a single reference to the
/// decoder's own resolver instead of references to the registry and its shape array, which
/// every reader in the process shares: concurrent scans would otherwise spend their time
/// bouncing those objects' reference counts between cores.
final class ShapeResolver: Sendable {
    /// The snapshot's shapes by id.
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
        // Another server's shape (a store shared by several servers); nil otherwise.
        if let shape = registry.loadShape(withID: id) { return shape }
        throw .unknownShape(id)
    }

    /// Reads a shape id varint at `position` and resolves it.
    @inline(__always)
    func readShape(_ raw: UnsafeRawBufferPointer, at position: inout Int, limit: Int) throws(RecordError) -> Shape {
        try shape(Self.readShapeID(raw, at: &position, limit: limit))
    }

    /// Reads a shape id varint at `position`.
    @inline(__always)
    static func readShapeID(_ raw: UnsafeRawBufferPointer, at position: inout Int, limit: Int) throws(RecordError) -> ShapeID {
        let start = position
        let raw = try RecordBytes.readVarint(raw, at: &position, limit: limit)
        guard raw <= UInt64(UInt32.max) else { throw .malformedVarint(offset: start) }
        return ShapeID(UInt32(raw))
    }
}
