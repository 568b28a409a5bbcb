// IndexModel and IndexOptions: an index as MongoSwift describes it — key pattern plus options
// (name, unique, sparse, TTL, partial filter, hidden, wildcard projection) — converted to and
// from the options document the engine's catalog keeps.

/// An index: its key pattern and options.
public struct IndexModel: Sendable, Equatable, Codable {
    /// The key pattern (`{game: 1, score: -1}`).
    public let keys: BSONDocument
    /// Its options; the name is generated from the keys when none is given.
    public let options: IndexOptions?

    /// An index on `keys` with `options`.
    public init(keys: BSONDocument, options: IndexOptions? = nil) {
        self.keys = keys
        self.options = options
    }
}

/// An index's options.
public struct IndexOptions: Sendable, Equatable, Codable {
    /// Accepted for MongoSwift compatibility: index builds do not block other operations'
    /// progress beyond their own commit.
    public var background: Bool?
    /// For a TTL index on a date field: seconds after that date when a document is deleted.
    public var expireAfterSeconds: Int?
    /// Whether the planner ignores the index (it is still maintained).
    public var hidden: Bool?
    /// The index's name (default: the key pattern, as `game_1_score_-1`).
    public var name: String?
    /// Index only the documents matching this filter.
    public var partialFilterExpression: BSONDocument?
    /// Leave out documents that lack the indexed fields.
    public var sparse: Bool?
    /// Refuse two documents with the same key.
    public var unique: Bool?
    /// Which fields a wildcard (`$**`) index covers.
    public var wildcardProjection: BSONDocument?

    /// Options; nil fields take the defaults.
    public init(background: Bool? = nil, expireAfterSeconds: Int? = nil, hidden: Bool? = nil, name: String? = nil,
                partialFilterExpression: BSONDocument? = nil, sparse: Bool? = nil, unique: Bool? = nil,
                wildcardProjection: BSONDocument? = nil) {
        self.background = background
        self.expireAfterSeconds = expireAfterSeconds
        self.hidden = hidden
        self.name = name
        self.partialFilterExpression = partialFilterExpression
        self.sparse = sparse
        self.unique = unique
        self.wildcardProjection = wildcardProjection
    }

    /// The options as the engine takes them (without the name, which it takes apart).
    var document: BSONDocument {
        var document = BSONDocument()
        if let background { document.append("background", .bool(background)) }
        if let expireAfterSeconds { document.append("expireAfterSeconds", .int64(Int64(expireAfterSeconds))) }
        if let hidden { document.append("hidden", .bool(hidden)) }
        if let partialFilterExpression { document.append("partialFilterExpression", .document(partialFilterExpression)) }
        if let sparse { document.append("sparse", .bool(sparse)) }
        if let unique { document.append("unique", .bool(unique)) }
        if let wildcardProjection { document.append("wildcardProjection", .document(wildcardProjection)) }
        return document
    }

    /// The options of an index the catalog describes, named `name`.
    init(name: String, catalogOptions options: BSONDocument) {
        self.name = name
        background = options["background"]?.boolValue
        expireAfterSeconds = options["expireAfterSeconds"]?.int64Value.map { Int(clamping: $0) }
        hidden = options["hidden"]?.boolValue
        partialFilterExpression = options["partialFilterExpression"]?.documentValue
        sparse = options["sparse"]?.boolValue
        unique = options["unique"]?.boolValue
        wildcardProjection = options["wildcardProjection"]?.documentValue
    }
}

/// Options of index creation.
public struct CreateIndexOptions: Sendable {
    /// How long the build may take, in milliseconds.
    public var maxTimeMS: Int?

    /// Options; nil fields take the defaults.
    public init(maxTimeMS: Int? = nil) {
        self.maxTimeMS = maxTimeMS
    }
}
