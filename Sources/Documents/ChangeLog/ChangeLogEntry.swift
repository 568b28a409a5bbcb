// ChangeLogEntry: one committed write as the change log records it — sequence number,
// operation, namespace, document key, the full document (an update's post-image too, so the
// log can redo every write) — and its stored form (BSON, keyed by the big-endian sequence
// number). Owns the encoding; no storage access.

public import BSON

/// One committed change, as read back from the change log.
public struct ChangeLogEntry: Sendable, Equatable {
    /// What kind of change it was.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        /// A document was inserted; `document` is it.
        case insert
        /// A document was replaced; `document` is the new version.
        case replace
        /// A document was changed in place by a delta (see `DocumentCollection.applyDeltas`);
        /// `document` is MongoDB's update description, `{updatedFields: {<dotted path>:
        /// <new value>, ...}, removedFields: []}`, not the whole document. So that a restore
        /// can redo it exactly, the entry also keeps the whole new version (`postImage`, read
        /// on request) or, for a delta update, says its `updatedFields` redo it
        /// (`updatedFieldsRedo`).
        case update
        /// A document was deleted; `documentKey` says which.
        case delete
        /// A collection was created (explicitly or by its first insert).
        case create
        /// A collection was dropped.
        case drop
        /// A database and all its collections were dropped.
        case dropDatabase
        /// An index was added to the catalog; `document` is `{name, key, options}`.
        case createIndex
        /// An index was removed from the catalog; `document` is `{name}`.
        case dropIndex
        /// A collection was renamed; `document` is `{to: "<db>.<collection>"}`, plus
        /// `dropTarget: <uuid>` when a target was dropped.
        case rename
        /// A collection's or an index's options changed (collMod), or a view was modified;
        /// `document` is `{operationDescription, stateBeforeChange?}` as change streams show
        /// it. Informational: a restore does not redo it.
        case modify
    }

    /// The commit order of the change; strictly increasing, starting at 1.
    public let sequence: UInt64
    /// The kind of change.
    public let operation: Operation
    /// The database changed.
    public let database: String
    /// The collection changed; `nil` for `dropDatabase`.
    public let collection: String?
    /// The `_id` of the document changed, for document operations.
    public let documentKey: BSONValue?
    /// The inserted or replacing document, or the index description.
    public let document: BSONDocument?
    /// When the change committed, by the wall clock.
    public let wallTime: BSONDateTime
    /// The document before an update, replace or delete, kept only for collections with
    /// `changeStreamPreAndPostImages: {enabled: true}`.
    public let preImage: BSONDocument?
    /// The whole document after an update, when the entry was read with post-images (see
    /// ``ChangeLog/entries(after:limit:postImages:)``); `nil` otherwise and for other operations.
    public let postImage: BSONDocument?
    /// The internal id of the collection changed (its UUID, ``CollectionDescription/uuid(ofID:)``),
    /// when the entry recorded it.
    public let collectionID: UInt64?
    /// For an update: setting `document`'s `updatedFields` in order — each a dotted path
    /// through embedded documents, an existing field replaced in place, a new one appended to
    /// its document — turns the old version into the new one exactly (delta updates).
    public let updatedFieldsRedo: Bool

    /// An entry from its parts.
    public init(
        sequence: UInt64, operation: Operation, database: String, collection: String?,
        documentKey: BSONValue? = nil, document: BSONDocument? = nil, wallTime: BSONDateTime,
        preImage: BSONDocument? = nil, postImage: BSONDocument? = nil, updatedFieldsRedo: Bool = false,
        collectionID: UInt64? = nil
    ) {
        self.sequence = sequence
        self.operation = operation
        self.database = database
        self.collection = collection
        self.documentKey = documentKey
        self.document = document
        self.wallTime = wallTime
        self.preImage = preImage
        self.postImage = postImage
        self.updatedFieldsRedo = updatedFieldsRedo
        self.collectionID = collectionID
    }

    /// `database.collection`, or just the database for `dropDatabase`.
    public var namespace: String {
        collection.map { "\(database).\($0)" } ?? database
    }

    /// The key of sequence number `sequence`: 8 bytes, big-endian, so keys sort in commit order.
    static func key(_ sequence: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(8)
        KeyEncoding.appendBigEndian(sequence, to: &key)
        return key
    }

    /// The stored value: `{op, db, coll?, key?, doc? | rec?, wall, pre?, post?, redo?, cid?}` as BSON
    /// (the sequence is the key). A document that has been shape-encoded is stored as its
    /// record bytes (`rec`, a binary), so the log costs what the collection costs; other
    /// documents as BSON (`doc`). An update's new version is its record bytes (`post`);
    /// `redo: true` marks `updatedFieldsRedo`.
    func storedValue(record: [UInt8]?, postImage: [UInt8]? = nil) throws(BSONError) -> [UInt8] {
        var stored = BSONDocument()
        stored.append("op", .string(operation.rawValue))
        stored.append("db", .string(database))
        if let collection { stored.append("coll", .string(collection)) }
        if let documentKey { stored.append("key", documentKey) }
        if let record {
            stored.append("rec", .binary(BSONBinary(subtype: .userDefined, bytes: record)))
        } else if let document {
            stored.append("doc", .document(document))
        }
        stored.append("wall", .datetime(wallTime))
        if let preImage { stored.append("pre", .document(preImage)) }
        if let postImage { stored.append("post", .binary(BSONBinary(subtype: .userDefined, bytes: postImage))) }
        if updatedFieldsRedo { stored.append("redo", .bool(true)) }
        if let collectionID {
            // An int32 while it fits: 4 bytes less on every entry.
            stored.append("cid", Int32(exactly: collectionID).map { .int32($0) } ?? .int64(Int64(bitPattern: collectionID)))
        }
        return try stored.bsonBytes()
    }

    /// A stored `cid`: an int32 or an int64.
    private static func collectionID(_ value: BSONValue?) -> UInt64? {
        switch value {
        case let .int32(id)?: UInt64(exactly: id)
        case let .int64(id)?: UInt64(bitPattern: id)
        default: nil
        }
    }

    /// Reads a stored entry, decoding a record with `decoder` (and an update's post-image when
    /// `postImages`); `nil` if the bytes are not one.
    init?(key: [UInt8], value: [UInt8], decoder: RecordDecoder, postImages: Bool = false) {
        guard let sequence = CatalogKey.uint64(key),
              let stored = try? BSONDocument(bsonBytes: value),
              case let .string(op)? = stored["op"], let operation = Operation(rawValue: op),
              case let .string(database)? = stored["db"],
              case let .datetime(wallTime)? = stored["wall"]
        else { return nil }
        var document = stored["doc"]?.documentValue
        if case let .binary(record)? = stored["rec"] {
            guard let decoded = try? decoder.document(record.bytes) else { return nil }
            document = decoded
        }
        var postImage: BSONDocument?
        if postImages, case let .binary(record)? = stored["post"] {
            guard let decoded = try? decoder.document(record.bytes) else { return nil }
            postImage = decoded
        }
        self.init(sequence: sequence, operation: operation, database: database, collection: stored["coll"]?.stringValue,
                  documentKey: stored["key"], document: document, wallTime: wallTime,
                  preImage: stored["pre"]?.documentValue, postImage: postImage,
                  updatedFieldsRedo: stored["redo"]?.boolValue == true,
                  collectionID: Self.collectionID(stored["cid"]))
    }
}
