// FieldPath: a dotted field path (`a.b.0.c`) split into components once, shared by filters,
// projection, sort and updates. Validation rules follow MongoDB's for query paths.

public import Documents

/// A dotted path into a document, such as `hourly.07` or `players.0.name`.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    /// The components between the dots.
    public let components: [String]

    /// Splits `dotted` at its dots.
    ///
    /// - Throws: `BadValue` (2) for an empty path or an empty component.
    public init(_ dotted: String) throws(MongoError) {
        let parts = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !dotted.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw MongoError(.badValue, "FieldPath field names may not be empty strings.")
        }
        components = parts
    }

    /// A path from components that are known to be valid.
    public init(components: [String]) {
        self.components = components
    }

    /// The path with its components joined by dots.
    public var dotted: String { components.joined(separator: ".") }

    /// The dotted form.
    public var description: String { dotted }
}
