// QueryCollection's direct document access: inserts, a lookup by `_id`, scans in `_id` and
// in insertion (natural) order, and the facts of the collection itself (exists, capped
// limits) — the record-level operations commands need besides queries, so that nothing
// above the engine holds a Documents collection.

public import BSON
public import Documents

extension QueryCollection {
    /// Whether the collection exists in the catalog, or was created by the transaction this
    /// handle is in (writes create it; reads do not).
    public var exists: Bool {
        collection.catalogEntry != nil
    }

    /// The collection's capped bounds; nil when it is not capped (or does not exist).
    public var cappedLimits: CappedLimits? {
        collection.cappedLimits
    }

    /// Inserts `document` (given an `_id` if it has none) with its index entries; returns its `_id`.
    ///
    /// - Throws: `DuplicateKey` (11000), `BSONObjectTooLarge` (10334) and MongoDB's other
    ///   insert errors.
    @discardableResult
    public func insert(_ document: BSONDocument, writeConcern: WriteConcern = .acknowledged) throws(MongoError) -> BSONValue {
        try insertValidated(document, validator: try writeGuard(), writeConcern: writeConcern)
    }

    /// Inserts `documents` atomically: all of them with their index entries, or nothing.
    /// Returns their `_id`s.
    @discardableResult
    public func insert(contentsOf documents: [BSONDocument],
                       writeConcern: WriteConcern = .acknowledged) throws(MongoError) -> [BSONValue] {
        guard let validator = try writeGuard() else {
            return try collection.insert(contentsOf: documents, writeConcern: writeConcern)
        }
        var checked: [BSONDocument] = []
        checked.reserveCapacity(documents.count)
        for document in documents {
            let stored = Self.withID(document)
            try validator.check(stored)
            checked.append(stored)
        }
        return try collection.insert(contentsOf: checked, writeConcern: writeConcern)
    }

    /// The document whose `_id` is `id`, if any.
    public func document(withID id: BSONValue) throws(MongoError) -> BSONDocument? {
        try collection.document(withID: id)
    }

    /// Calls `body` with each document in `_id` order until it returns `false`, polling the
    /// collection's interrupt as it goes.
    public func forEachDocument(_ body: (BSONDocument) throws(MongoError) -> Bool) throws(MongoError) {
        try collection.forEachDocument(interrupt: interrupt, body)
    }

    /// Up to `limit` documents of a capped collection after insertion position `position`,
    /// each with its position, in insertion order.
    ///
    /// - Throws: `CappedPositionLost` (136) when the documents after `position` were evicted.
    public func naturalOrder(after position: UInt64, limit: Int) throws(MongoError) -> [(position: UInt64, document: BSONDocument)] {
        try collection.naturalOrder(after: position, limit: limit)
    }
}
