// ChangeStreamEvent: one change as a typed value — MongoSwift's `ChangeStreamEvent` — built
// from the engine's change event document: operation type, resume token, namespace, document
// key, update description and the full document (and pre-image) decoded as the collection's
// type.

/// What kind of change an event reports.
public enum OperationType: Sendable, Equatable, Hashable, RawRepresentable {
    /// A document was inserted.
    case insert
    /// A document was updated in place.
    case update
    /// A document was replaced.
    case replace
    /// A document was deleted.
    case delete
    /// The collection was dropped.
    case drop
    /// The collection was renamed.
    case rename
    /// The database was dropped.
    case dropDatabase
    /// The stream cannot go on (its collection was dropped or renamed); it ends after this.
    case invalidate
    /// A collection was created (expanded events).
    case create
    /// Indexes were created (expanded events).
    case createIndexes
    /// Indexes were dropped (expanded events).
    case dropIndexes
    /// A collection's options were changed (expanded events).
    case modify
    /// A kind this version does not name.
    case other(String)

    private static let named: [OperationType] = [
        .insert, .update, .replace, .delete, .drop, .rename, .dropDatabase, .invalidate, .create, .createIndexes,
        .dropIndexes, .modify,
    ]

    /// The kind called `rawValue` (`other` when it has no case).
    public init(rawValue: String) {
        self = Self.named.first { $0.rawValue == rawValue } ?? .other(rawValue)
    }

    /// MongoDB's name of the kind.
    public var rawValue: String {
        switch self {
        case .insert: "insert"
        case .update: "update"
        case .replace: "replace"
        case .delete: "delete"
        case .drop: "drop"
        case .rename: "rename"
        case .dropDatabase: "dropDatabase"
        case .invalidate: "invalidate"
        case .create: "create"
        case .createIndexes: "createIndexes"
        case .dropIndexes: "dropIndexes"
        case .modify: "modify"
        case let .other(name): name
        }
    }
}

/// A database and, for most events, a collection.
public struct MongoNamespace: Sendable, Equatable, Hashable {
    /// The database's name.
    public let db: String
    /// The collection's name (nil for database-wide events).
    public let collection: String?

    /// A namespace.
    public init(db: String, collection: String? = nil) {
        self.db = db
        self.collection = collection
    }

    init?(_ value: BSONValue?) {
        guard let document = value?.documentValue, let db = document["db"]?.stringValue else { return nil }
        self.init(db: db, collection: document["coll"]?.stringValue)
    }
}

/// What an update changed.
public struct UpdateDescription: Sendable, Equatable {
    /// The fields set, with their new values (dotted paths for nested fields).
    public let updatedFields: BSONDocument
    /// The fields removed.
    public let removedFields: [String]
    /// Arrays shortened by the update: each `{field, newSize}`.
    public let truncatedArrays: [BSONDocument]
}

/// One change, as a stream on a collection of `T` reports it.
public struct ChangeStreamEvent<T: Codable & Sendable>: Sendable {
    /// What kind of change.
    public let operationType: OperationType
    /// The event's resume token: open a stream with `resumeAfter` this to continue after it.
    public let _id: ResumeToken
    /// Where the change happened.
    public let ns: MongoNamespace?
    /// The new namespace of a `rename`.
    public let to: MongoNamespace?
    /// `{_id: ...}` of the changed document (document events only).
    public let documentKey: BSONDocument?
    /// What an `update` changed.
    public let updateDescription: UpdateDescription?
    /// The document: inserted, replaced, or (with ``ChangeStreamOptions/fullDocument``) updated.
    public let fullDocument: T?
    /// The document before the change (with ``ChangeStreamOptions/fullDocumentBeforeChange``).
    public let fullDocumentBeforeChange: T?
    /// When the change committed, as a cluster time (``ChangeStreamOptions/startAtOperationTime``).
    public let clusterTime: BSONTimestamp?
    /// When the change committed, by the wall clock.
    public let wallTime: BSONDateTime?

    /// The event's resume token (`_id`).
    public var resumeToken: ResumeToken { _id }

    /// The event the engine's event document describes.
    ///
    /// - Throws: `TypeMismatch` (14) when a document does not decode as `T`.
    init(_ event: BSONDocument) throws(TesseraError) {
        operationType = OperationType(rawValue: event["operationType"]?.stringValue ?? "")
        _id = ResumeToken(event["_id"]?.documentValue ?? BSONDocument())
        ns = MongoNamespace(event["ns"])
        to = MongoNamespace(event["to"])
        documentKey = event["documentKey"]?.documentValue
        if let description = event["updateDescription"]?.documentValue {
            updateDescription = UpdateDescription(
                updatedFields: description["updatedFields"]?.documentValue ?? BSONDocument(),
                removedFields: description["removedFields"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                truncatedArrays: description["truncatedArrays"]?.arrayValue?.compactMap(\.documentValue) ?? [])
        } else {
            updateDescription = nil
        }
        fullDocument = try Self.image(event["fullDocument"])
        fullDocumentBeforeChange = try Self.image(event["fullDocumentBeforeChange"])
        if case let .timestamp(time)? = event["clusterTime"] { clusterTime = time } else { clusterTime = nil }
        if case let .datetime(time)? = event["wallTime"] { wallTime = time } else { wallTime = nil }
    }

    private static func image(_ value: BSONValue?) throws(TesseraError) -> T? {
        guard let document = value?.documentValue else { return nil }
        return try DocumentCodec.decode(T.self, from: document)
    }
}
