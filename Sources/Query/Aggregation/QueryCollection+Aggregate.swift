// The aggregation entry points on QueryCollection: `aggregate` and `explainAggregate`.
// Parses the pipeline once, pushes its leading $match (and an index-provided $sort) into the
// planner so indexes are used, starts $sample with random seeks, and streams documents
// through the StageSinks chain built from the remaining stages.

public import BSON
import Collation
import Documents

/// The collections of one database, for stages that read others ($lookup, $unionWith).
struct QueryDatabase {
    let store: DocumentStore
    let name: String
    /// The operation's interrupt, handed to every collection a stage reads.
    var interrupt: OperationInterrupt = .none

    func collection(_ collection: String) throws(MongoError) -> QueryCollection {
        QueryCollection(store.collection(try Namespace(database: name, collection: collection)), interrupt: interrupt)
    }

    /// What a stage reading `name` ($lookup, $graphLookup, $unionWith) runs on, for a
    /// pipeline comparing under `collator`: the collection; or, when `name` is a view, its
    /// base collection under the view's collation with the view's stages first.
    ///
    /// - Throws: `OptionNotSupportedOnView` (167) for a view with another collation;
    ///   `ViewDepthLimitExceeded` (165).
    func source(_ name: String, collator: Collator?) throws(MongoError) -> ForeignSource {
        let namespace = try Namespace(database: self.name, collection: name)
        guard let view = try ViewCatalog(store: store).resolve(namespace) else {
            return ForeignSource(collection: try collection(name), viewStages: [])
        }
        try view.requireCollation(collator)
        var context = ExpressionContext(collator: collator)
        let stages = try Pipeline(view.pipeline, &context).stages
        let base = try QueryCollection(store.collection(view.base), interrupt: interrupt)
            .collated(by: view.readCollation)
        return ForeignSource(collection: base, viewStages: stages)
    }
}

/// A collection another stage reads: the collection itself, or a view's base collection
/// with the view's stages to run before the reading stage's own.
struct ForeignSource {
    /// The collection the stages run on.
    let collection: QueryCollection
    /// The view's pipeline, parsed (empty for a collection).
    let viewStages: [Stage]
}

extension QueryCollection {
    /// Runs `pipeline` on this collection and returns its results in order.
    ///
    /// - Throws: MongoDB's errors: `Location40324` for an unknown stage, `InvalidPipelineOperator`
    ///   (168) for an unknown expression, `Location15955` for `$group` without `_id`,
    ///   `QueryExceededMemoryLimitNoDiskUseAllowed` (292) when a blocking stage goes over
    ///   `options.memoryLimitBytes` without `allowDiskUse`, and the stages' runtime errors.
    public func aggregate(_ pipeline: [BSONDocument], options: AggregateOptions = AggregateOptions()) throws(MongoError) -> [BSONDocument] {
        try runAggregate(pipeline, options: options).documents
    }

    /// MongoDB's explain for an aggregation: `stages`, the first being `$cursor` with the
    /// planner's choice for the pushed-down `$match`/`$sort` (COLLSCAN or IXSCAN), or
    /// `$sampleFromRandomCursor`; at `executionStats` the pipeline runs and each stage
    /// reports its figures.
    public func explainAggregate(_ pipeline: [BSONDocument], options: AggregateOptions = AggregateOptions(),
                                 verbosity: ExplainVerbosity = .queryPlanner) throws(MongoError) -> BSONDocument {
        var context = ExpressionContext(collator: try collator())
        let scope = try Self.initialScope(options, &context)
        let parsed = try Pipeline(pipeline, &context)
        let head = try planHead(parsed, options: options)
        var stages: [BSONValue] = []
        var run: AggregateRun?
        if verbosity != .queryPlanner { run = try runAggregate(pipeline, options: options) }
        switch head.source {
        case .scan(let plan, let filter):
            let explain = ExplainWriter(namespace: namespace, plan: plan, filter: filter)
                .document(verbosity: verbosity, statistics: run?.scanStatistics ?? ExecutionStatistics())
            var cursor = explain
            cursor["ok"] = nil
            stages.append(.document(["$cursor": .document(cursor)]))
        case .random(let size):
            var sample: BSONDocument = ["$sampleFromRandomCursor": .document(["size": .int64(Int64(size))])]
            if let run { sample["docsExamined"] = .int64(Int64(run.scanStatistics.totalDocsExamined)) }
            stages.append(.document(sample))
        case .documents(let documents):
            if case .match(let spec)? = parsed.stages.first, spec.hasText,
               let cursor = try textCursorExplain(spec, verbosity: verbosity) {
                stages.append(.document(["$cursor": .document(cursor)]))
            } else {
                stages.append(.document(["$documents": .array(documents.map { .document($0) })]))
            }
        }
        for (index, stage) in head.rest.enumerated() {
            if case .unset(let paths) = stage, paths == [[TextScoreMetadata.field]] { continue }  // internal, not the user's
            var entry: BSONDocument = [stage.name: .document(Self.describe(stage, original: pipeline, offset: head.consumed + index))]
            if stage.name == "$lookup", let run {
                entry["totalKeysExamined"] = .int64(Int64(run.runtime.keysExamined))
                entry["totalDocsExamined"] = .int64(Int64(run.runtime.docsExamined))
            }
            if case .lookup(let spec) = stage, let foreignField = spec.foreignField {
                let foreign = try QueryDatabase(store: collection.store, name: namespace.database, interrupt: interrupt).collection(spec.from)
                let plan = try foreign.planFind(filter: [foreignField: .document(["$in": .array([.null])])], sort: nil, hint: nil)
                entry["indexesUsed"] = .array(plan.indexName.map { [.string($0)] } ?? [])
            }
            stages.append(.document(entry))
        }
        var explain: BSONDocument = ["explainVersion": "1", "stages": .array(stages)]
        _ = scope
        if let run { for field in AggregateStatistics(run).explainFields.elements { explain[field.key] = field.value } }
        explain["ok"] = .double(1)
        return explain
    }

