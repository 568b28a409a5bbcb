// Which shapes a document uses: the shape of the document itself and of every document nested
// in it, found by following the transition tree exactly as an encoder interns them, without
// interning anything. Shape reclamation marks these as in use.

import BSON

extension ShapeSnapshot {
    /// Adds to `used` the shape of `document` and of every document nested in it (embedded
    /// documents, documents in arrays, code-with-scope scopes): the shapes its record names.
    /// Returns `false` when one of them is not in this snapshot (nothing is then certain).
    func collectShapes(of document: BSONDocument, into used: inout Set<ShapeID>) -> Bool {
        guard var current = self.shape(withID: .root) else { return false }
        for element in document.elements {
            var key = element.key
            let kind = ValueKind(of: element.value)
            let parent = current
            let child = key.withUTF8 { buffer -> Shape? in
                let name = UnsafeRawBufferPointer(buffer)
                return self.child(of: parent, kind: kind, name: name, nameHash: FieldNameIndex.hash(name))
            }
            guard let child, collectNestedShapes(of: element.value, into: &used) else { return false }
            current = child
        }
        used.insert(current.id)
        return true
    }

    /// ``collectShapes(of:into:)`` for the documents inside `value`, if any.
    private func collectNestedShapes(of value: BSONValue, into used: inout Set<ShapeID>) -> Bool {
        switch value {
        case let .document(document):
            return collectShapes(of: document, into: &used)
        case let .array(values):
            for value in values where !collectNestedShapes(of: value, into: &used) { return false }
            return true
        case let .javascriptWithScope(code):
            return collectShapes(of: code.scope, into: &used)
        default:
            return true
        }
    }
}
