// The options of the read operations, named and shaped as MongoSwift's (fields in alphabetical
// order, every one optional): find, findOne, countDocuments, estimatedDocumentCount, distinct,
// aggregate, and the index hint they share.

/// The index a read should use.
public enum IndexHint: Sendable, Equatable {
    /// The index with this name.
    case indexName(String)
    /// The index with this key pattern.
    case indexSpec(BSONDocument)

    /// The hint as the engine takes it.
    var value: BSONValue {
        switch self {
        case let .indexName(name): .string(name)
        case let .indexSpec(keys): .document(keys)
        }
    }
}

/// Options of ``TesseraCollection/find(_:options:session:)``.
public struct FindOptions: Sendable {
    /// Whether a sort past the memory limit (100 MiB) spills to disk instead of failing.
    public var allowDiskUse: Bool?
    /// How many documents the cursor reads from the engine at a time (default 1,000).
    public var batchSize: Int?
    /// How strings compare (`["locale": "en", "strength": 2]`); nil for the collection's
    /// default.
    public var collation: BSONDocument?
    /// The index to use.
    public var hint: IndexHint?
    /// The most documents to return; nil or 0 for no limit, a negative value as its magnitude.
    public var limit: Int?
    /// How long each read of the engine may take, in milliseconds.
    public var maxTimeMS: Int?
    /// Which fields to return (`{score: 1, _id: 0}`).
    public var projection: BSONDocument?
    /// How many matching documents to skip.
    public var skip: Int?
    /// The order (`{score: -1}`).
    public var sort: BSONDocument?

    /// Options; nil fields take the defaults.
    public init(allowDiskUse: Bool? = nil, batchSize: Int? = nil, collation: BSONDocument? = nil, hint: IndexHint? = nil,
                limit: Int? = nil, maxTimeMS: Int? = nil, projection: BSONDocument? = nil, skip: Int? = nil,
                sort: BSONDocument? = nil) {
        self.allowDiskUse = allowDiskUse
        self.batchSize = batchSize
        self.collation = collation
        self.hint = hint
        self.limit = limit
        self.maxTimeMS = maxTimeMS
        self.projection = projection
        self.skip = skip
        self.sort = sort
    }
}

/// Options of ``TesseraCollection/findOne(_:options:session:)``.
public struct FindOneOptions: Sendable {
    /// How strings compare; nil for the collection's default. A collation other than the
    /// simple one makes a string `_id` compare by it, so such a read is planned rather than
    /// read by key.
    public var collation: BSONDocument?
    /// The index to use.
    public var hint: IndexHint?
    /// How long the read may take, in milliseconds.
    public var maxTimeMS: Int?
    /// Which fields to return.
    public var projection: BSONDocument?
    /// How many matching documents to skip.
    public var skip: Int?
    /// Which document is first when several match.
    public var sort: BSONDocument?

    /// Options; nil fields take the defaults.
    public init(collation: BSONDocument? = nil, hint: IndexHint? = nil, maxTimeMS: Int? = nil,
                projection: BSONDocument? = nil, skip: Int? = nil, sort: BSONDocument? = nil) {
        self.collation = collation
        self.hint = hint
        self.maxTimeMS = maxTimeMS
        self.projection = projection
        self.skip = skip
        self.sort = sort
    }
}

/// Options of ``TesseraCollection/countDocuments(_:options:session:)``.
public struct CountDocumentsOptions: Sendable {
    /// The index to use.
    public var hint: IndexHint?
    /// The most documents to count.
    public var limit: Int?
    /// How long the count may take, in milliseconds.
    public var maxTimeMS: Int?
    /// How many matching documents to skip before counting.
    public var skip: Int?

    /// Options; nil fields take the defaults.
    public init(hint: IndexHint? = nil, limit: Int? = nil, maxTimeMS: Int? = nil, skip: Int? = nil) {
        self.hint = hint
        self.limit = limit
        self.maxTimeMS = maxTimeMS
        self.skip = skip
    }
}

/// Options of ``TesseraCollection/estimatedDocumentCount(options:session:)``.
public struct EstimatedDocumentCountOptions: Sendable {
    /// How long the count may take, in milliseconds.
    public var maxTimeMS: Int?

    /// Options; nil fields take the defaults.
    public init(maxTimeMS: Int? = nil) {
        self.maxTimeMS = maxTimeMS
    }
}

/// Options of ``TesseraCollection/distinct(fieldName:filter:options:session:)``.
public struct DistinctOptions: Sendable {
    /// How long the read may take, in milliseconds.
    public var maxTimeMS: Int?

    /// Options; nil fields take the defaults.
    public init(maxTimeMS: Int? = nil) {
        self.maxTimeMS = maxTimeMS
    }
}

/// Options of ``TesseraCollection/aggregate(_:options:session:)``.
public struct AggregateOptions: Sendable {
    /// Whether blocking stages past their memory limit (100 MiB) spill to disk instead of
    /// failing.
    public var allowDiskUse: Bool?
    /// How many results the cursor reads at a time (default 1,000).
    public var batchSize: Int?
    /// The index the leading `$match` or `$sort` should use.
    public var hint: IndexHint?
    /// Variables every stage can read as `$$name`.
    public var `let`: BSONDocument?
    /// How long each read of the engine may take, in milliseconds.
    public var maxTimeMS: Int?

    /// Options; nil fields take the defaults.
    public init(allowDiskUse: Bool? = nil, batchSize: Int? = nil, hint: IndexHint? = nil, `let`: BSONDocument? = nil,
                maxTimeMS: Int? = nil) {
        self.allowDiskUse = allowDiskUse
        self.batchSize = batchSize
        self.hint = hint
        self.let = `let`
        self.maxTimeMS = maxTimeMS
    }
}

/// Checks of the numbers the read options carry.
enum ReadNumbers {
    /// The cursors' batch size when none is given.
    static let defaultBatchSize = 1000

    /// A batch size: the option, or the default for nil or 0.
    ///
    /// - Throws: `BadValue` for a negative size.
    static func batchSize(_ value: Int?) throws(TesseraError) -> Int {
        guard let value, value != 0 else { return defaultBatchSize }
        guard value > 0 else { throw .badValue("batchSize must be non-negative, but received: \(value)") }
        return value
    }

    /// A limit: nil for none (nil or 0), a negative one as its magnitude, as MongoDB's find.
    static func limit(_ value: Int?) -> Int? {
        guard let value, value != 0 else { return nil }
        return Int(clamping: value.magnitude)
    }

    /// A skip.
    ///
    /// - Throws: `BadValue` for a negative skip.
    static func skip(_ value: Int?) throws(TesseraError) -> Int {
        guard let value else { return 0 }
        guard value >= 0 else { throw .badValue("skip value must be non-negative, but received: \(value)") }
        return value
    }
}