    /// The spec a stage was written with.
    private static func describe(_ stage: Stage, original: [BSONDocument], offset: Int) -> BSONDocument {
        guard offset < original.count, let first = original[offset].first else { return BSONDocument() }
        if case .document(let spec) = first.value { return spec }
        return ["value": first.value]
    }

    // MARK: Running

    struct AggregateRun {
        let documents: [BSONDocument]
        let scanStatistics: ExecutionStatistics
        let runtime: PipelineRuntime
    }

    static func initialScope(_ options: AggregateOptions, _ context: inout ExpressionContext) throws(MongoError) -> ExpressionScope {
        var scope = ExpressionScope(root: .document(BSONDocument()), now: WallClock.now(), collator: context.collator)
        for (name, value) in options.variables.elements {
            let expression = try Expression.parse(value, in: &context)
            let evaluated = try expression.evaluate(scope)
            scope.bind(try context.declare(name), to: evaluated)
        }
        return scope
    }

    func runAggregate(_ pipeline: [BSONDocument], options: AggregateOptions) throws(MongoError) -> AggregateRun {
        var context = ExpressionContext(collator: try collator())
        let scope = try Self.initialScope(options, &context)
        let parsed = try Pipeline(pipeline, &context)
        let runtime = PipelineRuntime(database: QueryDatabase(store: collection.store, name: namespace.database, interrupt: interrupt),
                                      options: options, scope: scope)
        let head = try planHead(parsed, options: options)
        let collector = CollectingSink()
        let chain = try Self.buildChain(head.rest, into: collector, runtime: runtime)
        var statistics = ExecutionStatistics()
        try feed(head.source, into: chain, statistics: &statistics)
        try chain.finish()
        return AggregateRun(documents: collector.documents, scanStatistics: statistics, runtime: runtime)
    }

    /// Runs a parsed sub-pipeline ($lookup, $unionWith, $facet) over this collection.
    func runNested(_ pipeline: Pipeline, runtime: PipelineRuntime, scope: ExpressionScope, into sink: DocumentSink) throws(MongoError) {
        let nested = PipelineRuntime(database: runtime.database, options: runtime.options, scope: scope)
        let head = try planHead(pipeline, options: runtime.options)
        let chain = try Self.buildChain(head.rest, into: sink, runtime: nested)
        var statistics = ExecutionStatistics()
        try feed(head.source, into: chain, statistics: &statistics)
        try chain.finish()
        runtime.keysExamined += statistics.totalKeysExamined + nested.keysExamined
        runtime.docsExamined += statistics.totalDocsExamined + nested.docsExamined
        runtime.peakMemory = max(runtime.peakMemory, nested.peakMemory)
        runtime.spillStatistics += nested.spillStatistics
    }

    // MARK: The head of the pipeline

    enum HeadSource {
        case scan(QueryPlan, filter: BSONDocument)
        case random(Int)
        case documents([BSONDocument])
    }

    struct Head {
        let source: HeadSource
        let rest: [Stage]
        /// How many of the original stages the source absorbed.
        let consumed: Int
    }

