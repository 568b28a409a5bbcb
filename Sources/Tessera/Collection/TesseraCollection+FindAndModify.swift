// TesseraCollection's findOneAndUpdate, findOneAndReplace and findOneAndDelete: find the first
// match (in sort order), then change it only if it still matches — one atomic engine write
// that hands back the document before and after — retrying the search when a concurrent
// writer got there first; upserts when asked and nothing matches.

import Query

extension TesseraCollection {
    /// Updates the first document matching `filter` (in `options.sort` order) with the update
    /// operators of `update`; returns it as it was before (or, with `returnDocument: .after`,
    /// after) the update, or nil when nothing matched and nothing was upserted.
    @discardableResult
    public func findOneAndUpdate(filter: BSONDocument, update: BSONDocument, options: FindOneAndUpdateOptions? = nil,
                                 session: ClientSession? = nil) async throws(TesseraError) -> T? {
        try Self.checkOperators(update)
        let options = options ?? FindOneAndUpdateOptions()
        let arrayFilters = options.arrayFilters ?? []
        let concern = options.writeConcern.engineConcern
        return try await findAndModify(
            filter, sort: options.sort, projection: options.projection, returnAfter: options.returnDocument == .after,
            upsert: options.upsert ?? false ? Query.UpdateOptions(upsert: true, arrayFilters: arrayFilters, writeConcern: concern)
                : nil,
            upsertUpdate: update, maxTimeMS: options.maxTimeMS, session: session
        ) { (collection, id) throws(MongoError) in
            try collection.updateOne(id: id, matching: filter, update: update, arrayFilters: arrayFilters, writeConcern: concern)
                .map { ($0.before, $0.after) }
        }
    }

    /// Replaces the first document matching `filter` (in `options.sort` order) with
    /// `replacement`; returns it as it was before (or after) the replacement, or nil.
    @discardableResult
    public func findOneAndReplace(filter: BSONDocument, replacement: T, options: FindOneAndReplaceOptions? = nil,
                                  session: ClientSession? = nil) async throws(TesseraError) -> T? {
        let document = try Self.replacementDocument(replacement)
        let options = options ?? FindOneAndReplaceOptions()
        let concern = options.writeConcern.engineConcern
        return try await findAndModify(
            filter, sort: options.sort, projection: options.projection, returnAfter: options.returnDocument == .after,
            upsert: options.upsert ?? false ? Query.UpdateOptions(upsert: true, writeConcern: concern) : nil,
            upsertUpdate: document, maxTimeMS: options.maxTimeMS, session: session
        ) { (collection, id) throws(MongoError) in
            try collection.updateOne(id: id, matching: filter, update: document, writeConcern: concern)
                .map { ($0.before, $0.after) }
        }
    }

    /// Deletes the first document matching `filter` (in `options.sort` order); returns it,
    /// or nil when nothing matched.
    @discardableResult
    public func findOneAndDelete(_ filter: BSONDocument, options: FindOneAndDeleteOptions? = nil,
                                 session: ClientSession? = nil) async throws(TesseraError) -> T? {
        let options = options ?? FindOneAndDeleteOptions()
        let concern = options.writeConcern.engineConcern
        return try await findAndModify(
            filter, sort: options.sort, projection: options.projection, returnAfter: false, upsert: nil,
            upsertUpdate: BSONDocument(), maxTimeMS: options.maxTimeMS, session: session
        ) { (collection, id) throws(MongoError) in
            try collection.deleteOne(id: id, matching: filter, writeConcern: concern).map { ($0, nil) }
        }
    }

    /// How often a findOneAnd... looks again after concurrent writers changed its match.
    private static var findAndModifyAttempts: Int { 32 }

    /// The shared loop: find the first match's `_id`, `modify` it (nil: it no longer matches,
    /// find again); with nothing found, upsert when `upsert` is given. Returns the chosen
    /// image, projected and decoded.
    private func findAndModify(
        _ filter: BSONDocument, sort: BSONDocument?, projection: BSONDocument?, returnAfter: Bool,
        upsert: Query.UpdateOptions?, upsertUpdate: BSONDocument, maxTimeMS: Int?, session: ClientSession?,
        modify: @escaping @Sendable (QueryCollection, BSONValue) throws(MongoError) -> (before: BSONDocument, after: BSONDocument?)?
    ) async throws(TesseraError) -> T? {
        let image = try await run(session: session, maxTimeMS: maxTimeMS) { (collection) throws(MongoError) -> BSONDocument? in
            let search = FindQuery(filter: filter, projection: ["_id": .int32(1)], sort: sort, limit: 1)
            for _ in 0..<Self.findAndModifyAttempts {
                guard let id = try collection.find(search).first?["_id"] else {
                    guard let upsert else { return nil }
                    let result = try collection.update(filter, upsertUpdate, options: upsert)
                    guard returnAfter else { return nil }
                    if let id = result.upsertedID { return try collection.document(withID: id) }
                    // A concurrent writer inserted the match first, and the update went to it.
                    return try collection.find(FindQuery(filter: filter, sort: sort, limit: 1)).first
                }
                if let images = try modify(collection, id) {
                    return returnAfter ? images.after : images.before
                }
            }
            throw MongoError(.writeConflict, "the matching document kept changing under findAndModify; retry the operation")
        }
        guard var document = image else { return nil }
        if let projection, !projection.isEmpty {
            let projected = try await run(session: session) { [document] (collection) throws(MongoError) in
                try collection.aggregate([["$project": .document(projection)]], over: [document]).first
            }
            guard let projected else { return nil }
            document = projected
        }
        return try DocumentCodec.decode(T.self, from: document)
    }
}
