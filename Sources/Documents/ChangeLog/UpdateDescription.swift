// UpdateDescription: MongoDB's change-stream `updateDescription` — updatedFields,
// removedFields, truncatedArrays — computed by diffing a document's old and new versions.
// Owns the diff only; the change log stores its result for `update` entries.

public import BSON

/// What an update changed, in dotted paths, as change streams report it.
public struct UpdateDescription: Sendable, Equatable {
    /// New or changed fields by dotted path (array elements by index: `tags.2`).
    public var updatedFields = BSONDocument()
    /// Dotted paths of fields the update removed.
    public var removedFields: [String] = []
    /// Arrays the update shortened: their path and new length.
    public var truncatedArrays: [(field: String, newSize: Int)] = []

    /// The changes that turn `old` into `new`: sub-documents and arrays are compared element
    /// by element, so `$set: {"a.b": 1}` reports `a.b`, and `$push` reports the new index.
    public init(from old: BSONDocument, to new: BSONDocument) {
        diff(old, new, prefix: "")
    }

    /// An empty description.
    public init() {}

    /// `{updatedFields, removedFields, truncatedArrays}`.
    public var document: BSONDocument {
        [
            "updatedFields": .document(updatedFields),
            "removedFields": .array(removedFields.map { .string($0) }),
            "truncatedArrays": .array(truncatedArrays.map {
                .document(["field": .string($0.field), "newSize": .int32(Int32(clamping: $0.newSize))])
            }),
        ]
    }

    public static func == (lhs: UpdateDescription, rhs: UpdateDescription) -> Bool {
        lhs.document == rhs.document
    }

    private mutating func diff(_ old: BSONDocument, _ new: BSONDocument, prefix: String) {
        for element in new {
            let path = prefix + element.key
            guard let before = old[element.key] else {
                updatedFields.append(path, element.value)
                continue
            }
            compare(before, element.value, path: path)
        }
        for element in old where new[element.key] == nil {
            removedFields.append(prefix + element.key)
        }
    }

    private mutating func compare(_ before: BSONValue, _ after: BSONValue, path: String) {
        switch (before, after) {
        case let (.document(oldDocument), .document(newDocument))
            where oldDocument.keys.filter({ newDocument[$0] != nil }) == newDocument.keys.filter({ oldDocument[$0] != nil }):
            // Same relative field order: report inside; otherwise the whole document changed.
            diff(oldDocument, newDocument, prefix: path + ".")
        case let (.array(oldElements), .array(newElements)):
            for index in 0..<min(oldElements.count, newElements.count) {
                compare(oldElements[index], newElements[index], path: "\(path).\(index)")
            }
            if newElements.count > oldElements.count {
                for index in oldElements.count..<newElements.count {
                    updatedFields.append("\(path).\(index)", newElements[index])
                }
            } else if newElements.count < oldElements.count {
                truncatedArrays.append((path, newElements.count))
            }
        default:
            if before != after || before.type != after.type {
                updatedFields.append(path, after)
            }
        }
    }
}
