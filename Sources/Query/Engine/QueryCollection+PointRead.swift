// QueryCollection+PointRead: the point-read fast path of a find by `_id` — a filter that pins
// `_id` to one value (`{_id: v}` or `{_id: {$eq: v}}`) with no sort, skip or hint reads the
// document by its primary key (in the collection's transaction when it has one, else the
// latest committed state), with no planner and no executor. Anything else, and any `_id`
// whose meaning a collation changes (one holding strings under a non-simple collation), is
// left to the planned path, whose results this one must equal.

public import BSON
import Collation

extension QueryCollection {
    /// What ``pointRead(_:)`` did.
    public enum PointRead: Sendable {
        /// The query is not a plain read by `_id`: plan it with ``find(_:)``.
        case notApplicable
        /// The document with the `_id` (projected when the query has a projection), or nil
        /// when no document has it.
        case read(BSONDocument?)
    }

    /// The first result of `query` read by primary key when `query` is a point read by
    /// `_id` (see ``PointRead``); `.notApplicable` otherwise.
    ///
    /// - Throws: the projection's parse errors (as ``find(_:)`` would), and the store's.
    public func pointRead(_ query: FindQuery) throws(MongoError) -> PointRead {
        guard query.skip == 0, query.hint == nil, query.sort?.isEmpty ?? true, (query.limit ?? 0) >= 0,
              let id = Self.idEquality(query.filter) else { return .notApplicable }
        // A collation compares strings by their collation keys: `_id: "a"` could then match
        // a stored "A", which the key of "a" does not find.
        // One catalog lookup serves the read and the collation (read first: a collated
        // string `_id`, which then goes to the planned path, is the rare case).
        let (document, entry) = try collection.documentAndEntry(withID: id)
        let collator = try collator(defaultFrom: entry)
        if Collator.containsStrings(id), collator != nil { return .notApplicable }
        let projection = try query.projection.flatMap { (spec) throws(MongoError) -> Projection? in
            spec.isEmpty ? nil : try Projection(spec, filter: try Filter(query.filter, collator: collator))
        }
        guard let document else { return .read(nil) }
        guard let projection else { return .read(document) }
        return .read(try projection.apply(to: document))
    }
}
