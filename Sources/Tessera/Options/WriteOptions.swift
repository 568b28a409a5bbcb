// The options of the write operations, named and shaped as MongoSwift's: insertOne/Many,
// update, replace, delete, findOneAndUpdate/Replace/Delete and bulkWrite.

/// Options of a write that takes only a write concern: ``InsertOneOptions``,
/// ``DeleteOptions``.
public struct WriteOptions: Sendable {
    /// How durable the write is on return.
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(writeConcern: WriteConcern? = nil) {
        self.writeConcern = writeConcern
    }
}

/// Options of a write of several documents or operations: ``InsertManyOptions``,
/// ``BulkWriteOptions``.
public struct OrderedWriteOptions: Sendable {
    /// Stop at the first failing document or operation (the default), or run every one and
    /// report every failure after (``TesseraError/writeFailures``).
    public var ordered: Bool?
    /// How durable the writes are on return.
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(ordered: Bool? = nil, writeConcern: WriteConcern? = nil) {
        self.ordered = ordered
        self.writeConcern = writeConcern
    }
}

/// Options of ``TesseraCollection/insertOne(_:options:session:)``.
public typealias InsertOneOptions = WriteOptions

/// Options of ``TesseraCollection/insertMany(_:options:session:)``.
public typealias InsertManyOptions = OrderedWriteOptions

/// Options of ``TesseraCollection/deleteOne(_:options:session:)`` and
/// ``TesseraCollection/deleteMany(_:options:session:)``.
public typealias DeleteOptions = WriteOptions

/// Options of ``TesseraCollection/bulkWrite(_:options:session:)``.
public typealias BulkWriteOptions = OrderedWriteOptions

/// Options of the ``TesseraCollection`` updates `updateOne` and `updateMany` (with update
/// operators or an update pipeline).
public struct UpdateOptions: Sendable {
    /// Which array elements `$[<identifier>]` updates.
    public var arrayFilters: [BSONDocument]?
    /// Insert a document built from the filter and the update when nothing matches.
    public var upsert: Bool?
    /// How durable the write is on return.
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(arrayFilters: [BSONDocument]? = nil, upsert: Bool? = nil, writeConcern: WriteConcern? = nil) {
        self.arrayFilters = arrayFilters
        self.upsert = upsert
        self.writeConcern = writeConcern
    }
}

/// Options of ``TesseraCollection/replaceOne(filter:replacement:options:session:)``.
public struct ReplaceOptions: Sendable {
    /// Insert the replacement when nothing matches.
    public var upsert: Bool?
    /// How durable the write is on return.
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(upsert: Bool? = nil, writeConcern: WriteConcern? = nil) {
        self.upsert = upsert
        self.writeConcern = writeConcern
    }
}

/// Which version of the document a findOneAnd... operation returns.
public enum ReturnDocument: Sendable, Equatable {
    /// The document as it was before the write.
    case before
    /// The document as the write left it.
    case after
}

/// Options of ``TesseraCollection/findOneAndUpdate(filter:update:options:session:)``.
public struct FindOneAndUpdateOptions: Sendable {
    /// Which array elements `$[<identifier>]` updates.
    public var arrayFilters: [BSONDocument]?
    /// How long the search may take, in milliseconds.
    public var maxTimeMS: Int?
    /// Which fields of the returned document to return.
    public var projection: BSONDocument?
    /// Return the document before (the default) or after the update.
    public var returnDocument: ReturnDocument?
    /// Which document is updated when several match.
    public var sort: BSONDocument?
    /// Insert a document when nothing matches.
    public var upsert: Bool?
    /// How durable the write is on return.
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(arrayFilters: [BSONDocument]? = nil, maxTimeMS: Int? = nil, projection: BSONDocument? = nil,
                returnDocument: ReturnDocument? = nil, sort: BSONDocument? = nil, upsert: Bool? = nil,
                writeConcern: WriteConcern? = nil) {
        self.arrayFilters = arrayFilters
        self.maxTimeMS = maxTimeMS
        self.projection = projection
        self.returnDocument = returnDocument
        self.sort = sort
        self.upsert = upsert
        self.writeConcern = writeConcern
    }
}

/// Options of ``TesseraCollection/findOneAndReplace(filter:replacement:options:session:)``.
public struct FindOneAndReplaceOptions: Sendable {
    /// How long the search may take, in milliseconds.
    public var maxTimeMS: Int?
    /// Which fields of the returned document to return.
    public var projection: BSONDocument?
    /// Return the document before (the default) or after the replacement.
    public var returnDocument: ReturnDocument?
    /// Which document is replaced when several match.
    public var sort: BSONDocument?
    /// Insert the replacement when nothing matches.
    public var upsert: Bool?
    /// How durable the write is on return.
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(maxTimeMS: Int? = nil, projection: BSONDocument? = nil, returnDocument: ReturnDocument? = nil,
                sort: BSONDocument? = nil, upsert: Bool? = nil, writeConcern: WriteConcern? = nil) {
        self.maxTimeMS = maxTimeMS
        self.projection = projection
        self.returnDocument = returnDocument
        self.sort = sort
        self.upsert = upsert
        self.writeConcern = writeConcern
    }
}

/// Options of ``TesseraCollection/findOneAndDelete(_:options:session:)``.
public struct FindOneAndDeleteOptions: Sendable {
    /// How long the search may take, in milliseconds.
    public var maxTimeMS: Int?
    /// Which fields of the deleted document to return.
    public var projection: BSONDocument?
    /// Which document is deleted when several match.
    public var sort: BSONDocument?
    /// How durable the write is on return.
    public var writeConcern: WriteConcern?

    /// Options; nil fields take the defaults.
    public init(maxTimeMS: Int? = nil, projection: BSONDocument? = nil, sort: BSONDocument? = nil,
                writeConcern: WriteConcern? = nil) {
        self.maxTimeMS = maxTimeMS
        self.projection = projection
        self.sort = sort
        self.writeConcern = writeConcern
    }
}

/// Options of an update in a ``WriteModel`` (its `writeConcern` is ignored: the bulk write's
/// applies).
public typealias UpdateModelOptions = UpdateOptions

/// Options of a replacement in a ``WriteModel`` (its `writeConcern` is ignored: the bulk
/// write's applies).
public typealias ReplaceOneModelOptions = ReplaceOptions

/// One operation of ``TesseraCollection/bulkWrite(_:options:session:)``.
public enum WriteModel<T: Codable & Sendable>: Sendable {
    /// Insert a document.
    case insertOne(T)
    /// Delete the first document matching the filter.
    case deleteOne(BSONDocument)
    /// Delete every document matching the filter.
    case deleteMany(BSONDocument)
    /// Replace the first document matching `filter`.
    case replaceOne(filter: BSONDocument, replacement: T, options: ReplaceOneModelOptions? = nil)
    /// Update the first document matching `filter`.
    case updateOne(filter: BSONDocument, update: BSONDocument, options: UpdateModelOptions? = nil)
    /// Update every document matching `filter`.
    case updateMany(filter: BSONDocument, update: BSONDocument, options: UpdateModelOptions? = nil)
}
