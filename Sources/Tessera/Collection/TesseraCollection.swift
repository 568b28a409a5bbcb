// TesseraCollection: one collection of an embedded store, its documents typed as `T` —
// MongoSwift's `MongoCollection`. This file holds the collection's identity, the way every
// operation reaches the engine (a session's transaction or the store, off the concurrency
// pool, but for findOne's point read by `_id`, one key read on the calling task) and the
// reads; writes, findOneAnd..., bulk writes, indexes and change streams are its extensions.

import Query

/// A collection whose documents are encoded from and decoded as `T` (`BSONDocument` for
/// untyped access). Cheap to create and to copy; it holds only names and its client.
///
/// Every operation takes an optional `session:` as its last argument: given a session with a
/// transaction in progress, the operation reads the transaction's snapshot and its writes
/// commit with the transaction.
public struct TesseraCollection<T: Codable & Sendable>: Sendable {
    /// The collection's name.
    public let name: String
    /// The database it belongs to.
    public let database: TesseraDatabase
    /// The namespace, checked once here rather than on every operation (nil when invalid:
    /// operations then throw the check's error).
    private let checkedNamespace: Namespace?

    init(name: String, database: TesseraDatabase) {
        self.name = name
        self.database = database
        checkedNamespace = try? Namespace(database: database.name, collection: name)
    }

    /// The namespace operations run on.
    ///
    /// - Throws: `InvalidNamespace` (73) for a bad database or collection name.
    func validNamespace() throws(TesseraError) -> Namespace {
        if let checkedNamespace { return checkedNamespace }
        return try TesseraDatabase.namespace(database.name, name)
    }

    /// The client it belongs to.
    public var client: TesseraClient { database.client }

    /// `database.collection`.
    public var namespace: String { "\(database.name).\(name)" }

    /// The same collection, its documents typed as `U`.
    public func withType<U: Codable & Sendable>(_ type: U.Type) -> TesseraCollection<U> {
        TesseraCollection<U>(name: name, database: database)
    }

    // MARK: Reaching the engine

    /// Runs `body` on the engine's collection as `session` sees it, off the concurrency
    /// pool, stopped by task cancellation, by closing the client, or after `maxTimeMS`.
    func run<Result: Sendable>(
        session: ClientSession?, maxTimeMS: Int? = nil,
        _ body: @escaping @Sendable (QueryCollection) throws(MongoError) -> Result
    ) async throws(TesseraError) -> Result {
        let namespace = try validNamespace()
        let client = client
        return try await EngineWork.run(client, deadline: try EngineWork.deadline(maxTimeMS: maxTimeMS)) {
            (interrupt) throws(MongoError) -> Result in
            try body(try Self.engineCollection(namespace, client: client, session: session, interrupt: interrupt))
        }
    }

    /// The engine's collection at `namespace` as `session` sees it.
    static func engineCollection(_ namespace: Namespace, client: TesseraClient, session: ClientSession?,
                                 interrupt: OperationInterrupt) throws(MongoError) -> QueryCollection {
        let engine = try client.openEngine()
        if let session { return try session.collection(namespace, engine: engine, interrupt: interrupt) }
        return engine.collection(namespace).interrupted(by: interrupt)
    }

    /// A cursor over `reader`'s documents decoded as `Element`, its first batch read.
    func cursor<Element: Decodable & Sendable>(
        _ reader: EngineReader, batchSize: Int, maxTimeMS: Int?, as type: Element.Type
    ) async throws(TesseraError) -> TesseraCursor<Element> {
        _ = try EngineWork.deadline(maxTimeMS: maxTimeMS)
        let cursor = TesseraCursor(reader: reader, client: client, batchSize: batchSize,
                                   deadline: { () throws(TesseraError) in try EngineWork.deadline(maxTimeMS: maxTimeMS) }) {
            (document) throws(TesseraError) -> Element in
            try DocumentCodec.decode(type, from: document)
        }
        try await cursor.prefetch()
        return cursor
    }

    // MARK: Reads

    /// The documents matching `filter`, as a cursor that reads them a batch at a time.
    ///
    /// The first batch is read before this returns, so a bad filter, sort or projection
    /// throws here (MongoDB's codes: `BadValue` (2), `FailedToParse` (9), ...).
    public func find(_ filter: BSONDocument = BSONDocument(), options: FindOptions? = nil,
                     session: ClientSession? = nil) async throws(TesseraError) -> TesseraCursor<T> {
        let options = options ?? FindOptions()
        let query = FindQuery(
            filter: filter, projection: options.projection, sort: options.sort, skip: try ReadNumbers.skip(options.skip),
            limit: ReadNumbers.limit(options.limit), hint: options.hint?.value,
            sortMemory: SortMemoryLimit(allowDiskUse: options.allowDiskUse ?? false))
        let batchSize = try ReadNumbers.batchSize(options.batchSize)
        let namespace = try TesseraDatabase.namespace(database.name, name)
        let collection: QueryCollection
        do throws(MongoError) {
            collection = try Self.engineCollection(namespace, client: client, session: session, interrupt: .none)
                .collated(by: options.collation)
        } catch {
            throw TesseraError(error)
        }
        let reader = try EngineReader.find(query, on: collection, client: client)
        return try await cursor(reader, batchSize: batchSize, maxTimeMS: options.maxTimeMS, as: T.self)
    }

