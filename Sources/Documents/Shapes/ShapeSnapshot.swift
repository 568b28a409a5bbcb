// An immutable view of a registry at one moment: shapes by id and the transition edges.
// Readers hold one and look shapes up without taking the registry's lock.

/// A consistent, immutable copy of a ``ShapeRegistry``'s shapes.
///
/// Taking a snapshot costs one uncontended lock and a few reference-count increments; lookups
/// in it are plain array and dictionary reads. A snapshot never sees shapes created after it
/// was taken: callers fall back to the registry for an id they do not find.
public struct ShapeSnapshot: Sendable {
    /// Shapes by id; `nil` where an id was never restored (a shape lost before it was
    /// persisted leaves a hole) or was reclaimed (ids are not reused while the process runs).
    private(set) var shapes: [Shape?]
    private(set) var transitions: TransitionTable

    init(root: Shape) {
        shapes = [root]
        transitions = TransitionTable()
    }

    /// The number of ids allocated so far (the next new shape gets this id), holes included.
    public var idCount: Int { shapes.count }

    /// The shape with this id, or `nil` if the snapshot has none.
    @inline(__always)
    public func shape(withID id: ShapeID) -> Shape? {
        let index = Int(id.rawValue)
        return index < shapes.count ? shapes[index] : nil
    }

    /// The child of `parent` reached by the field `(name, kind)`, if it exists.
    @inline(__always)
    func child(of parent: Shape, kind: ValueKind, name: UnsafeRawBufferPointer, nameHash: Int) -> Shape? {
        transitions.child(of: parent.id, kind: kind, name: name, nameHash: nameHash)
    }

    /// Adds `shape` to the ids only, not to the transitions: a second id another server gave
    /// an edge this snapshot already has (shared stores), found by id but never interned.
    mutating func insert(byIDOnly shape: Shape) {
        let index = Int(shape.id.rawValue)
        if index >= shapes.count {
            shapes.append(contentsOf: repeatElement(nil, count: index - shapes.count + 1))
        }
        shapes[index] = shape
    }

    /// Adds `shape`, whose id must be `idCount` or later (ids in between become holes).
    mutating func insert(_ shape: Shape, nameHash: Int) {
        let index = Int(shape.id.rawValue)
        if index >= shapes.count {
            shapes.append(contentsOf: repeatElement(nil, count: index - shapes.count + 1))
        }
        shapes[index] = shape
        transitions.insert(shape, nameHash: nameHash)
    }

    /// Removes `shape` (a reclaimed one): its id becomes a hole and its edge is forgotten, so
    /// no lookup finds it again. The caller makes sure no remaining shape is its child.
    mutating func remove(_ shape: Shape) {
        let index = Int(shape.id.rawValue)
        guard index > 0, index < shapes.count, shapes[index] === shape else { return }
        shapes[index] = nil
        let nameHash = shape.lastNameBytes.withUnsafeBytes { FieldNameIndex.hash($0) }
        transitions.remove(shape, nameHash: nameHash)
    }
}
