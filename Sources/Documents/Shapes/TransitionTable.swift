// The edges of the shape transition tree: (parent id, kind, field name) → child shape, keyed
// by the name's hash and confirmed by comparing the name's bytes.

/// The transition edges of a registry, looked up by bytes (no String is made per lookup).
struct TransitionTable: Sendable {
    struct Key: Hashable, Sendable {
        var parent: UInt32
        var kind: UInt8
        var nameHash: Int
    }

    /// The first child inserted under each key.
    private var primary: [Key: Shape] = [:]
    /// Further children whose names collide on the same key (practically never used).
    private var collisions: [Key: [Shape]] = [:]

    init() {}

    /// The child of `parent` reached by a field named `name` (UTF-8 bytes, hashed to
    /// `nameHash`) of kind `kind`.
    func child(of parent: ShapeID, kind: ValueKind, name: UnsafeRawBufferPointer, nameHash: Int) -> Shape? {
        let key = Key(parent: parent.rawValue, kind: kind.rawValue, nameHash: nameHash)
        guard let first = primary[key] else { return nil }
        if Self.named(first, name) { return first }
        guard let others = collisions[key] else { return nil }
        for shape in others where Self.named(shape, name) { return shape }
        return nil
    }

    /// Adds the edge to `child` (whose name hashes to `nameHash`); the edge must be new.
    mutating func insert(_ child: Shape, nameHash: Int) {
        guard let parent = child.parent, let field = child.lastField else { return }
        let key = Key(parent: parent.id.rawValue, kind: field.kind.rawValue, nameHash: nameHash)
        if primary[key] == nil {
            primary[key] = child
        } else {
            collisions[key, default: []].append(child)
        }
    }

    /// Removes the edge to `child` (whose name hashes to `nameHash`), if it is there.
    mutating func remove(_ child: Shape, nameHash: Int) {
        guard let parent = child.parent, let field = child.lastField else { return }
        let key = Key(parent: parent.id.rawValue, kind: field.kind.rawValue, nameHash: nameHash)
        if primary[key] === child {
            if var others = collisions[key], !others.isEmpty {
                primary[key] = others.removeFirst()
                collisions[key] = others.isEmpty ? nil : others
            } else {
                primary[key] = nil
            }
        } else if var others = collisions[key] {
            others.removeAll { $0 === child }
            collisions[key] = others.isEmpty ? nil : others
        }
    }

    @inline(__always)
    private static func named(_ shape: Shape, _ name: UnsafeRawBufferPointer) -> Bool {
        shape.lastNameBytes.withUnsafeBytes { FieldNameIndex.equal($0, name) }
    }
}
