// Filter: the Query layer's entry point for MongoDB query filters. Parses a filter document
// once into a FilterNode tree (which the planner reads) and matches documents against it,
// reporting the positional index update and projection `$` need.

public import BSON
public import Collation
import Documents

/// A parsed MongoDB query filter.
public struct Filter: Sendable {
    /// The filter as given.
    public let spec: BSONDocument

    /// The parsed tree.
    public let root: FilterNode

    /// The collation string comparisons use (`nil`: the simple, binary one).
    public let collator: Collator?

    /// Parses `spec`; with a `collator`, its string comparisons (`$eq`, ranges, `$in`, `$expr`)
    /// follow that collation (`$regex` never does, as in MongoDB).
    ///
    /// - Throws: MongoDB's errors for malformed filters: `BadValue` (2) for unknown
    ///   operators and bad arguments, `FailedToParse` (9), `TypeMismatch` (14),
    ///   `Location51091` for an invalid regular expression, and the aggregation errors of a
    ///   malformed `$expr`.
    public init(_ spec: BSONDocument, collator: Collator? = nil) throws(MongoError) {
        self.spec = spec
        self.collator = collator
        let parsed = try FilterParser.parse(spec)
        root = collator.map { parsed.collated(by: $0) } ?? parsed
    }

    /// Whether `document` matches. A `$expr` that fails on this document counts as no match
    /// (use ``evaluate(_:)`` to see the error).
    public func matches(_ document: BSONDocument) -> Bool {
        match(document) != nil
    }

    /// The match details for `document`, or `nil` when it does not match (or `$expr` failed).
    public func match(_ document: BSONDocument) -> FilterMatch? {
        do {
            return try evaluate(document)
        } catch {
            return nil
        }
    }

    /// The match details for `document`, or `nil` when it does not match.
    ///
    /// - Throws: the error a `$expr` raised on this document (MongoDB fails the query).
    public func evaluate(_ document: BSONDocument) throws(MongoError) -> FilterMatch? {
        var elemMatchKey: Int?
        guard try root.matches(.document(document), elemMatchKey: &elemMatchKey, collator: collator) else { return nil }
        return FilterMatch(positionalIndex: elemMatchKey)
    }
}

/// What a successful match found out along the way.
public struct FilterMatch: Sendable, Equatable {
    /// For the positional `$` operator: the index, in the first array the matching path
    /// traversed, of the element that matched; `nil` when no array was traversed.
    public var positionalIndex: Int?

    /// A match.
    public init(positionalIndex: Int?) {
        self.positionalIndex = positionalIndex
    }
}
