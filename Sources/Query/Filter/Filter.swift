// STUB (replaced by the filter work): the public face of a parsed query filter, so other
// parts of the Query layer can be written against it.

public import BSON
public import Documents

/// A parsed MongoDB query filter.
public struct Filter: Sendable {
    /// The filter as given.
    public let spec: BSONDocument

    /// Parses `spec`.
    public init(_ spec: BSONDocument) throws(MongoError) {
        self.spec = spec
    }

    /// Whether `document` matches.
    public func matches(_ document: BSONDocument) -> Bool {
        match(document) != nil
    }

    /// The match details for `document`, or `nil` when it does not match.
    public func match(_ document: BSONDocument) -> FilterMatch? {
        spec.isEmpty ? FilterMatch(positionalIndex: nil) : nil
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
