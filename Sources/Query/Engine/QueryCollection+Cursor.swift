// QueryCollection+Cursor: opening the engine's streaming cursors (QueryCursor) — a find, or
// an aggregation whose stages after the planned head all work document by document. Parses
// and plans at once (errors before any batch), takes the snapshot every batch reads, and picks
// the match stream: the access path itself, or a blocking sort read on after sorting.

public import BSON
internal import Documents

extension QueryCollection {
    /// A streaming cursor over `query`'s results (filter, projection, sort, skip, limit, hint,
    /// collation, sort memory): batches come from one snapshot of the store taken now.
    ///
    /// - Throws: MongoError for a malformed query, as ``find(_:)`` does.
    public func openCursor(_ query: FindQuery) throws(MongoError) -> QueryCursor {
        if let text = try textSearch(query) { return QueryCursor(.documents(text.documents, position: 0)) }
        let plan = try prepare(query).plan
        let reading = try snapshotted()
        let wantPositional = plan.projection?.usesPositional ?? false
        let matches = Self.matchStream(plan, on: reading, sortMemory: query.sortMemory, wantPositional: wantPositional)
        return QueryCursor(.find(FindStream(matches: matches, projection: plan.projection)))
    }

    /// A streaming cursor over `pipeline`'s results. A pipeline whose stages after its
    /// leading `$match` (and an index-provided `$sort`) all work document by document
    /// (`$match`, `$project`, `$addFields`/`$set`, `$unset`, `$replaceRoot`/`$replaceWith`,
    /// `$unwind`, `$redact`, `$skip`, `$limit`) streams from one snapshot; any other runs
    /// whole now and its results are handed out in batches.
    ///
    /// - Throws: MongoError for a malformed pipeline, or the pipeline's own errors when it
    ///   runs whole.
    public func openCursor(pipeline: [BSONDocument], options: AggregateOptions = AggregateOptions()) throws(MongoError) -> QueryCursor {
        var context = ExpressionContext(collator: try collator())
        let scope = try Self.initialScope(options, &context)
        let parsed = try Pipeline(pipeline, &context)
        let head = try planHead(parsed, options: options)
        guard case let .scan(plan, _) = head.source, head.rest.allSatisfy(Self.streams) else {
            return QueryCursor(.documents(try aggregate(pipeline, options: options), position: 0))
        }
        let reading = try snapshotted()
        // The stages run between batches, under no one operation's deadline: each batch's
        // scan polls that batch's interrupt.
        let runtime = PipelineRuntime(database: QueryDatabase(store: collection.store, name: namespace.database, interrupt: .none),
                                      options: options, scope: scope)
        let output = DrainingSink()
        let chain = try Self.buildChain(head.rest, into: output, runtime: runtime)
        let source = ScanMatchStream(collection: reading, plan: plan, wantPositional: false)
        return QueryCursor(.pipeline(PipelineStream(source: source, chain: chain, output: output)))
    }

    /// Whether `stage` turns each document into zero or more documents on its own.
    static func streams(_ stage: Stage) -> Bool {
        switch stage {
        case .match, .shape, .unset, .replaceRoot, .unwind, .redact, .skip, .limit: true
        default: false
        }
    }

    /// The collection read at a snapshot taken now (inside a transaction: the transaction's).
    private func snapshotted() throws(MongoError) -> DocumentCollection {
        guard collection.transaction == nil else { return collection }
        return collection.reading(at: try collection.store.makeReadSnapshot())
    }

    /// The stream of `plan`'s matches on `collection`: a blocking sort when the plan needs
    /// one, else the access path resumed batch by batch.
    private static func matchStream(
        _ plan: QueryPlan, on collection: DocumentCollection, sortMemory: SortMemoryLimit, wantPositional: Bool
    ) -> any MatchStream {
        if plan.needsInMemorySort {
            return SortedMatchStream(collection: collection, plan: plan, sortMemory: sortMemory, wantPositional: wantPositional)
        }
        return ScanMatchStream(collection: collection, plan: plan, wantPositional: wantPositional)
    }
}
