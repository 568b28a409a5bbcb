// UpdateTree: an operator update parsed into one tree of paths, MongoDB's UpdateObjectNode /
// UpdateArrayNode / leaf design. Building the tree is where conflicting paths, bad field
// names and positional misuse are found; applying it lives in UpdateApplier.swift.

internal import BSON
internal import Documents

/// A node of the update tree: an inner node over a document, one over the elements of an
/// array (`$[]` and `$[<id>]`), or a leaf modifier at the end of a path.
indirect enum UpdateNode: Sendable {
    case object(ObjectNode)
    case array(ArrayNode)
    case leaf(Modifier)
}

/// The children of an inner node over a document, kept in MongoDB's processing order.
struct ObjectNode: Sendable {
    /// Named children, sorted by ``UpdatePath/precedes(_:_:)``.
    var children: [(name: String, node: UpdateNode)] = []
    /// The child reached through the positional `$` component.
    var positional: UpdateNode?

    func child(_ name: String) -> UpdateNode? {
        if name == "$" { return positional }
        return children.first { $0.name.hasSameBytes(as: name) }?.node
    }

    mutating func setChild(_ name: String, _ node: UpdateNode) {
        if name == "$" {
            positional = node
            return
        }
        if let index = children.firstIndex(where: { $0.name.hasSameBytes(as: name) }) {
            children[index].node = node
            return
        }
        let index = children.firstIndex { UpdatePath.precedes(name, $0.name) } ?? children.count
        children.insert((name, node), at: index)
    }
}

/// The children of an inner node over the elements of an array, by array filter
/// identifier (`""` for `$[]`), sorted like object children.
struct ArrayNode: Sendable {
    var children: [(identifier: String, node: UpdateNode)] = []

    func child(_ identifier: String) -> UpdateNode? {
        children.first { $0.identifier.hasSameBytes(as: identifier) }?.node
    }

    mutating func setChild(_ identifier: String, _ node: UpdateNode) {
        if let index = children.firstIndex(where: { $0.identifier.hasSameBytes(as: identifier) }) {
            children[index].node = node
            return
        }
        let index = children.firstIndex { UpdatePath.precedes(identifier, $0.identifier) } ?? children.count
        children.insert((identifier, node), at: index)
    }
}

extension String {
    /// Byte-wise equality of the UTF-8 encodings, as MongoDB compares field names (`==` on
    /// `String` would also equate canonically equivalent spellings).
    func hasSameBytes(as other: String) -> Bool {
        utf8.elementsEqual(other.utf8)
    }
}

/// Path rules shared by parsing and applying.
enum UpdatePath {
    /// Splits a dotted update path, keeping empty components so they can be reported.
    static func components(_ dotted: String) -> [String] {
        dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// MongoDB's `fieldchecker::isUpdatable`: no empty path, no empty component.
    static func checkUpdatable(_ dotted: String, _ components: [String]) throws(MongoError) {
        if dotted.isEmpty {
            throw MongoError(.emptyFieldName, "An empty update path is not valid.")
        }
        if components.contains(where: \.isEmpty) {
            throw MongoError(.emptyFieldName,
                             "The update path '\(dotted)' contains an empty field name, which is not allowed.")
        }
    }

    /// Whether a component is an array filter identifier, `$[]` or `$[<id>]`.
    static func isArrayFilterIdentifier(_ component: String) -> Bool {
        component.utf8.count >= 3 && component.hasPrefix("$[") && component.hasSuffix("]")
    }

    /// The identifier inside `$[<id>]` (`""` for `$[]`).
    static func identifier(_ component: String) -> String {
        String(component.dropFirst(2).dropLast())
    }

    /// MongoDB 5.0's processing order of sibling fields (`cmpPathsAndArrayIndexes`): names that
    /// are numbers without leading zeros in numeric order, everything else byte-wise.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        if x.isEmpty || y.isEmpty || !isDigit(x[0]) || !isDigit(y[0])
            || (x[0] == 0x30 && x.count > 1) || (y[0] == 0x30 && y.count > 1) {
            return x.lexicographicallyPrecedes(y)
        }
        if x.count != y.count { return x.count < y.count }
        var index = 0
        while index < x.count && isDigit(x[index]) && isDigit(y[index]) {
            if x[index] != y[index] { return x[index] < y[index] }
            index += 1
        }
        return x.lexicographicallyPrecedes(y)
    }
}

/// Builds the tree from the fields of the operators, as `UpdateObjectNode::parseAndMerge`.
struct UpdateTreeBuilder {
    var root = ObjectNode()
    let arrayFilterIdentifiers: Set<String>
    /// Identifiers some path used, for the "not used" check.
    var usedIdentifiers: Set<String> = []
    /// Whether a path used the positional `$`.
    var isPositional = false

