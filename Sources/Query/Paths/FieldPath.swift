// FieldPath: a dotted field path (`a.b.0.c`) split into components once, shared by filters,
// projection, sort and updates. Validation rules follow MongoDB's for query paths. Each
// component's array-index reading is computed once here so traversals never re-parse it.

public import BSON
import Documents

/// A dotted path into a document, such as `hourly.07` or `players.0.name`.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    /// The components between the dots.
    public let components: [String]

    /// For each component, the array index it names when it is a canonical non-negative
    /// decimal (`"0"`, `"12"`; not `"01"` or `"-1"`), else `nil`. MongoDB reads such a
    /// component both as an array index and as a field name.
    public let arrayIndexes: [Int?]

    /// Splits `dotted` at its dots.
    ///
    /// - Throws: `BadValue` (2) for an empty path or an empty component.
    public init(_ dotted: String) throws(MongoError) {
        let parts = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !dotted.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw MongoError(.badValue, "FieldPath field names may not be empty strings.")
        }
        self.init(components: parts)
    }

    /// A path from components that are known to be valid.
    public init(components: [String]) {
        self.components = components
        arrayIndexes = components.map(FieldPath.arrayIndex(of:))
    }

    /// A path split at its dots without validation: empty components are kept, as MongoDB's
    /// query matcher allows (`{"": 1}` and `{"a..b": 1}` are legal filters that match by name).
    public init(unvalidated dotted: String) {
        self.init(components: dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
    }

    /// The path with its components joined by dots.
    public var dotted: String { components.joined(separator: ".") }

    /// The dotted form.
    public var description: String { dotted }

    /// The number of components.
    public var count: Int { components.count }

    /// The index `component` names in an array: digits only, no leading zero (except `"0"`),
    /// within `Int`'s range; `nil` otherwise.
    public static func arrayIndex(of component: String) -> Int? {
        let utf8 = component.utf8
        guard let first = utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        if first == UInt8(ascii: "0") { return utf8.count == 1 ? 0 : nil }
        var value = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}
