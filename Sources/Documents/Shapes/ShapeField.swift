// One (field name, value kind) step of a shape: the label on an edge of the transition tree.

/// A field of a shape: its name and the kind of value it holds.
public struct ShapeField: Sendable, Hashable {
    /// The field name, exactly as in the document (any UTF-8, duplicates allowed in a shape).
    public let name: String
    /// The kind of value the field holds.
    public let kind: ValueKind

    /// A field with a name and a kind.
    public init(name: String, kind: ValueKind) {
        self.name = name
        self.kind = kind
    }
}
