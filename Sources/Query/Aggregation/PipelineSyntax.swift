// PipelineSyntax: parsing an aggregation or update pipeline without running it, for callers
// outside Query that only need the verdict (the libFuzzer harness Fuzz/QueryParserFuzz).
// Owns no parsing of its own: it calls Pipeline's and UpdatePipeline's initialisers.

public import BSON
import Documents

/// Entry points to the pipeline parsers, kept behind `@_spi(Fuzzing)` so they are not part
/// of Query's public API.
@_spi(Fuzzing)
public enum PipelineSyntax {
    /// Parses `stages` as an aggregation pipeline and drops the result.
    ///
    /// - Throws: the parse errors `aggregate` would report for the same stages.
    public static func checkAggregation(_ stages: [BSONDocument]) throws(MongoError) {
        var context = ExpressionContext()
        _ = try Pipeline(stages, &context)
    }

    /// Parses `stages` as a pipeline-style update (`u: [...]`) and drops the result.
    public static func checkUpdate(_ stages: [BSONDocument]) throws(MongoError) {
        _ = try UpdatePipeline(stages)
    }
}
