// QueryCollection+FindAndModify: the atomic core of findAndModify — update or delete one
// chosen document only if it still matches the filter, reading the version before and
// writing the version after inside one commit, so the images returned are the write's own.

public import BSON
public import Documents

extension QueryCollection {
    /// A findAndModify update's outcome on one document.
    public struct ModifiedImages: Sendable {
        /// The document as the update found it.
        public let before: BSONDocument
        /// The document as the update left it.
        public let after: BSONDocument
    }

    /// Applies the operator (or replacement) `update` to the document whose `_id` is `id` if
    /// it still matches `filter`, atomically; returns its versions before and after, or `nil`
    /// when it no longer exists or matches (the caller finds again).
    public func updateOne(
        id: BSONValue, matching filter: BSONDocument, update: BSONDocument, arrayFilters: [BSONDocument] = [],
        writeConcern: WriteConcern
    ) throws(MongoError) -> ModifiedImages? {
        let parsedFilter = try Filter(try textMatchesAsIDFilter(filter) ?? filter, collator: try collator())
        let parsedUpdate = try Update(update, arrayFilters: arrayFilters, collator: parsedFilter.collator)
        let now = WallClock.now()
        return try modifyOne(id: id, filter: parsedFilter, writeConcern: writeConcern,
                             loggedAs: parsedUpdate.isReplacement ? .replace : .update) { (current, found) throws(MongoError) in
            try parsedUpdate.apply(to: current, positionalIndex: found.positionalIndex, now: now).document
        }
    }

    /// `updateOne(id:matching:update:...)` for a pipeline-style update.
    public func updateOne(
        id: BSONValue, matching filter: BSONDocument, pipeline stages: [BSONDocument], writeConcern: WriteConcern
    ) throws(MongoError) -> ModifiedImages? {
        let parsedFilter = try Filter(try textMatchesAsIDFilter(filter) ?? filter, collator: try collator())
        let pipeline = try UpdatePipeline(stages)
        let database = QueryDatabase(store: collection.store, name: namespace.database, interrupt: interrupt)
        let now = WallClock.now()
        return try modifyOne(id: id, filter: parsedFilter, writeConcern: writeConcern, loggedAs: .update) {
            (current, _) throws(MongoError) in
            try pipeline.apply(to: current, database: database, now: now)
        }
    }

    /// Deletes the document whose `_id` is `id` if it still matches `filter`, atomically;
    /// returns the deleted version, or `nil` when it no longer exists or matches.
    public func deleteOne(id: BSONValue, matching filter: BSONDocument, writeConcern: WriteConcern) throws(MongoError) -> BSONDocument? {
        _ = try writeGuard()
        let parsedFilter = try Filter(try textMatchesAsIDFilter(filter) ?? filter, collator: try collator())
        var deleted: BSONDocument?
        let count = try collection.delete(ids: [id], writeConcern: writeConcern) { (current) throws(MongoError) -> Bool in
            guard parsedFilter.match(current) != nil else { return false }
            deleted = current
            return true
        }
        return count == 1 ? deleted : nil
    }

    private func modifyOne(
        id: BSONValue, filter: Filter, writeConcern: WriteConcern, loggedAs: ChangeLogEntry.Operation,
        _ transform: (BSONDocument, FilterMatch) throws(MongoError) -> BSONDocument
    ) throws(MongoError) -> ModifiedImages? {
        let validator = try writeGuard()
        var images: ModifiedImages?
        let outcome = try collection.modify(id: id, writeConcern: writeConcern, loggedAs: loggedAs) {
            (current) throws(MongoError) -> BSONDocument? in
            guard let found = filter.match(current) else { return nil }
            let updated = try transform(current, found)
            try ValueLimits.checkUpdatedDocument(updated, id: current["_id"] ?? id)
            try validator?.check(Self.withID(updated, current["_id"] ?? id), before: current)
            var after = updated
            after["_id"] = current["_id"] ?? id
            // `_id` first, as stored.
            var ordered: BSONDocument = ["_id": after["_id"] ?? id]
            for element in after where element.key != "_id" { ordered.append(element.key, element.value) }
            images = ModifiedImages(before: current, after: ordered)
            return updated == current ? nil : updated
        }
        return outcome == .notFound ? nil : images
    }
}
