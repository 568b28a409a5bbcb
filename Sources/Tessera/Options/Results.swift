// The results of the write operations, named and shaped as MongoSwift's: InsertOneResult,
// InsertManyResult, UpdateResult, DeleteResult and BulkWriteResult, and the write failures a
// failed bulk write reports (BulkWriteFailure).

/// What ``TesseraCollection/insertOne(_:options:session:)`` did.
public struct InsertOneResult: Sendable, Equatable {
    /// The inserted document's `_id` (generated when the document had none).
    public let insertedID: BSONValue
}

/// What ``TesseraCollection/insertMany(_:options:session:)`` did.
public struct InsertManyResult: Sendable, Equatable {
    /// How many documents were inserted.
    public let insertedCount: Int
    /// Each inserted document's `_id`, by its position in the input.
    public let insertedIDs: [Int: BSONValue]
}

/// What an update or replacement did.
public struct UpdateResult: Sendable, Equatable {
    /// How many documents matched the filter.
    public let matchedCount: Int
    /// How many of them changed.
    public let modifiedCount: Int
    /// The `_id` of the document an upsert inserted, if it did.
    public let upsertedID: BSONValue?
    /// 1 when an upsert inserted a document, else 0.
    public let upsertedCount: Int

    /// A result (internal: results come from operations).
    init(matchedCount: Int, modifiedCount: Int, upsertedID: BSONValue?) {
        self.matchedCount = matchedCount
        self.modifiedCount = modifiedCount
        self.upsertedID = upsertedID
        upsertedCount = upsertedID == nil ? 0 : 1
    }
}

/// What a delete did.
public struct DeleteResult: Sendable, Equatable {
    /// How many documents were deleted.
    public let deletedCount: Int
}

/// What ``TesseraCollection/bulkWrite(_:options:session:)`` did.
public struct BulkWriteResult: Sendable, Equatable {
    /// Documents deleted.
    public internal(set) var deletedCount = 0
    /// Documents inserted by `insertOne` models.
    public internal(set) var insertedCount = 0
    /// The `_id` of each inserted document, by its model's position.
    public internal(set) var insertedIDs: [Int: BSONValue] = [:]
    /// Documents matched by updates and replacements.
    public internal(set) var matchedCount = 0
    /// Documents changed by updates and replacements.
    public internal(set) var modifiedCount = 0
    /// Documents inserted by upserts.
    public internal(set) var upsertedCount = 0
    /// The `_id` of each upserted document, by its model's position.
    public internal(set) var upsertedIDs: [Int: BSONValue] = [:]

    /// The counts of `details` as a failed bulk write reports them with its error.
    var document: BSONDocument {
        ["nInserted": .int64(Int64(insertedCount)), "nMatched": .int64(Int64(matchedCount)),
         "nModified": .int64(Int64(modifiedCount)), "nRemoved": .int64(Int64(deletedCount)),
         "nUpserted": .int64(Int64(upsertedCount))]
    }
}

/// One write of an insertMany or bulkWrite that failed: MongoDB's `writeErrors` entry
/// (MongoSwift's `BulkWriteFailure`).
public struct BulkWriteFailure: Sendable, Equatable {
    /// The position of the failed document or operation in the request.
    public let index: Int
    /// MongoDB's error code (11000 `DuplicateKey`, ...).
    public let code: Int
    /// MongoDB's name for the code.
    public let codeName: String
    /// What went wrong.
    public let message: String
    /// Labels the error carries (`TransientTransactionError`, ...).
    public let errorLabels: [String]
    /// Extra fields MongoDB reports with it (a duplicate key's `keyPattern` and `keyValue`).
    public let details: BSONDocument

    /// The failure of the write at `index` with `error`.
    init(index: Int, error: TesseraError) {
        self.index = index
        code = error.code
        codeName = error.codeName
        message = error.message
        errorLabels = error.errorLabels
        details = error.details
    }
}
