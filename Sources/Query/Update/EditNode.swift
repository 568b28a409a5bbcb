// EditNode: the mutable, lazily expanded element tree an update is applied to, MongoDB's
// mutablebson in miniature. Only containers an update walks into are expanded; everything
// else keeps its BSONValue untouched and is handed back as is.

internal import BSON

/// One element of a document under update: a field of a document, an element of an array,
/// or the root document itself.
///
/// A container starts as its `BSONValue` and is split into child nodes only when an update
/// navigates into it, so the cost of an update follows the paths it touches, not the size of
/// the document.
final class EditNode {
    /// The field name (array elements and the root have no meaningful name).
    var name: String
    private var content: Content

    private enum Content {
        /// A scalar, or a container nobody has walked into.
        case value(BSONValue)
        case document([EditNode])
        case array([EditNode])
    }

    /// An element holding `value`.
    init(name: String, value: BSONValue) {
        self.name = name
        self.content = .value(value)
    }

    /// The root of an editable copy of `document`.
    convenience init(root document: BSONDocument) {
        self.init(name: "", value: .document(document))
    }

    /// The BSON type of the element's value.
    var type: BSONType {
        switch content {
        case .value(let value): value.type
        case .document: .document
        case .array: .array
        }
    }

    var isDocument: Bool { type == .document }
    var isArray: Bool { type == .array }

    /// The element's value, rebuilt from its children where they were expanded.
    var value: BSONValue {
        switch content {
        case .value(let value):
            return value
        case .document(let children):
            var document = BSONDocument()
            document.reserveCapacity(children.count)
            for child in children { document.append(child.name, child.value) }
            return .document(document)
        case .array(let children):
            return .array(children.map(\.value))
        }
    }

    /// The element's value as a document (the root's value).
    var documentValue: BSONDocument {
        if case .document(let document) = value { return document }
        return BSONDocument()
    }

    /// Replaces the element's value.
    func setValue(_ value: BSONValue) {
        content = .value(value)
    }

    /// The children of a document or array, expanding it on first use; empty for scalars.
    var children: [EditNode] {
        expand()
        switch content {
        case .document(let children), .array(let children): return children
        case .value: return []
        }
    }

    /// The first child named `name` of a document.
    func child(named name: String) -> EditNode? {
        guard isDocument else { return nil }
        return children.first { $0.name.hasSameBytes(as: name) }
    }

    /// The child at `index` of an array.
    func child(at index: Int) -> EditNode? {
        guard isArray else { return nil }
        let all = children
        return index < all.count ? all[index] : nil
    }

    /// The child a path component names: a field of a document, or, for an array, the
    /// element at a component that is an unsigned decimal number.
    func child(for component: String) -> EditNode? {
        switch type {
        case .document: return child(named: component)
        case .array: return arrayIndex(component).flatMap { child(at: $0) }
        default: return nil
        }
    }

    /// Appends a child to a document or array.
    func append(_ node: EditNode) {
        expand()
        switch content {
        case .document(var children):
            content = .value(.null)
            children.append(node)
            content = .document(children)
        case .array(var children):
            content = .value(.null)
            node.name = String(children.count)
            children.append(node)
            content = .array(children)
        case .value:
            break
        }
    }

    /// Removes `node` (by identity) from this document or array.
    func remove(_ node: EditNode) {
        expand()
        switch content {
        case .document(var children):
            content = .value(.null)
            children.removeAll { $0 === node }
            content = .document(children)
        case .array(var children):
            content = .value(.null)
            children.removeAll { $0 === node }
            for (index, child) in children.enumerated() { child.name = String(index) }
            content = .array(children)
        case .value:
            break
        }
    }

    private func expand() {
        guard case .value(let value) = content else { return }
        switch value {
        case .document(let document):
            content = .document(document.elements.map { EditNode(name: $0.key, value: $0.value) })
        case .array(let values):
            var children: [EditNode] = []
            children.reserveCapacity(values.count)
            for (index, element) in values.enumerated() {
                children.append(EditNode(name: String(index), value: element))
            }
            content = .array(children)
        default:
            break
        }
    }

    /// MongoDB's `toString()` of this element: `name: value`.
    var text: String { ValueText.element(name, value) }
}

/// An array index written in a path component: decimal digits only, as MongoDB's
/// `parseUnsignedBase10Integer` accepts them (leading zeros allowed).
func arrayIndex(_ component: String) -> Int? {
    guard !component.isEmpty, component.utf8.count <= 18,
          component.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
    return Int(component)
}
