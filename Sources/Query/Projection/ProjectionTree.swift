// ProjectionTree: the parsed shape of a find projection, one node per path component, with
// MongoDB's path-collision rules (31249, 31250) enforced as nodes are added. Knows nothing
// of how a projection is applied.

internal import BSON
internal import Documents

/// The parsed projection: children in the order the specification gave them.
struct ProjectionTree: Sendable {
    /// What sits at a path.
    indirect enum Node: Sendable {
        /// An inner node: the next components.
        case path(ProjectionTree)
        /// `1`/`true` (included) or `0`/`false` (excluded).
        case boolean(Bool)
        /// A computed value: a literal, `$literal`, a field path, `$elemMatch`...
        case expression(ProjectionExpression)
        /// The find `$slice`: `n`, `-n` or `[skip, limit]`.
        case slice(skip: Int?, limit: Int)
        /// `<path>.$`.
        case positional
    }

    /// The children, in specification order.
    private(set) var children: [(name: String, node: Node)] = []

    /// The child named `name`.
    func child(_ name: String) -> Node? {
        children.first { $0.name.utf8.elementsEqual(name.utf8) }?.node
    }

    /// Adds `node` at `path` (relative to this tree), as MongoDB's `addNodeAtPath` does.
    mutating func add(_ node: Node, at path: FieldPath) throws(MongoError) {
        try add(node, at: path, component: 0)
    }

    private mutating func add(_ node: Node, at path: FieldPath, component: Int) throws(MongoError) {
        let name = path.components[component]
        let existing = children.firstIndex { $0.name.utf8.elementsEqual(name.utf8) }
        if component == path.components.count - 1 {
            guard existing == nil else {
                throw MongoError.location(31250, "Path collision at \(path.dotted)")
            }
            children.append((name, node))
            return
        }
        guard let existing else {
            var inner = ProjectionTree()
            try inner.add(node, at: path, component: component + 1)
            children.append((name, .path(inner)))
            return
        }
        guard case .path(var inner) = children[existing].node else {
            let tail = path.components.dropFirst().joined(separator: ".")
            throw MongoError.location(31249, "Path collision at \(path.dotted) remaining portion \(tail)")
        }
        try inner.add(node, at: path, component: component + 1)
        children[existing].node = .path(inner)
    }

    /// The inner node at `path`, if every component names an inner node.
    func innerTree(at path: ArraySlice<String>) -> ProjectionTree? {
        guard let name = path.first else { return self }
        guard case .path(let inner)? = child(name) else { return nil }
        return inner.innerTree(at: path.dropFirst())
    }

    /// Replaces the inner node at `path`, which must exist.
    mutating func replaceInnerTree(at path: ArraySlice<String>, with tree: ProjectionTree) {
        guard let name = path.first else {
            self = tree
            return
        }
        guard let index = children.firstIndex(where: { $0.name.utf8.elementsEqual(name.utf8) }),
              case .path(var inner) = children[index].node else { return }
        inner.replaceInnerTree(at: path.dropFirst(), with: tree)
        children[index].node = .path(inner)
    }

    /// Removes the child `name`.
    mutating func removeChild(_ name: String) {
        children.removeAll { $0.name.utf8.elementsEqual(name.utf8) }
    }
}
