// TesseraCollection.bulkWrite: a list of inserts, updates, replacements and deletes run in
// order through the same engine writes as the single operations, counted into one
// BulkWriteResult; ordered stops at the first failure, unordered goes on and reports every
// failure after.

import Query

extension TesseraCollection {
    /// Runs `requests` in order and returns what they did together.
    ///
    /// Pass a session with a transaction to make the whole bulk write atomic; otherwise each
    /// operation is atomic on its own.
    ///
    /// - Throws: the first failing operation's error, with `index` (its position) and the
    ///   counts of what succeeded (`nInserted`, `nMatched`, `nModified`, `nRemoved`,
    ///   `nUpserted`) in ``TesseraError/details``, every failure in
    ///   ``TesseraError/writeFailures`` and what succeeded in ``TesseraError/result``.
    ///   Ordered (the default), nothing after the first failure runs; unordered, every other
    ///   operation runs. `BadValue` (2) for no requests.
    @discardableResult
    public func bulkWrite(_ requests: [WriteModel<T>], options: BulkWriteOptions? = nil,
                          session: ClientSession? = nil) async throws(TesseraError) -> BulkWriteResult {
        guard !requests.isEmpty else { throw .badValue("bulkWrite needs at least one operation") }
        let ordered = options?.ordered ?? true
        let concern = options?.writeConcern
        var result = BulkWriteResult()
        var failures: [BulkWriteFailure] = []
        for (index, request) in requests.enumerated() {
            do throws(TesseraError) {
                try await apply(request, at: index, to: &result, concern: concern, session: session)
            } catch {
                failures.append(BulkWriteFailure(index: index, error: error))
                if ordered { break }
            }
        }
        if let error = TesseraError.bulkWrite(failures, result: result) { throw error }
        return result
    }

    /// Runs one request and adds what it did to `result`.
    private func apply(_ request: WriteModel<T>, at index: Int, to result: inout BulkWriteResult,
                       concern: WriteConcern?, session: ClientSession?) async throws(TesseraError) {
        switch request {
        case let .insertOne(value):
            let inserted = try await insertOne(value, options: InsertOneOptions(writeConcern: concern), session: session)
            result.insertedCount += 1
            result.insertedIDs[index] = inserted.insertedID
        case let .deleteOne(filter):
            result.deletedCount += try await deleteOne(filter, options: DeleteOptions(writeConcern: concern), session: session)
                .deletedCount
        case let .deleteMany(filter):
            result.deletedCount += try await deleteMany(filter, options: DeleteOptions(writeConcern: concern), session: session)
                .deletedCount
        case let .replaceOne(filter, replacement, options):
            let replaced = try await replaceOne(filter: filter, replacement: replacement,
                                                options: ReplaceOptions(upsert: options?.upsert, writeConcern: concern),
                                                session: session)
            add(replaced, at: index, to: &result)
        case let .updateOne(filter, update, options):
            let updated = try await updateOne(filter: filter, update: update, options: UpdateOptions(
                arrayFilters: options?.arrayFilters, upsert: options?.upsert, writeConcern: concern), session: session)
            add(updated, at: index, to: &result)
        case let .updateMany(filter, update, options):
            let updated = try await updateMany(filter: filter, update: update, options: UpdateOptions(
                arrayFilters: options?.arrayFilters, upsert: options?.upsert, writeConcern: concern), session: session)
            add(updated, at: index, to: &result)
        }
    }

    private func add(_ update: UpdateResult, at index: Int, to result: inout BulkWriteResult) {
        result.matchedCount += update.matchedCount
        result.modifiedCount += update.modifiedCount
        if let id = update.upsertedID {
            result.upsertedCount += 1
            result.upsertedIDs[index] = id
        }
    }
}