    /// Folds leading `$match` stages (and a `$sort` an index provides) into one planned scan.
    func planHead(_ pipeline: Pipeline, options: AggregateOptions) throws(MongoError) -> Head {
        var stages = pipeline.stages[...]
        if case .documents(let documents)? = stages.first {
            return Head(source: .documents(documents), rest: Array(stages.dropFirst()), consumed: 1)
        }
        if case .collStats(let spec)? = stages.first {
            return Head(source: .documents([try collStatsDocument(spec)]), rest: Array(stages.dropFirst()), consumed: 1)
        }
        if case .indexStats? = stages.first {
            return Head(source: .documents(indexStatsDocuments()), rest: Array(stages.dropFirst()), consumed: 1)
        }
        if case .sample(let size)? = stages.first {
            return Head(source: .random(size), rest: Array(stages.dropFirst()), consumed: 1)
        }
        if case .match(let spec)? = stages.first, spec.hasText {
            try NaturalOrder.checkText(sort: nil, hint: options.hint)  // mongod: no hint beside $text
            return try textHead(spec, rest: Array(stages.dropFirst()))
        }
        if case .geoNear(let spec)? = stages.first {
            let filter = try spec.filter(indexes: indexes)
            let plan = try planFind(filter: filter, sort: nil, hint: options.hint).annotated(by: spec.output)
            return Head(source: .scan(plan, filter: filter), rest: Array(stages.dropFirst()), consumed: 1)
        }
        var filters: [BSONDocument] = []
        var residual: [Stage] = []
        var consumed = 0
        while case .match(let spec)? = stages.first {
            if !spec.filterSpec.isEmpty { filters.append(spec.filterSpec) }
            if !spec.expressions.isEmpty {
                residual.append(.match(MatchSpec(spec: spec.spec, filterSpec: BSONDocument(), filter: try Filter(BSONDocument()),
                                                 expressions: spec.expressions)))
            }
            stages = stages.dropFirst()
            consumed += 1
        }
        let filter: BSONDocument = filters.count <= 1 ? (filters.first ?? BSONDocument()) : ["$and": .array(filters.map { .document($0) })]
        var plan = try planFind(filter: filter, sort: nil, hint: options.hint)
        if case .geoNear = plan.access {
            throw MongoError(.badValue, "$geoNear, $near, and $nearSphere are not allowed in this context, as these operators "
                + "require sorting geospatial data. If you do not need sort, consider using $geoWithin instead.")
        }
        if residual.isEmpty, case .sort(let sort)? = stages.first {
            let sorted = try planFind(filter: filter, sort: sort.spec, hint: options.hint)
            if !sorted.needsInMemorySort {
                plan = sorted
                stages = stages.dropFirst()
                consumed += 1
            }
        }
        return Head(source: .scan(plan, filter: filter), rest: residual + Array(stages), consumed: consumed)
    }

    /// A plan for `filter` and `sort` (the query layer's planner, indexes included).
    func planFind(filter: BSONDocument, sort: BSONDocument?, hint: BSONValue?) throws(MongoError) -> QueryPlan {
        let collator = try collator()
        let parsedFilter = try Filter(filter, collator: collator)
        let parsedSort = try sort.flatMap { (spec) throws(MongoError) -> SortSpec? in
            spec.isEmpty ? nil : try SortSpec(spec, collator: collator)
        }
        var plan = try Planner(indexes: indexes).plan(filter: parsedFilter, sort: parsedSort, projection: nil, skip: 0, limit: nil, hint: hint)
        // `hint: {$natural: -1}` walks the collection backwards, as in a find.
        if case .collectionScan = plan.access { plan.reverse = try NaturalOrder(sort: nil, hint: hint).reverse }
        return plan
    }

    /// Pushes the head's documents into `sink` until it wants no more.
    func feed(_ source: HeadSource, into sink: DocumentSink, statistics: inout ExecutionStatistics) throws(MongoError) {
        switch source {
        case .documents(let documents):
            for document in documents where !(try sink.push(document)) { break }
        case .scan(let plan, _):
            var returned = 0
            try Executor(collection: collection, interrupt: interrupt).forEachCandidate(plan, wantPositional: false, statistics: &statistics) {
                (match) throws(MongoError) -> Bool in
                returned += 1
                return try sink.push(match.document)
            }
            statistics.nReturned += returned
        case .random(let size):
            try RandomSampler(collection: collection, interrupt: interrupt).sample(size, into: sink, statistics: &statistics)
        }
    }

    // MARK: Building the chain