    /// Checks `dotted` as a path an operator may update (`fieldchecker::isUpdatable` and the
    /// positional rules) and returns its components.
    mutating func checkPath(_ dotted: String) throws(MongoError) -> [String] {
        let components = UpdatePath.components(dotted)
        try UpdatePath.checkUpdatable(dotted, components)
        let positions = components.indices.filter { components[$0] == "$" }
        if positions.count > 1 {
            throw MongoError(.badValue, "Too many positional (i.e. '$') elements found in path '\(dotted)'")
        }
        if positions.first == 0 {
            throw MongoError(.badValue,
                             "Cannot have positional (i.e. '$') element in the first position in path '\(dotted)'")
        }
        if !positions.isEmpty { isPositional = true }
        return components
    }

    /// Adds `leaf` at `dotted`, a path ``checkPath(_:)`` accepted.
    mutating func add(_ leaf: Modifier, at dotted: String) throws(MongoError) {
        let components = UpdatePath.components(dotted)
        var node = UpdateNode.object(root)
        try insert(leaf, into: &node, components: components, level: 0, dotted: dotted)
        if case .object(let object) = node { root = object }
    }

    private mutating func childName(_ components: [String], _ level: Int, _ dotted: String) throws(MongoError) -> String {
        let component = components[level]
        guard UpdatePath.isArrayFilterIdentifier(component) else { return component }
        if level == 0 {
            throw MongoError(.badValue, "Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in path '\(dotted)'")
        }
        let identifier = UpdatePath.identifier(component)
        if !identifier.isEmpty {
            guard arrayFilterIdentifiers.contains(identifier) else {
                throw MongoError(.badValue, "No array filter found for identifier '\(identifier)' in path '\(dotted)'")
            }
            usedIdentifiers.insert(identifier)
        }
        return identifier
    }

    private mutating func insert(_ leaf: Modifier, into node: inout UpdateNode, components: [String],
                                 level: Int, dotted: String) throws(MongoError) {
        let name = try childName(components, level, dotted)
        let existing: UpdateNode?
        switch node {
        case .object(let object): existing = object.child(name)
        case .array(let array): existing = array.child(name)
        case .leaf: return
        }
        let replacement: UpdateNode
        if level == components.count - 1 {
            if existing != nil {
                throw MongoError(.conflictingUpdateOperators,
                                 "Updating the path '\(dotted)' would create a conflict at '\(dotted)'")
            }
            replacement = .leaf(leaf)
        } else {
            let childIsArray = UpdatePath.isArrayFilterIdentifier(components[level + 1])
            var child: UpdateNode
            if let existing {
                switch (existing, childIsArray) {
                case (.array, true), (.object, false):
                    child = existing
                default:
                    let prefix = components[0...level].joined(separator: ".")
                    throw MongoError(.conflictingUpdateOperators,
                                     "Updating the path '\(dotted)' would create a conflict at '\(prefix)'")
                }
            } else {
                child = childIsArray ? .array(ArrayNode()) : .object(ObjectNode())
            }
            try insert(leaf, into: &child, components: components, level: level + 1, dotted: dotted)
            replacement = child
        }
        switch node {
        case .object(var object):
            object.setChild(name, replacement)
            node = .object(object)
        case .array(var array):
            array.setChild(name, replacement)
            node = .array(array)
        case .leaf:
            break
        }
    }
}

extension UpdateNode {
    /// Two nodes that apply at the same place (a positional child and the child it resolves
    /// to, or several array filters matching one element) merged into one, as
    /// `UpdateNode::createUpdateNodeByMerging`; two leaves at one place are a conflict.
    static func merged(_ left: UpdateNode, _ right: UpdateNode, path: [String]) throws(MongoError) -> UpdateNode {
        switch (left, right) {
        case let (.object(a), .object(b)):
            var result = ObjectNode()
            for name in union(a.children.map(\.name), b.children.map(\.name)) {
                result.setChild(name, try mergedChild(a.child(name), b.child(name), path: path + [name]))
            }
            if a.positional != nil || b.positional != nil {
                result.positional = try mergedChild(a.positional, b.positional, path: path + ["$"])
            }
            return .object(result)
        case let (.array(a), .array(b)):
            var result = ArrayNode()
            for identifier in union(a.children.map(\.identifier), b.children.map(\.identifier)) {
                result.setChild(identifier, try mergedChild(a.child(identifier), b.child(identifier),
                                                            path: path + ["$[\(identifier)]"]))
            }
            return .array(result)
        default:
            throw MongoError(.conflictingUpdateOperators,
                             "Update created a conflict at '\(path.joined(separator: "."))'")
        }
    }

    private static func mergedChild(_ left: UpdateNode?, _ right: UpdateNode?, path: [String]) throws(MongoError) -> UpdateNode {
        switch (left, right) {
        case let (.some(a), .some(b)): return try merged(a, b, path: path)
        case let (.some(a), .none): return a
        case let (.none, .some(b)): return b
        case (.none, .none): return .object(ObjectNode())
        }
    }

    private static func union(_ a: [String], _ b: [String]) -> [String] {
        var seen = Set(a)
        var result = a
        for name in b where !seen.contains(name) {
            seen.insert(name)
            result.append(name)
        }
        return result
    }
}
