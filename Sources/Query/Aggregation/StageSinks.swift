// StageSinks: pipeline execution as a push-based chain. Each stage receives documents one at
// a time (`push` returns false when it wants no more, which stops the scan underneath) and
// `finish` flushes blocking stages. Streaming stages hold one document; blocking ones
// ($sort, $group, $bucket, $facet, $sample) charge a MemoryBudget, and $sort and $group
// spill to disk past it when `allowDiskUse` is set (sorted runs; hash partitions).

internal import BSON
internal import Documents

/// A consumer of documents in a pipeline.
class DocumentSink {
    /// Takes one document; false when no more input is wanted.
    func push(_ document: BSONDocument) throws(MongoError) -> Bool { true }
    /// The input is exhausted: emit whatever is held.
    func finish() throws(MongoError) {}
}

/// The end of a pipeline: collects results.
final class CollectingSink: DocumentSink {
    private(set) var documents: [BSONDocument] = []

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        documents.append(document)
        return true
    }
}

/// What every stage needs at run time: variables, `$$NOW`, the database, options, statistics.
final class PipelineRuntime {
    let database: QueryDatabase
    let options: AggregateOptions
    var scope: ExpressionScope
    /// Keys and documents examined by stages that read other collections ($lookup, $unionWith).
    var keysExamined = 0
    var docsExamined = 0
    /// The largest memory any blocking stage held.
    var peakMemory = 0
    /// What blocking stages wrote to disk (with `allowDiskUse`).
    var spillStatistics = SpillStatistics()
    /// Polls the operation's interrupt (maxTimeMS, killOp) for stages that loop over
    /// documents they hold.
    private var poll: InterruptPoll

    init(database: QueryDatabase, options: AggregateOptions, scope: ExpressionScope) {
        self.database = database
        self.options = options
        self.scope = scope
        poll = database.interrupt.poll()
    }

    /// Counts one document of a blocking stage's work; every few hundred, throws when the
    /// operation must stop (`MaxTimeMSExpired` 50, `Interrupted` 11601).
    func tick() throws(MongoError) { try poll.tick() }

    /// Checks the operation's interrupt now (before and after one long call, such as a sort).
    func checkForInterrupt() throws(MongoError) { try database.interrupt.check() }

    func scope(for document: BSONDocument) -> ExpressionScope {
        scope.with(root: .document(document))
    }
}

/// A stage that passes its output to `next`.
class StageSink: DocumentSink {
    let next: DocumentSink
    let runtime: PipelineRuntime

    init(next: DocumentSink, runtime: PipelineRuntime) {
        self.next = next
        self.runtime = runtime
    }

    override func finish() throws(MongoError) { try next.finish() }
}

final class MatchSink: StageSink {
    let spec: MatchSpec
    init(_ spec: MatchSpec, next: DocumentSink, runtime: PipelineRuntime) {
        self.spec = spec
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        guard try spec.filter.evaluate(document) != nil else { return true }
        if !spec.expressions.isEmpty {
            let scope = runtime.scope(for: document)
            for expression in spec.expressions where !Expression.isTruthy(try expression.evaluate(scope)) { return true }
        }
        return try next.push(document)
    }
}

final class TransformSink: StageSink {
    let transform: (BSONDocument, PipelineRuntime) throws(MongoError) -> BSONDocument?
    init(next: DocumentSink, runtime: PipelineRuntime,
         _ transform: @escaping (BSONDocument, PipelineRuntime) throws(MongoError) -> BSONDocument?) {
        self.transform = transform
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        guard let output = try transform(document, runtime) else { return true }
        return try next.push(output)
    }
}

final class LimitSink: StageSink {
    private var remaining: Int
    init(_ limit: Int, next: DocumentSink, runtime: PipelineRuntime) {
        remaining = limit
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        guard remaining > 0 else { return false }
        remaining -= 1
        let wantsMore = try next.push(document)
        return wantsMore && remaining > 0
    }
}

