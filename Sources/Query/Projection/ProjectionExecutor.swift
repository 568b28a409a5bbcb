// ProjectionExecutor: applies a parsed projection to one document the way MongoDB's find
// executor does — inclusion or exclusion nodes walked in the document's field order,
// computed fields added after, then `$slice` and positional `$` applied to the result.

internal import BSON
internal import Documents

/// The executable form of a projection.
struct ProjectionExecutor: Sendable {
    /// One level of the projection: which fields are projected, recursed into or computed.
    struct Node: Sendable {
        /// Fields included (inclusion) or removed (exclusion) as a whole.
        var projected: Set<FieldName> = []
        /// Fields whose value is projected further.
        var children: [FieldName: Node] = [:]
        /// Computed fields.
        var expressions: [FieldName: ProjectionExpression] = [:]
        /// Children and computed fields in the order they were added.
        var order: [String] = []
        /// Whether any computed field lies at or below this node.
        var hasComputed = false

        mutating func addProjection(_ path: ArraySlice<String>) {
            guard let name = path.first else { return }
            let key = FieldName(name)
            if path.count == 1 {
                projected.insert(key)
                return
            }
            if children[key] == nil { order.append(name) }
            children[key, default: Node()].addProjection(path.dropFirst())
        }

        mutating func addExpression(_ path: ArraySlice<String>, _ expression: ProjectionExpression) {
            guard let name = path.first else { return }
            let key = FieldName(name)
            hasComputed = true
            if path.count == 1 {
                expressions[key] = expression
                order.append(name)
                return
            }
            if children[key] == nil { order.append(name) }
            children[key, default: Node()].addExpression(path.dropFirst(), expression)
        }
    }

    /// A step applied to the whole projected document: find's `$slice` or positional `$`.
    enum Finisher: Sendable {
        case slice(path: [String], skip: Int?, limit: Int)
        case positional(path: [String])
    }

    let isInclusion: Bool
    private(set) var root = Node()
    private(set) var finishers: [Finisher] = []

    /// Builds the executor for `tree`.
    init(tree: ProjectionTree, isInclusion: Bool) {
        self.isInclusion = isInclusion
        build(tree, prefix: [])
    }

    private mutating func build(_ tree: ProjectionTree, prefix: [String]) {
        for (name, node) in tree.children {
            let path = prefix + [name]
            switch node {
            case .path(let inner):
                build(inner, prefix: path)
            case .boolean(let included):
                if isInclusion && path == ["_id"] && !included { continue }
                root.addProjection(path[...])
            case .expression(let expression):
                root.addExpression(path[...], expression)
            case .slice(let skip, let limit):
                if isInclusion { root.addProjection(path[...]) }
                finishers.append(.slice(path: path, skip: skip, limit: limit))
            case .positional:
                root.addProjection(path[...])
                finishers.append(.positional(path: path))
            }
        }
    }

    /// Projects `document`; `positionalIndex` is the matched array index for `$`.
    func apply(to document: BSONDocument, positionalIndex: Int?) throws(MongoError) -> BSONDocument {
        var output = try project(document, with: root, root: document)
        for finisher in finishers {
            switch finisher {
            case .slice(let path, let skip, let limit):
                output = Self.slice(output, path: path, at: 0, skip: skip, limit: limit)
            case .positional(let path):
                output = try Self.positional(output, path: path, index: positionalIndex)
            }
        }
        return output
    }

    // MARK: Inclusion and exclusion

    private typealias Draft = [(key: String, value: BSONValue?)]

    private func project(_ input: BSONDocument, with node: Node, root: BSONDocument) throws(MongoError) -> BSONDocument {
        var draft: Draft = isInclusion ? [] : input.elements.map { ($0.key, $0.value) }
        for (index, element) in input.enumerated() {
            let key = FieldName(element.key)
            if node.projected.contains(key) {
                if isInclusion { draft.append((element.key, element.value)) } else { draft[index].value = nil }
            } else if let child = node.children[key] {
                let projected = try project(element.value, with: child, root: root)
                if isInclusion { draft.append((element.key, projected)) } else { draft[index].value = projected }
            }
        }
        if node.hasComputed {
            try addComputed(node, to: &draft, root: root)
        }
        return Self.finish(draft)
    }

    /// A value under `node`: documents are projected, arrays element by element (nested
    /// arrays too, as find does), other values dropped by inclusion and kept by exclusion.
    /// `nil` is a missing value.
    private func project(_ value: BSONValue, with node: Node, root: BSONDocument) throws(MongoError) -> BSONValue? {
        switch value {
        case .document(let document):
            return .document(try project(document, with: node, root: root))
        case .array(let elements):
            var projected: [BSONValue] = []
            projected.reserveCapacity(elements.count)
            for element in elements {
                if let value = try project(element, with: node, root: root) { projected.append(value) }
            }
            return .array(projected)
        default:
            if node.hasComputed { return .document(try computedOnly(node, root: root)) }
            return isInclusion ? BSONValue?.none : value
        }
    }

