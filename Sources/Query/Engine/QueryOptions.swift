// The options and results of the Query layer's operations, named as in MongoDB's commands
// (find, update, delete, count, distinct) so the wire layer maps them one to one.

public import BSON
public import Documents

/// A find: filter, projection, sort, skip, limit and an optional index hint.
public struct FindQuery: Sendable {
    /// The query filter.
    public var filter: BSONDocument
    /// The projection, if any.
    public var projection: BSONDocument?
    /// The sort specification, if any.
    public var sort: BSONDocument?
    /// How many matches to skip.
    public var skip: Int
    /// The most documents to return (`nil`: no limit).
    public var limit: Int?
    /// An index name (string) or key pattern (document) to use, or `{$natural: 1}`.
    public var hint: BSONValue?
    /// The memory an unindexed sort may hold, and whether it spills past it.
    public var sortMemory: SortMemoryLimit

    /// A find with the given parts.
    public init(
        filter: BSONDocument = BSONDocument(), projection: BSONDocument? = nil, sort: BSONDocument? = nil,
        skip: Int = 0, limit: Int? = nil, hint: BSONValue? = nil, sortMemory: SortMemoryLimit = SortMemoryLimit()
    ) {
        self.filter = filter
        self.projection = projection
        self.sort = sort
        self.skip = skip
        self.limit = limit
        self.hint = hint
        self.sortMemory = sortMemory
    }
}

/// MongoDB's bound on a find's blocking (unindexed) sort:
/// `internalQueryMaxBlockingSortMemoryUsageBytes`, 100 MiB, counted as the aggregation's
/// MemoryBudget counts. Past it the find fails with 292 unless `allowDiskUse` lets it spill.
public struct SortMemoryLimit: Sendable {
    /// MongoDB's default: 104,857,600 bytes.
    public static let defaultLimitBytes = 104_857_600

    /// Bytes the sort may hold in memory.
    public var limitBytes: Int
    /// Whether the sort spills to disk past `limitBytes` instead of failing.
    public var allowDiskUse: Bool

    /// A bound of `limitBytes`, spilling past it when `allowDiskUse`.
    public init(limitBytes: Int = SortMemoryLimit.defaultLimitBytes, allowDiskUse: Bool = false) {
        self.limitBytes = limitBytes
        self.allowDiskUse = allowDiskUse
    }

    /// `QueryExceededMemoryLimitNoDiskUseAllowed` (292), worded as MongoDB's find.
    var exceededError: MongoError {
        MongoError(.queryExceededMemoryLimitNoDiskUseAllowed,
                   "Executor error during find command :: caused by :: Sort exceeded memory limit of \(limitBytes) bytes, but did not opt in to external sorting.")
    }
}

/// How an update applies.
public struct UpdateOptions: Sendable {
    /// Update every match (`updateMany`) rather than the first.
    public var multi: Bool
    /// Insert a document when nothing matches.
    public var upsert: Bool
    /// Identifiers for `$[<id>]`.
    public var arrayFilters: [BSONDocument]
    /// How durable the write is on return.
    public var writeConcern: WriteConcern

    /// Options for one update.
    public init(multi: Bool = false, upsert: Bool = false, arrayFilters: [BSONDocument] = [],
                writeConcern: WriteConcern = .acknowledged) {
        self.multi = multi
        self.upsert = upsert
        self.arrayFilters = arrayFilters
        self.writeConcern = writeConcern
    }
}

/// What an update did.
public struct UpdateResult: Sendable, Equatable {
    /// Documents the filter matched.
    public var matchedCount: Int
    /// Documents actually changed.
    public var modifiedCount: Int
    /// The `_id` of the document an upsert inserted.
    public var upsertedID: BSONValue?

    /// A result.
    public init(matchedCount: Int, modifiedCount: Int, upsertedID: BSONValue? = nil) {
        self.matchedCount = matchedCount
        self.modifiedCount = modifiedCount
        self.upsertedID = upsertedID
    }
}
