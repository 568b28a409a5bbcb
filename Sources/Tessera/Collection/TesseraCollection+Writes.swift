// TesseraCollection's writes: insertOne/Many, updateOne/Many (operator and pipeline
// updates), replaceOne, deleteOne/Many. Each checks its arguments as MongoSwift does, encodes
// its values, and runs one engine write (in the session's transaction when it has one);
// insertMany's ordered and unordered failures are InsertOutcome's.

import Query

extension TesseraCollection {
    /// Inserts `value`; a document without `_id` is given an ObjectId.
    ///
    /// - Throws: `DuplicateKey` (11000) when a unique index already holds its key,
    ///   `BSONObjectTooLarge` (10334) past 16 MiB, `BadValue` (2) when it does not encode.
    @discardableResult
    public func insertOne(_ value: T, options: InsertOneOptions? = nil,
                          session: ClientSession? = nil) async throws(TesseraError) -> InsertOneResult {
        let document = try DocumentCodec.encode(value)
        let concern = options?.writeConcern.engineConcern ?? .acknowledged
        let id = try await run(session: session) { (collection) throws(MongoError) in
            try collection.insert(document, writeConcern: concern)
        }
        return InsertOneResult(insertedID: id)
    }

    /// Inserts `values`, each given an ObjectId `_id` when it has none, as MongoDB's insert:
    /// ordered (the default), the documents before the first failure are inserted and none
    /// after it; unordered (`ordered: false`), every document that can be is inserted.
    ///
    /// - Throws: for failed documents, the first failure's error (`DuplicateKey` (11000),
    ///   `BSONObjectTooLarge` (10334), ...) carrying every failure in
    ///   ``TesseraError/writeFailures`` (by position) and what was inserted in
    ///   ``TesseraError/result`` (`insertedCount`, `insertedIDs`); `BadValue` (2) for an empty
    ///   array or a value that does not encode (before anything is inserted).
    @discardableResult
    public func insertMany(_ values: [T], options: InsertManyOptions? = nil,
                           session: ClientSession? = nil) async throws(TesseraError) -> InsertManyResult {
        guard !values.isEmpty else { throw .badValue("insertMany needs at least one document") }
        var documents: [BSONDocument] = []
        documents.reserveCapacity(values.count)
        for value in values { documents.append(try DocumentCodec.encode(value)) }
        let concern = options?.writeConcern.engineConcern ?? .acknowledged
        let ordered = options?.ordered ?? true
        let outcome = try await run(session: session) { [documents] (collection) throws(MongoError) -> InsertOutcome in
            try InsertOutcome.insert(documents, ordered: ordered, into: collection, writeConcern: concern)
        }
        var result = BulkWriteResult()
        result.insertedCount = outcome.insertedIDs.count
        result.insertedIDs = outcome.insertedIDs
        if let error = TesseraError.bulkWrite(outcome.failures, result: result) { throw error }
        return InsertManyResult(insertedCount: result.insertedCount, insertedIDs: result.insertedIDs)
    }

    /// Applies the update operators of `update` (`{$set: ..., $inc: ...}`) to the first
    /// document matching `filter`, or inserts one with `upsert`.
    ///
    /// - Throws: `FailedToParse` (9) when `update` has no operators (use
    ///   ``replaceOne(filter:replacement:options:session:)``), and MongoDB's update errors.
    @discardableResult
    public func updateOne(filter: BSONDocument, update: BSONDocument, options: UpdateOptions? = nil,
                          session: ClientSession? = nil) async throws(TesseraError) -> UpdateResult {
        try await applyUpdate(filter, update, multi: false, options: options, session: session)
    }

    /// Applies the update operators of `update` to every document matching `filter`, or
    /// inserts one with `upsert`. Each document is updated atomically; outside a transaction
    /// a failure stops the update after the documents already changed.
    @discardableResult
    public func updateMany(filter: BSONDocument, update: BSONDocument, options: UpdateOptions? = nil,
                           session: ClientSession? = nil) async throws(TesseraError) -> UpdateResult {
        try await applyUpdate(filter, update, multi: true, options: options, session: session)
    }

    /// Runs the update pipeline `update` (`[{$set: ...}, {$unset: ...}]`) on the first
    /// document matching `filter`.
    @discardableResult
    public func updateOne(filter: BSONDocument, update: [BSONDocument], options: UpdateOptions? = nil,
                          session: ClientSession? = nil) async throws(TesseraError) -> UpdateResult {
        try await applyUpdate(filter, pipeline: update, multi: false, options: options, session: session)
    }

    /// Runs the update pipeline `update` on every document matching `filter`.
    @discardableResult
    public func updateMany(filter: BSONDocument, update: [BSONDocument], options: UpdateOptions? = nil,
                           session: ClientSession? = nil) async throws(TesseraError) -> UpdateResult {
        try await applyUpdate(filter, pipeline: update, multi: true, options: options, session: session)
    }

    /// Replaces the first document matching `filter` with `replacement` (keeping its
    /// `_id`), or inserts `replacement` with `upsert`.
    ///
    /// - Throws: `FailedToParse` (9) when `replacement` encodes with `$` operators, and
    ///   MongoDB's replacement errors (`ImmutableField` (66) for a changed `_id`).
    @discardableResult
    public func replaceOne(filter: BSONDocument, replacement: T, options: ReplaceOptions? = nil,
                           session: ClientSession? = nil) async throws(TesseraError) -> UpdateResult {
        let document = try Self.replacementDocument(replacement)
        let engineOptions = Query.UpdateOptions(upsert: options?.upsert ?? false,
                                                writeConcern: options?.writeConcern.engineConcern ?? .acknowledged)
        let result = try await run(session: session) { (collection) throws(MongoError) in
            try collection.update(filter, document, options: engineOptions)
        }
        return UpdateResult(result)
    }