    /// Sets the computed fields of `node` in `draft`, in specification order: a field that
    /// exists keeps its place, a new one goes last.
    private func addComputed(_ node: Node, to draft: inout Draft, root: BSONDocument) throws(MongoError) {
        for name in node.order {
            let key = FieldName(name)
            if let expression = node.expressions[key] {
                Self.set(name, try expression.evaluate(root: root), in: &draft)
            } else if let child = node.children[key], child.hasComputed,
                      !draft.contains(where: { $0.key.utf8.elementsEqual(name.utf8) }) {
                Self.set(name, .document(try computedOnly(child, root: root)), in: &draft)
            }
        }
    }

    /// A new document holding only the computed fields at and below `node`.
    private func computedOnly(_ node: Node, root: BSONDocument) throws(MongoError) -> BSONDocument {
        var draft: Draft = []
        try addComputed(node, to: &draft, root: root)
        return Self.finish(draft)
    }

    private static func set(_ name: String, _ value: BSONValue?, in draft: inout Draft) {
        if let index = draft.firstIndex(where: { $0.key.utf8.elementsEqual(name.utf8) }) {
            draft[index].value = value
        } else {
            draft.append((name, value))
        }
    }

    private static func finish(_ draft: Draft) -> BSONDocument {
        var document = BSONDocument()
        document.reserveCapacity(draft.count)
        for (key, value) in draft {
            if let value { document.append(key, value) }
        }
        return document
    }

    // MARK: $slice

    private static func slice(_ document: BSONDocument, path: [String], at index: Int, skip: Int?, limit: Int) -> BSONDocument {
        let name = path[index]
        guard let value = document[name] else { return document }
        let isLast = index + 1 == path.count
        var output = document
        switch value {
        case .array(let elements) where isLast:
            output[name] = .array(sliceArray(elements, skip: skip, limit: limit))
        case .array(let elements):
            output[name] = .array(elements.map { element in
                guard case .document(let inner) = element else { return element }
                return .document(slice(inner, path: path, at: index + 1, skip: skip, limit: limit))
            })
        case .document(let inner) where !isLast:
            output[name] = .document(slice(inner, path: path, at: index + 1, skip: skip, limit: limit))
        default:
            break
        }
        return output
    }

    /// `limit` (negative: from the end) elements, after skipping `skip` (negative: from the end).
    static func sliceArray(_ array: [BSONValue], skip: Int?, limit: Int) -> [BSONValue] {
        let count = array.count
        var start = 0
        var forward = 0
        if let skip {
            start = skip < 0 ? max(0, count + skip) : min(count, skip)
            forward = min(count - start, max(limit, 0))
        } else if limit < 0 {
            start = max(0, count + limit)
            forward = count - start
        } else {
            forward = min(count, limit)
        }
        return Array(array[start..<(start + forward)])
    }

    // MARK: Positional $

    /// Replaces the first array on `path` with its element at `index`.
    private static func positional(_ document: BSONDocument, path: [String], index: Int?) throws(MongoError) -> BSONDocument {
        var current = document
        for depth in path.indices {
            switch current[path[depth]] {
            case .array(let elements)?:
                guard let index else {
                    throw MongoError.location(51246, "positional operator '.$' couldn't find a matching element in the array")
                }
                guard elements.indices.contains(index) else {
                    throw MongoError.location(51247, "positional operator '.$' element mismatch")
                }
                return setNested(document, path[...depth], .array([elements[index]]))
            case .document(let inner)?:
                current = inner
            default:
                continue
            }
        }
        return document
    }

    /// `document` with `value` at `path`, creating (or replacing non-document) parents.
    private static func setNested(_ document: BSONDocument, _ path: ArraySlice<String>, _ value: BSONValue) -> BSONDocument {
        guard let name = path.first else { return document }
        var output = document
        if path.count == 1 {
            output[name] = value
        } else {
            let inner = output[name]?.documentValue ?? BSONDocument()
            output[name] = .document(setNested(inner, path.dropFirst(), value))
        }
        return output
    }
}

/// A field name compared and hashed by its UTF-8 bytes, as BSON compares keys (Swift's
/// `String ==` would treat canonically equivalent spellings as one field).
struct FieldName: Hashable, Sendable {
    let name: String

    init(_ name: String) { self.name = name }

    static func == (lhs: FieldName, rhs: FieldName) -> Bool {
        lhs.name.utf8.elementsEqual(rhs.name.utf8)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(name.utf8.count)
        for byte in name.utf8 { hasher.combine(byte) }
    }
}
