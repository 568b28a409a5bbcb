// Pipelines over documents that are not stored: change stream events pass through the
// stages that follow `$changeStream` here. The documents are taken as they are (unlike
// `$documents`, whose argument is an expression), and no stage reads the collection.

public import BSON
import Documents

extension QueryCollection {
    /// Runs `pipeline` over `documents` in order and returns the results; the collection
    /// only names the database for `$lookup`-style stages.
    public func aggregate(
        _ pipeline: [BSONDocument], over documents: [BSONDocument], options: AggregateOptions = AggregateOptions()
    ) throws(MongoError) -> [BSONDocument] {
        if pipeline.isEmpty { return documents }
        var context = ExpressionContext()
        let scope = try Self.initialScope(options, &context)
        let parsed = try Pipeline(pipeline, &context)
        let runtime = PipelineRuntime(database: QueryDatabase(store: collection.store, name: namespace.database, interrupt: interrupt),
                                      options: options, scope: scope)
        let collector = CollectingSink()
        let chain = try Self.buildChain(parsed.stages, into: collector, runtime: runtime)
        var statistics = ExecutionStatistics()
        try feed(.documents(documents), into: chain, statistics: &statistics)
        try chain.finish()
        return collector.documents
    }
}
