// TesseraCollection's writes: insertOne/Many, updateOne/Many (operator and pipeline
// updates), replaceOne, deleteOne/Many. Each checks its arguments as MongoSwift does, encodes
// its values, and runs one engine write (in the session's transaction when it has one).

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

    /// Inserts `values` atomically: all of them, or (on any error) none.
    ///
    /// - Throws: as ``insertOne(_:options:session:)``; `BadValue` (2) for an empty array.
    @discardableResult
    public func insertMany(_ values: [T], options: InsertManyOptions? = nil,
                           session: ClientSession? = nil) async throws(TesseraError) -> InsertManyResult {
        guard !values.isEmpty else { throw .badValue("insertMany needs at least one document") }
        var documents: [BSONDocument] = []
        documents.reserveCapacity(values.count)
        for value in values { documents.append(try DocumentCodec.encode(value)) }
        let concern = options?.writeConcern.engineConcern ?? .acknowledged
        let ids = try await run(session: session) { [documents] (collection) throws(MongoError) in
            try collection.insert(contentsOf: documents, writeConcern: concern)
        }
        return InsertManyResult(insertedCount: ids.count,
                                insertedIDs: Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.offset, $0.element) }))
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
