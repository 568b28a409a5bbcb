// ViewQuery: reads through a view, as mongod runs them — every find, count and distinct
// becomes an aggregation on the base collection whose pipeline is the view's, followed by
// the operation's own stages (filter → $match, sort, skip, limit, projection → $project),
// under the view's default collation (the caller collates `base`).
// The leading $match of the composed pipeline still reaches the planner, so indexes serve
// a view's own filter.

public import BSON

/// Read operations on a view.
public struct ViewQuery: Sendable {
    /// The view, resolved.
    public let view: ResolvedView
    /// The base collection the composed pipelines run on (inside a transaction, with the
    /// operation's interrupt, as the caller made it).
    let base: QueryCollection

    /// Reads through `view` from `base`, the query collection of `view.base`.
    public init(_ view: ResolvedView, base: QueryCollection) {
        self.view = view
        self.base = base
    }

    /// The stages a find on the view runs on the base collection.
    public static func findPipeline(view pipeline: [BSONDocument], query: FindQuery) -> [BSONDocument] {
        var stages = pipeline
        if !query.filter.isEmpty { stages.append(["$match": .document(query.filter)]) }
        if let sort = query.sort, !sort.isEmpty { stages.append(["$sort": .document(sort)]) }
        if query.skip > 0 { stages.append(["$skip": .int64(Int64(query.skip))]) }
        if let limit = query.limit, limit > 0 { stages.append(["$limit": .int64(Int64(limit))]) }
        if let projection = query.projection, !projection.isEmpty { stages.append(["$project": .document(projection)]) }
        return stages
    }

    /// The stages a count on the view runs on the base collection (one `{count}` result, or
    /// none when nothing is counted).
    public static func countPipeline(view pipeline: [BSONDocument], filter: BSONDocument, skip: Int,
                                     limit: Int?) -> [BSONDocument] {
        var stages = findPipeline(view: pipeline, query: FindQuery(filter: filter, skip: skip, limit: limit))
        stages.append(["$count": "count"])
        return stages
    }

    /// The documents a find on the view returns, in order.
    public func find(_ query: FindQuery) throws(MongoError) -> [BSONDocument] {
        try base.aggregate(Self.findPipeline(view: view.pipeline, query: query),
                           options: AggregateOptions(allowDiskUse: query.sortMemory.allowDiskUse))
    }

    /// The number of documents of the view matching `filter`, after `skip` and `limit`.
    public func count(_ filter: BSONDocument = BSONDocument(), skip: Int = 0, limit: Int? = nil) throws(MongoError) -> Int {
        let results = try base.aggregate(Self.countPipeline(view: view.pipeline, filter: filter, skip: skip, limit: limit))
        guard let count = results.first?["count"] else { return 0 }
        return ClientNumber.saturatedInteger(count).map(ClientNumber.int(clamping:)) ?? 0
    }

    /// The distinct values at `key` among the view's documents matching `filter` (array
    /// values contribute their elements), in BSON order.
    public func distinct(_ key: String, filter: BSONDocument = BSONDocument()) throws(MongoError) -> [BSONValue] {
        let path = try FieldPath(key)
        let documents = try base.aggregate(Self.findPipeline(view: view.pipeline, query: FindQuery(filter: filter)))
        var values: [BSONValue] = []
        for document in documents { QueryCollection.collect(path.components[...], in: .document(document), into: &values) }
        return try QueryCollection.sortedUnique(values, collator: try base.collator(), interrupt: base.interrupt)
    }

    /// Runs `stages` on the view.
    public func aggregate(_ stages: [BSONDocument], options: AggregateOptions = AggregateOptions()) throws(MongoError) -> [BSONDocument] {
        try base.aggregate(view.pipeline + stages, options: options)
    }

    /// The explain of `stages` on the view: the composed pipeline's, on the base collection.
    public func explainAggregate(_ stages: [BSONDocument], options: AggregateOptions = AggregateOptions(),
                                 verbosity: ExplainVerbosity = .queryPlanner) throws(MongoError) -> BSONDocument {
        try base.explainAggregate(view.pipeline + stages, options: options, verbosity: verbosity)
    }
}
