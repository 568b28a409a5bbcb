// The layouts one scan reads records with, as objects of the scan's own. A record view holds
// its layout; were that the shared layout object, every record of every concurrent scan would
// increment and decrement the same reference count, and on two cores that cache line's
// travels took over half of a full-collection count's time.

/// A scan's own copies of the shape layouts its records use.
///
/// Keep one per scan (a local variable, used by one thread) and pass it to
/// ``RecordDecoder/record(_:layouts:)`` for each record.
public struct RecordLayoutCache {
    private var copies = ShapeIDMap<ShapeLayout>()

    /// Copies of layouts of shapes with large ids kept before those start over.
    static let sparseCapacity = 4096

    /// An empty cache.
    public init() {}

    /// The layout of shape `id`: this cache's copy, made from the shared layout the first time.
    @inline(__always)
    mutating func layout(of id: ShapeID, resolver: ShapeResolver) throws(RecordError) -> ShapeLayout {
        if let copy = copies[id] { return copy }
        let layout = try resolver.shape(id).layout.privateCopy()
        if copies.sparseCount >= Self.sparseCapacity { copies.removeSparse() }
        copies[id] = layout
        return layout
    }
}
