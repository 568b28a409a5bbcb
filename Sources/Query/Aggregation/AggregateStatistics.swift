// AggregateStatistics: what one aggregation cost besides its results — the largest memory a
// blocking stage held, what was spilled to disk, documents and keys examined — for
// `explainAggregate` at executionStats and for callers (benchmarks) that want the results too.

public import BSON
import Documents

/// Figures from one run of a pipeline.
public struct AggregateStatistics: Sendable, Equatable {
    /// The most memory any blocking stage ($sort, $group, $bucket...) held, by the stages'
    /// own estimate (MemoryBudget), in bytes.
    public var peakMemoryBytes: Int
    /// Whether a blocking stage wrote to disk (only with `allowDiskUse`).
    public var usedDisk: Bool { spills > 0 }
    /// How many times blocking stages went over their limit and spilled (a sorted run each for
    /// $sort; one partitioning for $group).
    public var spills: Int
    /// Documents written to spill files.
    public var spilledRecords: Int
    /// Bytes written to spill files.
    public var spilledBytes: Int
    /// Documents read from collections (the pipeline's source, $lookup and $unionWith).
    public var docsExamined: Int
    /// Documents read by the pipeline's source alone (its scan, or $sample's random seeks).
    public var sourceDocsExamined: Int
    /// Index keys read.
    public var keysExamined: Int

    init(_ run: QueryCollection.AggregateRun) {
        peakMemoryBytes = run.runtime.peakMemory
        spills = run.runtime.spillStatistics.spills
        spilledRecords = run.runtime.spillStatistics.spilledRecords
        spilledBytes = run.runtime.spillStatistics.spilledBytes
        docsExamined = run.scanStatistics.totalDocsExamined + run.runtime.docsExamined
        sourceDocsExamined = run.scanStatistics.totalDocsExamined
        keysExamined = run.scanStatistics.totalKeysExamined + run.runtime.keysExamined
    }

    /// The top-level fields `explainAggregate` adds at executionStats.
    var explainFields: BSONDocument {
        [
            "peakMemoryBytes": .int64(Int64(peakMemoryBytes)),
            "usedDisk": .bool(usedDisk),
            "spills": .int64(Int64(spills)),
            "spilledRecords": .int64(Int64(spilledRecords)),
            "spilledDataStorageSize": .int64(Int64(spilledBytes)),
        ]
    }
}

extension QueryCollection {
    /// Runs `pipeline` like `aggregate` and also returns what it cost.
    ///
    /// - Throws: the errors of `aggregate`.
    public func aggregateWithStatistics(_ pipeline: [BSONDocument], options: AggregateOptions = AggregateOptions())
        throws(MongoError) -> (documents: [BSONDocument], statistics: AggregateStatistics) {
        let run = try runAggregate(pipeline, options: options)
        return (run.documents, AggregateStatistics(run))
    }
}