    /// The sinks for `stages`, first stage outermost, ending in `sink`.
    static func buildChain(_ stages: [Stage], into sink: DocumentSink, runtime: PipelineRuntime) throws(MongoError) -> DocumentSink {
        var next = sink
        for (index, stage) in stages.enumerated().reversed() {
            let following = index + 1 < stages.count ? stages[index + 1] : nil
            next = try makeSink(stage, following: following, next: next, runtime: runtime)
        }
        return next
    }

    private static func makeSink(_ stage: Stage, following: Stage?, next: DocumentSink, runtime: PipelineRuntime) throws(MongoError) -> DocumentSink {
        switch stage {
        case .match(let spec):
            return MatchSink(spec, next: next, runtime: runtime)
        case .shape(let shaper, _):
            return TransformSink(next: next, runtime: runtime) { (document, runtime) throws(MongoError) -> BSONDocument? in
                try shaper.apply(to: document, scope: runtime.scope(for: document))
            }
        case .unset(let paths):
            return TransformSink(next: next, runtime: runtime) { (document, _) throws(MongoError) -> BSONDocument? in
                var output = document
                for path in paths { output = DocumentPaths.removing(path[...], from: output) }
                return output
            }
        case .replaceRoot(let expression, let name):
            return TransformSink(next: next, runtime: runtime) { (document, runtime) throws(MongoError) -> BSONDocument? in
                let value = try expression.evaluate(runtime.scope(for: document))
                guard case .document(let root)? = value else {
                    let shown = value.map { ServerText.value($0) } ?? "MISSING"
                    throw MongoError(.location(40228), "'\(name == "$replaceWith" ? "replacement document" : "newRoot")' must evaluate to an object, but resulting value was: \(shown). Type of resulting value: '\(ServerText.typeName(value))'. Input document: \(ServerText.value(.document(document)))")
                }
                guard let score = document[TextScoreMetadata.field] else { return root }
                var carried = root  // the text score is metadata: it stays with the new root
                carried[TextScoreMetadata.field] = score
                return carried
            }
        case .group(let spec):
            return GroupSink(stageName: "$group", fields: spec.fields, next: next, runtime: runtime) { (_, scope) throws(MongoError) -> BSONValue in
                try spec.id.evaluate(scope) ?? .null
            }
        case .sort(let spec):
            var limit: Int?
            if case .limit(let n)? = following { limit = n }
            return SortSink(spec, limit: limit, next: next, runtime: runtime)
        case .limit(let n):
            return LimitSink(n, next: next, runtime: runtime)
        case .skip(let n):
            return SkipSink(n, next: next, runtime: runtime)
        case .unwind(let spec):
            return UnwindSink(spec, next: next, runtime: runtime)
        case .count(let field):
            return CountSink(field, next: next, runtime: runtime)
        case .sortByCount(let expression):
            let sort = try SortSpec(["count": .int32(-1)])
            let sorter = SortSink(sort, limit: nil, next: next, runtime: runtime)
            var context = ExpressionContext()
            let count = try Accumulator.parse("count", .document(["$sum": .int32(1)]), &context)
            return GroupSink(stageName: "$sortByCount", fields: [("count", count)], next: sorter, runtime: runtime) { (_, scope) throws(MongoError) -> BSONValue in
                try expression.evaluate(scope) ?? .null
            }
        case .bucket(let spec):
            let sort = try SortSpec(["_id": .int32(1)])
            let sorter = SortSink(sort, limit: nil, next: next, runtime: runtime)
            return GroupSink(stageName: "$bucket", fields: spec.fields, next: sorter, runtime: runtime) { (_, scope) throws(MongoError) -> BSONValue in
                let value = try spec.groupBy.evaluate(scope) ?? .null
                for (lower, upper) in zip(spec.boundaries, spec.boundaries.dropFirst()) {
                    let comparable = value.type == lower.type || (value.isNumeric && lower.isNumeric)
                    if comparable && BSONValue.compare(value, lower) >= 0 && BSONValue.compare(value, upper) < 0 { return lower }
                }
                guard let fallback = spec.defaultBucket else {
                    throw MongoError(.location(40066), "$switch could not find a matching branch for an input, and no default was specified.")
                }
                return fallback
            }
        case .facet(let facets):
            return BufferSink(stageName: "$facet", next: next, runtime: runtime) { (documents, next, runtime) throws(MongoError) in
                var output = BSONDocument()
                for facet in facets {
                    let collector = CollectingSink()
                    let chain = try buildChain(facet.pipeline.stages, into: collector, runtime: runtime)
                    for document in documents where !(try chain.push(document)) { break }
                    try chain.finish()
                    output.append(facet.name, .array(collector.documents.map { .document($0) }))
                }
                _ = try next.push(output)
            }
        case .lookup(let spec):
            let foreign = try runtime.database.source(spec.from, collator: runtime.scope.collator)
            return TransformSink(next: next, runtime: runtime) { (document, runtime) throws(MongoError) -> BSONDocument? in
                let matches = try Self.lookup(spec, for: document, from: foreign, runtime: runtime)
                return DocumentPaths.setting(spec.asField[...], to: .array(matches.map { .document($0) }), in: document)
            }
        case .sample(let size):
            return BufferSink(stageName: "$sample", reservoir: size, next: next, runtime: runtime) { (documents, next, _) throws(MongoError) in
                for document in documents where !(try next.push(document)) { break }
            }
        case .unionWith(let name, let pipeline):
            return AppendSink(next: next, runtime: runtime) { (sink, runtime) throws(MongoError) in
                let other = try runtime.database.source(name, collator: runtime.scope.collator)
                let guardSink = ForwardingSink(sink)
                try other.collection.runNested(Pipeline(stages: other.viewStages + pipeline.stages), runtime: runtime,
                                               scope: runtime.scope, into: guardSink)
            }
        case .documents:
            throw MongoError(.location(40602), "$documents is only valid as the first stage in a pipeline")
        case .bucketAuto(let spec):
            return BucketAutoSink(spec, next: next, runtime: runtime)
        case .graphLookup(let spec):
            return TransformSink(next: next, runtime: runtime) { (document, runtime) throws(MongoError) -> BSONDocument? in
                DocumentPaths.setting(spec.asField[...], to: .array(try spec.search(from: document, runtime: runtime)), in: document)
            }
        case .densify(let spec):
            return DensifySink(spec, next: next, runtime: runtime)
        case .fill(let spec):
            return spec.makeSink(next: next, runtime: runtime)
        case .setWindowFields(let spec):
            return WindowSink(spec, next: next, runtime: runtime)
        case .merge(let spec):
            return try MergeSink(spec, next: next, runtime: runtime)
        case .collStats, .indexStats:
            throw MongoError(.location(40602), "\(stage.name) is only valid as the first stage in a pipeline")
        case .geoNear:
            throw MongoError(.location(40603), "$geoNear was not the first stage in the pipeline.")
        case .redact(let spec):
            return RedactSink(spec, next: next, runtime: runtime)
        }
    }

