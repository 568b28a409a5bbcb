// The tree an encoding builds before it becomes a BSONValue: documents and arrays that
// containers still append to, and encoders handed out by superEncoder(). Turned into
// BSON values once, at the end, so no document is ever copied while it grows.

/// One encoded value, possibly still being filled in by a container.
enum EncodedNode {
    /// A finished value.
    case value(BSONValue)
    /// A document a keyed container appends to.
    case document(PendingDocument)
    /// An array an unkeyed container appends to.
    case array(PendingArray)
    /// Whatever the encoder handed out by `superEncoder()` ends up holding.
    case deferred(BSONValueEncoder)

    /// The finished BSON value. An encoder that encoded nothing yields an empty document.
    func finish() -> BSONValue {
        switch self {
        case .value(let value): value
        case .document(let document): .document(document.finish())
        case .array(let array): .array(array.nodes.map { $0.finish() })
        case .deferred(let encoder): encoder.storage?.finish() ?? .document(BSONDocument())
        }
    }
}

/// A document under construction. Setting an existing key replaces its value in place
/// (the last write wins, as with Foundation's encoders); keys keep first-insertion order.
final class PendingDocument {
    /// Everything in one stored property, so each `set` makes one exclusivity access.
    private var fields = Fields()

    private struct Fields {
        var entries: [(key: String, node: EncodedNode)] = []
        var positions = KeyPositions()

        func position(of key: String) -> Int? { positions.position(of: key, in: entries.lazy.map(\.key)) }

        mutating func set(_ node: EncodedNode, forKey key: String) {
            if let position = position(of: key) {
                entries[position].node = node
            } else {
                // Most documents are small structs: one allocation instead of growing 1, 2, 4, 8.
                if entries.isEmpty { entries.reserveCapacity(8) }
                entries.append((key, node))
                positions.recordAppend(of: key, to: entries.lazy.map(\.key))
            }
        }
    }

    /// The node at `key`, if one was set.
    func node(forKey key: String) -> EncodedNode? { fields.position(of: key).map { fields.entries[$0].node } }

    /// Sets the node at `key`, replacing any earlier one.
    func set(_ node: EncodedNode, forKey key: String) { fields.set(node, forKey: key) }

    /// The finished document.
    func finish() -> BSONDocument {
        var document = BSONDocument()
        document.reserveCapacity(fields.entries.count)
        for (key, node) in fields.entries { document.append(key, node.finish()) }
        return document
    }
}

/// An array under construction.
final class PendingArray {
    private(set) var nodes: [EncodedNode] = []

    /// Appends a node.
    func append(_ node: EncodedNode) { nodes.append(node) }
}
