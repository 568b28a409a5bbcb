// What encoding a document produces: the record bytes, its shape, and the shape definitions
// the catalog must persist (in the same write batch) before the record can be read back.

/// The result of encoding one document.
public struct EncodedRecord: Sendable {
    /// The record bytes.
    public var bytes: [UInt8]
    /// The top-level document's shape.
    public var shape: Shape
    /// Definitions of shapes this record depends on (its own, its embedded documents', and
    /// their ancestors) that are not yet known to be persisted, parents before children.
    /// Empty in the steady state. See ``ShapeRegistry`` for the persistence protocol.
    public var unpersistedShapes: [ShapeDefinition]
}