    /// The foreign documents `$lookup` joins to `document` from `source` (its `from`).
    static func lookup(_ spec: LookupSpec, for document: BSONDocument, from source: ForeignSource,
                       runtime: PipelineRuntime) throws(MongoError) -> [BSONDocument] {
        var stages = source.viewStages
        if let localField = spec.localField, let foreignField = spec.foreignField {
            // Equality on the local value (each element of an array; null for missing), as a
            // find, so an index on the foreign field is used.
            let local = ExpressionScope.resolve(.document(document), localField)
            var values: [BSONValue] = []
            switch local {
            case .array(let elements)?: values = elements.isEmpty ? [.null] : elements
            case nil: values = [.null]
            case let value?: values = [value]
            }
            let filter: BSONDocument = [foreignField: .document(["$in": .array(values.filter { $0.type != .regex })])]
            stages.append(.match(MatchSpec(spec: filter, filterSpec: filter, filter: try Filter(filter, collator: runtime.scope.collator),
                                           expressions: [])))
        }
        if let pipeline = spec.pipeline { stages += pipeline.stages }
        var scope = runtime.scope
        let outer = runtime.scope(for: document)
        for binding in spec.letVariables { scope.bind(binding.slot, to: try binding.value.evaluate(outer)) }
        let collector = CollectingSink()
        try source.collection.runNested(Pipeline(stages: stages), runtime: runtime, scope: scope, into: collector)
        return collector.documents
    }
}

extension Pipeline {
    /// A pipeline of already parsed stages.
    init(stages: [Stage]) {
        self.stages = stages
    }
}

/// Passes documents on without finishing the sink (a nested pipeline feeding an outer one).
final class ForwardingSink: DocumentSink {
    let target: DocumentSink
    init(_ target: DocumentSink) { self.target = target }
    override func push(_ document: BSONDocument) throws(MongoError) -> Bool { try target.push(document) }
}

extension QueryPlan {
    /// The index the plan scans, if any.
    var indexName: String? {
        if case .indexScan(let scan) = access { return scan.index.name }
        return nil
    }
}