    /// Deletes the first document matching `filter`.
    @discardableResult
    public func deleteOne(_ filter: BSONDocument, options: DeleteOptions? = nil,
                          session: ClientSession? = nil) async throws(TesseraError) -> DeleteResult {
        try await delete(filter, multi: false, options: options, session: session)
    }

    /// Deletes every document matching `filter`.
    @discardableResult
    public func deleteMany(_ filter: BSONDocument, options: DeleteOptions? = nil,
                           session: ClientSession? = nil) async throws(TesseraError) -> DeleteResult {
        try await delete(filter, multi: true, options: options, session: session)
    }

    // MARK: Shared parts

    private func applyUpdate(_ filter: BSONDocument, _ update: BSONDocument, multi: Bool, options: UpdateOptions?,
                        session: ClientSession?) async throws(TesseraError) -> UpdateResult {
        try Self.checkOperators(update)
        let engineOptions = Query.UpdateOptions(multi: multi, upsert: options?.upsert ?? false,
                                                arrayFilters: options?.arrayFilters ?? [],
                                                writeConcern: options?.writeConcern.engineConcern ?? .acknowledged)
        let result = try await run(session: session) { (collection) throws(MongoError) in
            try collection.update(filter, update, options: engineOptions)
        }
        return UpdateResult(result)
    }

    private func applyUpdate(_ filter: BSONDocument, pipeline: [BSONDocument], multi: Bool, options: UpdateOptions?,
                        session: ClientSession?) async throws(TesseraError) -> UpdateResult {
        let engineOptions = Query.UpdateOptions(multi: multi, upsert: options?.upsert ?? false,
                                                writeConcern: options?.writeConcern.engineConcern ?? .acknowledged)
        let result = try await run(session: session) { (collection) throws(MongoError) in
            try collection.update(filter, pipeline: pipeline, options: engineOptions)
        }
        return UpdateResult(result)
    }

    private func delete(_ filter: BSONDocument, multi: Bool, options: DeleteOptions?,
                        session: ClientSession?) async throws(TesseraError) -> DeleteResult {
        let concern = options?.writeConcern.engineConcern ?? .acknowledged
        let deleted = try await run(session: session) { (collection) throws(MongoError) in
            try collection.delete(filter, multi: multi, writeConcern: concern)
        }
        return DeleteResult(deletedCount: deleted)
    }

    /// Checks that `update` is made of update operators.
    ///
    /// - Throws: `FailedToParse` (9) for an empty update or one with a plain field.
    static func checkOperators(_ update: BSONDocument) throws(TesseraError) {
        guard let first = update.first?.key, first.hasPrefix("$") else {
            throw TesseraError(code: 9, codeName: "FailedToParse",
                               message: "update document must contain update operators (keys beginning with '$'); use replaceOne to replace a document")
        }
    }

    /// `replacement` encoded, checked to hold no update operators.
    ///
    /// - Throws: `FailedToParse` (9) for a key beginning with `$`; `BadValue` (2) when it does
    ///   not encode.
    static func replacementDocument(_ replacement: T) throws(TesseraError) -> BSONDocument {
        let document = try DocumentCodec.encode(replacement)
        if let first = document.first?.key, first.hasPrefix("$") {
            throw TesseraError(code: 9, codeName: "FailedToParse", message: "replacement document must not contain update operators")
        }
        return document
    }
}

extension UpdateResult {
    /// The engine's result.
    init(_ result: Query.UpdateResult) {
        self.init(matchedCount: result.matchedCount, modifiedCount: result.modifiedCount, upsertedID: result.upsertedID)
    }
}

/// What an insertMany wrote: one atomic batch when every document goes in, else the
/// documents one at a time as MongoDB inserts them, ordered or not.
struct InsertOutcome: Sendable {
    /// The `_id` of each inserted document, by its position.
    var insertedIDs: [Int: BSONValue] = [:]
    /// The documents that failed, by position.
    var failures: [BulkWriteFailure] = []

    /// Inserts `documents` into `collection`.
    ///
    /// - Throws: only errors that stop the whole insert (interrupted, past maxTimeMS, the
    ///   client closed, a view); a document's own failure is in ``failures``.
    static func insert(_ documents: [BSONDocument], ordered: Bool, into collection: QueryCollection,
                       writeConcern: Query.WriteConcern) throws(MongoError) -> InsertOutcome {
        var outcome = InsertOutcome()
        do throws(MongoError) {
            // The common case: one batch, all or nothing.
            for (index, id) in try collection.insert(contentsOf: documents, writeConcern: writeConcern).enumerated() {
                outcome.insertedIDs[index] = id
            }
            return outcome
        } catch {
            if stopsTheInsert(error) { throw error }
        }
        // The batch wrote nothing: find the failing documents one at a time.
        for (index, document) in documents.enumerated() {
            do throws(MongoError) {
                outcome.insertedIDs[index] = try collection.insert(document, writeConcern: writeConcern)
            } catch {
                if stopsTheInsert(error) { throw error }
                outcome.failures.append(BulkWriteFailure(index: index, error: TesseraError(error)))
                if ordered { break }
            }
        }
        return outcome
    }

    /// Whether `error` fails the insert as a whole (MongoDB's top-level error) rather than one
    /// document (a `writeErrors` entry).
    private static func stopsTheInsert(_ error: MongoError) -> Bool {
        [MongoError.Code.interrupted, .maxTimeMSExpired, .illegalOperation, .invalidNamespace, .commandNotSupportedOnView]
            .contains(error.code)
    }
}
