// UpdatePipeline: a pipeline-style update (`u: [stage, ...]`) — the stages an update may use
// ($addFields/$set, $project, $unset, $replaceRoot/$replaceWith) parsed once and applied to
// one document at a time through the aggregation engine's stage chain.

public import BSON
import Documents

/// The stages of a pipeline-style update, ready to apply to matched documents.
struct UpdatePipeline: Sendable {
    /// The stages MongoDB allows in an update pipeline.
    static let allowedStages: Set<String> = [
        "$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith",
    ]

    let pipeline: Pipeline

    /// Parses `stages`.
    ///
    /// - Throws: `InvalidOptions` (72) for a stage an update cannot use, and the stages'
    ///   own parse errors.
    init(_ stages: [BSONDocument]) throws(MongoError) {
        for stage in stages {
            guard let name = stage.first?.key else {
                throw MongoError(.location(40323), "A pipeline stage specification object must contain exactly one field.")
            }
            guard Self.allowedStages.contains(name) else {
                throw MongoError(.invalidOptions, "\(name) is not allowed to be used within an update")
            }
        }
        var context = ExpressionContext()
        pipeline = try Pipeline(stages, &context)
    }

    /// `document` after every stage, read with `$$NOW` = `now`.
    func apply(to document: BSONDocument, database: QueryDatabase, now: BSONDateTime) throws(MongoError) -> BSONDocument {
        let runtime = PipelineRuntime(database: database, options: AggregateOptions(),
                                      scope: ExpressionScope(root: .document(document), now: now))
        let collector = CollectingSink()
        let chain = try QueryCollection.buildChain(pipeline.stages, into: collector, runtime: runtime)
        _ = try chain.push(document)
        try chain.finish()
        guard let result = collector.documents.first else {
            throw MongoError(.internalError, "an update pipeline produced no document")
        }
        return result
    }
}

extension QueryCollection {
    /// Applies the pipeline-style update `stages` to the first (or, with `multi`, every)
    /// matching document, or on `upsert` inserts the query's equality fields run through the
    /// stages when nothing matches. Each document is read, re-matched and written inside the
    /// commit section, like operator updates.
    ///
    /// - Throws: `InvalidOptions` (72) for a stage updates cannot use; `ImmutableField` (66)
    ///   if a stage changes `_id`; the stages' errors.
    @discardableResult
    public func update(
        _ filter: BSONDocument, pipeline stages: [BSONDocument], options: UpdateOptions = UpdateOptions()
    ) throws(MongoError) -> UpdateResult {
        let parsedFilter = try Filter(filter, collator: try collator())
        let pipeline = try UpdatePipeline(stages)
        let database = QueryDatabase(store: collection.store, name: namespace.database, interrupt: interrupt)
        let now = WallClock.now()
        let validator = try writeGuard()
        let transform = { (current: BSONDocument, _: FilterMatch) throws(MongoError) -> BSONDocument? in
            let updated = try pipeline.apply(to: current, database: database, now: now)
            return updated == current ? nil : updated
        }
        // The query's equality fields seed an upserted document; the insert adds an _id if
        // neither they nor the stages set one.
        let seed = { () throws(MongoError) -> BSONDocument in
            try pipeline.apply(to: try UpsertSeed.document(from: filter, onlyId: false).documentValue,
                               database: database, now: now)
        }
        return try retryingUpsertRace(options.upsert) { () throws(MongoError) -> UpdateResult in
            try updateMatching(parsedFilter, multi: options.multi, writeConcern: options.writeConcern,
                               validator: validator, transform: transform, upsert: options.upsert ? seed : nil)
        }
    }
}