    /// The first document matching `filter` (in `options.sort` order), or nil.
    ///
    /// A filter on `_id` alone (`["_id": id]`) without sort or skip is a point read: the
    /// document is read by its key on the calling task, without planning a query.
    public func findOne(_ filter: BSONDocument = BSONDocument(), options: FindOneOptions? = nil,
                        session: ClientSession? = nil) async throws(TesseraError) -> T? {
        let options = options ?? FindOneOptions()
        let query = FindQuery(filter: filter, projection: options.projection, sort: options.sort,
                              skip: try ReadNumbers.skip(options.skip), limit: 1, hint: options.hint?.value)
        _ = try EngineWork.deadline(maxTimeMS: options.maxTimeMS)
        let collation = options.collation
        if case let .read(document) = try pointRead(query, collation: collation, session: session) {
            return try document.map { (document) throws(TesseraError) -> T in try DocumentCodec.decode(T.self, from: document) }
        }
        let found = try await run(session: session, maxTimeMS: options.maxTimeMS) { (collection) throws(MongoError) in
            try collection.collated(by: collation).find(query).first
        }
        return try found.map { (document) throws(TesseraError) -> T in try DocumentCodec.decode(T.self, from: document) }
    }

    /// `query` read by primary key when it is a point read by `_id`, on the calling task's
    /// thread: one key read, so no hop to an engine thread and no interrupt to wire up.
    private func pointRead(_ query: FindQuery, collation: BSONDocument?,
                           session: ClientSession?) throws(TesseraError) -> QueryCollection.PointRead {
        if Task.isCancelled { throw .cancelled }
        let namespace = try validNamespace()
        do throws(MongoError) {
            return try Self.engineCollection(namespace, client: client, session: session, interrupt: .none)
                .collated(by: collation).pointRead(query)
        } catch {
            throw TesseraError(error)
        }
    }

    /// How many documents match `filter` (after `skip`, at most `limit`).
    public func countDocuments(_ filter: BSONDocument = BSONDocument(), options: CountDocumentsOptions? = nil,
                               session: ClientSession? = nil) async throws(TesseraError) -> Int {
        let options = options ?? CountDocumentsOptions()
        let skip = try ReadNumbers.skip(options.skip)
        let limit = ReadNumbers.limit(options.limit)
        let hint = options.hint?.value
        return try await run(session: session, maxTimeMS: options.maxTimeMS) { (collection) throws(MongoError) in
            try collection.count(filter, skip: skip, limit: limit, hint: hint)
        }
    }

    /// The number of documents in the collection, from the store's key count (no filter).
    public func estimatedDocumentCount(options: EstimatedDocumentCountOptions? = nil,
                                       session: ClientSession? = nil) async throws(TesseraError) -> Int {
        try ClientSession.checkOutsideTransaction(session, command: "count")
        return try await run(session: session, maxTimeMS: options?.maxTimeMS) { (collection) throws(MongoError) in
            try collection.estimatedDocumentCount()
        }
    }

    /// The distinct values of `fieldName` (a dotted path) among documents matching
    /// `filter`; array values contribute their elements. In BSON order.
    public func distinct(fieldName: String, filter: BSONDocument = BSONDocument(), options: DistinctOptions? = nil,
                         session: ClientSession? = nil) async throws(TesseraError) -> [BSONValue] {
        try await run(session: session, maxTimeMS: options?.maxTimeMS) { (collection) throws(MongoError) in
            try collection.distinct(fieldName, filter: filter)
        }
    }

    /// Runs the aggregation `pipeline`; its results as a cursor of documents.
    ///
    /// A pipeline of stages that work document by document (`$match`, `$project`, `$set`,
    /// `$unwind`, ...) streams: the collection is read a batch at a time. Pipelines with
    /// blocking stages (`$group`, `$sort`, ...) hold what those stages hold.
    public func aggregate(_ pipeline: [BSONDocument], options: AggregateOptions? = nil,
                          session: ClientSession? = nil) async throws(TesseraError) -> TesseraCursor<BSONDocument> {
        try await aggregate(pipeline, options: options, session: session, withOutputType: BSONDocument.self)
    }

    /// Runs the aggregation `pipeline`; its results decoded as `OutputType`.
    public func aggregate<OutputType: Codable & Sendable>(
        _ pipeline: [BSONDocument], options: AggregateOptions? = nil, session: ClientSession? = nil,
        withOutputType type: OutputType.Type
    ) async throws(TesseraError) -> TesseraCursor<OutputType> {
        let options = options ?? AggregateOptions()
        let batchSize = try ReadNumbers.batchSize(options.batchSize)
        let engineOptions = Query.AggregateOptions(allowDiskUse: options.allowDiskUse ?? false,
                                                   variables: options.let ?? BSONDocument(), hint: options.hint?.value)
        let client = client
        let reader = try await run(session: session, maxTimeMS: options.maxTimeMS) { (collection) throws(MongoError) in
            try EngineReader.aggregate(pipeline, options: engineOptions, on: collection, client: client)
        }
        return try await cursor(reader, batchSize: batchSize, maxTimeMS: options.maxTimeMS, as: type)
    }
}
