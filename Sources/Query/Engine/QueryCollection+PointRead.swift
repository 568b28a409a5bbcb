// QueryCollection+PointRead: the point-read fast path of a find by `_id` — a filter that pins
// `_id` to one value (`{_id: v}` or `{_id: {$eq: v}}`) with no sort, skip or hint reads the
// document by its primary key (in the collection's transaction when it has one, else the
// latest committed state), with no planner and no executor. Anything else, and any `_id`
// whose meaning a collation changes (one holding strings under a non-simple collation), is
// left to the planned path, whose results this one must equal. One catalog lookup serves the
// collation check and the read; an unprojected hit is handed back undecoded (StoredDocument),
// so the embedded API can decode a Codable type straight from the record's fields.

public import BSON
import Collation
import Documents

extension QueryCollection {
    /// What ``pointRead(_:)`` did.
    public enum PointRead: Sendable {
        /// The query is not a plain read by `_id`: plan it with ``find(_:)``.
        case notApplicable
        /// The document with the `_id` projected by the query's projection, or nil when no
        /// document has it.
        case read(BSONDocument?)
        /// The document with the `_id` as stored (the query has no projection), for the
        /// caller to decode as it wants it.
        case stored(StoredDocument)
    }

    /// A document read by a point read, not yet decoded.
    public struct StoredDocument: Sendable {
        let record: Record

        /// The whole document.
        ///
        /// - Throws: `InternalError` (1) for a record that cannot be read.
        public func document() throws(MongoError) -> BSONDocument {
            do throws(RecordError) {
                return try record.document()
            } catch {
                throw MongoError(.internalError, "unreadable record: \(error.description)")
            }
        }

        /// The document decoded as `T` straight from its stored fields, or nil when that
        /// path does not cover `T` or the document does not fit it: decode ``document()``
        /// with BSONDecoder then, which gives the same value or the error.
        public func decodeFields<T: Decodable>(as type: T.Type) -> T? { record.decodeFields(as: type) }
    }

    /// The first result of `query` read by primary key when `query` is a point read by
    /// `_id` (see ``PointRead``); `.notApplicable` otherwise. The catalog is read once.
    ///
    /// - Throws: the projection's parse errors (as ``find(_:)`` would), and the store's.
    public func pointRead(_ query: FindQuery) throws(MongoError) -> PointRead {
        guard query.skip == 0, query.hint == nil, query.sort?.isEmpty ?? true, (query.limit ?? 0) >= 0,
              let id = Self.idEquality(query.filter) else { return .notApplicable }
        let projectionSpec = query.projection.flatMap { $0.isEmpty ? nil : $0 }
        let (record, description) = try collection.pointRecord(withID: id)
        // A collation compares strings by their collation keys: `_id: "a"` could then match
        // a stored "A", which the key of "a" does not find.
        let collator = try collator(defaultFrom: description)
        if Collator.containsStrings(id), collator != nil { return .notApplicable }
        let projection = try projectionSpec.map { (spec) throws(MongoError) -> Projection in
            try Projection(spec, filter: try Filter(query.filter, collator: collator))
        }
        guard let record else { return .read(nil) }
        guard let projection else { return .stored(StoredDocument(record: record)) }
        return .read(try projection.apply(to: try StoredDocument(record: record).document()))
    }
}
