// QueryCollection+WirePointRead: the point read of a find by `_id` written straight to BSON
// bytes (the server's reply path): the stored record becomes the reply's document without a
// BSONDocument in between. Applies where ``QueryCollection/pointRead(_:)`` reads by key
// with no projection; anything else (a missing collection or a view, an `_id` whose strings
// a collation compares) is left to the planned path.

public import BSON
import Collation
internal import Documents

extension QueryCollection {
    /// What ``appendPointReadBSON(id:to:)`` did.
    public enum WirePointRead: Sendable, Equatable {
        /// Not a plain read by key here (no such collection, or a collation applies to the
        /// `_id`): run the find through the planner.
        case notApplicable
        /// No document has the `_id`.
        case notFound
        /// The document's BSON was appended.
        case appended
    }

    /// Appends the BSON of the document `{_id: id}` matches to `out` (unchanged unless the
    /// result is `.appended`).
    ///
    /// - Throws: the store's errors, and InternalError for an unreadable record.
    public func appendPointReadBSON(id: BSONValue, to out: inout [UInt8]) throws(MongoError) -> WirePointRead {
        // A collation compares strings by their collation keys: `_id: "a"` could then match
        // a stored "A", which the key of "a" does not find.
        if Collator.containsStrings(id), try collator() != nil { return .notApplicable }
        switch try collection.appendBSON(ofDocumentWithID: id, to: &out) {
        case .noCollection: return .notApplicable
        case .notFound: return .notFound
        case .appended: return .appended
        }
    }
}