final class SkipSink: StageSink {
    private var remaining: Int
    init(_ skip: Int, next: DocumentSink, runtime: PipelineRuntime) {
        remaining = skip
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        if remaining > 0 {
            remaining -= 1
            return true
        }
        return try next.push(document)
    }
}

final class UnwindSink: StageSink {
    let spec: UnwindSpec
    init(_ spec: UnwindSpec, next: DocumentSink, runtime: PipelineRuntime) {
        self.spec = spec
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        let value = DocumentPaths.value(at: spec.path, in: document)
        switch value {
        case .array(let elements)? where !elements.isEmpty:
            for (index, element) in elements.enumerated() {
                var output = DocumentPaths.setting(spec.path[...], to: element, in: document)
                if let indexPath = spec.includeArrayIndex {
                    output = DocumentPaths.setting(indexPath[...], to: .int64(Int64(index)), in: output)
                }
                guard try next.push(output) else { return false }
            }
            return true
        case nil, .null?, .array?:
            guard spec.preserveNullAndEmptyArrays else { return true }
            var output = document
            if case .array? = value { output = DocumentPaths.removing(spec.path[...], from: output) }
            if let indexPath = spec.includeArrayIndex { output = DocumentPaths.setting(indexPath[...], to: .null, in: output) }
            return try next.push(output)
        default:
            var output = document
            if let indexPath = spec.includeArrayIndex { output = DocumentPaths.setting(indexPath[...], to: .null, in: output) }
            return try next.push(output)
        }
    }
}

final class CountSink: StageSink {
    let field: String
    private var count = 0
    init(_ field: String, next: DocumentSink, runtime: PipelineRuntime) {
        self.field = field
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        count += 1
        return true
    }

    override func finish() throws(MongoError) {
        if count > 0 { _ = try next.push([field: ExpressionArithmetic.intOrLong(Int64(count))]) }
        try next.finish()
    }
}

// SortSink and GroupSink, which spill, live in SortSink.swift and GroupSink.swift.

/// Buffers every input document, then hands the buffer to `emit` (for $facet and $sample).
final class BufferSink: StageSink {
    private var documents: [BSONDocument] = []
    private var budget: MemoryBudget
    let emit: ([BSONDocument], DocumentSink, PipelineRuntime) throws(MongoError) -> Void
    let reservoir: Int?
    private var seen = 0
    private var generator = SystemRandomNumberGenerator()

    init(stageName: String, reservoir: Int? = nil, next: DocumentSink, runtime: PipelineRuntime,
         emit: @escaping ([BSONDocument], DocumentSink, PipelineRuntime) throws(MongoError) -> Void) {
        budget = MemoryBudget(stage: stageName, options: runtime.options)
        self.reservoir = reservoir
        self.emit = emit
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        seen += 1
        if let reservoir {
            // Reservoir sampling keeps a uniform sample of `reservoir` documents.
            if documents.count < reservoir {
                documents.append(document)
                try budget.charge(MemoryBudget.size(of: document))
            } else {
                let slot = Int.random(in: 0..<seen, using: &generator)
                if slot < reservoir { documents[slot] = document }
            }
            return true
        }
        documents.append(document)
        try budget.charge(MemoryBudget.size(of: document))
        return true
    }

    override func finish() throws(MongoError) {
        runtime.peakMemory = max(runtime.peakMemory, budget.peak)
        if reservoir != nil { documents.shuffle(using: &generator) }
        try emit(documents, next, runtime)
        documents = []
        try next.finish()
    }
}

/// Runs after its input ends: pushes another source's documents ($unionWith).
final class AppendSink: StageSink {
    let source: (DocumentSink, PipelineRuntime) throws(MongoError) -> Void
    private var stopped = false

    init(next: DocumentSink, runtime: PipelineRuntime, source: @escaping (DocumentSink, PipelineRuntime) throws(MongoError) -> Void) {
        self.source = source
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        let more = try next.push(document)
        if !more { stopped = true }
        return more
    }

    override func finish() throws(MongoError) {
        if !stopped { try source(next, runtime) }
        try next.finish()
    }
}
