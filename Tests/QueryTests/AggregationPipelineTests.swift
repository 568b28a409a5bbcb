// The pipeline engine: pipeline parse errors with MongoDB's codes, index use of the leading
// $match/$sort (explain shows IXSCAN), early termination under $limit, `let` variables,
// and the memory limit of blocking stages (292 without allowDiskUse).

import BSON
import Documents
@testable import Query
import Testing

@Suite struct AggregationPipelineTests {
    static let stageErrors: [(String, Int32)] = [
        (#"[{$frobnicate: {}}]"#, 40324),
        (#"[{$match: {}, $limit: 1}]"#, 40323),
        (#"[{$group: {total: {$sum: 1}}}]"#, 15955),
        (#"[{$group: {_id: null, t: {$median: "$a"}}}]"#, 7_436_100),
        (#"[{$group: {_id: null, t: {$bogus: 1}}}]"#, 15952),
        (#"[{$group: {_id: null, t: 1}}]"#, 40234),
        (#"[{$project: {x: {$nope: 1}}}]"#, 168),
        (#"[{$project: {a: 1, b: 0}}]"#, 31254),
        (#"[{$project: {}}]"#, 51272),
        (#"[{$limit: 0}]"#, 15958),
        (#"[{$skip: -1}]"#, 15956),
        (#"[{$sort: {a: 2}}]"#, 15975),
        (#"[{$unwind: "a"}]"#, 28818),
        (#"[{$count: "$x"}]"#, 40158),
        (#"[{$sample: {size: -1}}]"#, 28747),
        (#"[{$bucket: {groupBy: "$a", boundaries: [5, 1]}}]"#, 40194),
        (#"[{$limit: 1}, {$documents: []}]"#, 40602),
        (#"[{$match: {$expr: "$$nobody"}}]"#, 17276),
    ]

    @Test(arguments: stageErrors)
    func malformedPipelineFailsWithMongoDBCode(_ errorCase: (String, Int32)) throws {
        try withAggregationCollection(["{_id: 1, a: 1}"]) { (c: QueryCollection) throws -> Void in
            #expect {
                _ = try c.aggregate(pipeline(errorCase.0))
            } throws: { error in
                (error as? MongoError)?.code.rawValue == errorCase.1
            }
        }
    }

    @Test func leadingMatchAndSortUseTheIndex() throws {
        let rows = (1...50).map { "{_id: \($0), day: \($0 % 10), game: \"g\($0 % 3)\"}" }
        try withAggregationCollection(rows, indexes: [["day": 1]]) { (c: QueryCollection) throws -> Void in
            let stages = pipeline(#"[{$match: {day: {$gte: 3, $lt: 5}}}, {$sort: {day: 1}}, {$group: {_id: "$game", n: {$sum: 1}}}, {$sort: {_id: 1}}]"#)
            let explain = try c.explainAggregate(stages, verbosity: .executionStats)
            let cursor = try #require(explain["stages"]?.arrayValue?.first?.documentValue?["$cursor"]?.documentValue)
            let winning = try #require(cursor.document(atPath: "queryPlanner.winningPlan"))
            #expect(winning.stageNames() == ["FETCH", "IXSCAN"])
            #expect(cursor.document(atPath: "executionStats")?["totalDocsExamined"] == .int32(10))
            // The index supplied the order, so the $sort was absorbed: the next stage is $group.
            #expect(explain["stages"]?.arrayValue?.dropFirst().first?.documentValue?.keys.first == "$group")
            let result = try c.aggregate(stages)
            #expect(result == documents(#"[{_id: "g0", n: 3}, {_id: "g1", n: 4}, {_id: "g2", n: 3}]"#))
        }
    }

    @Test func limitStopsTheScanEarly() throws {
        let rows = (1...200).map { "{_id: \($0)}" }
        try withAggregationCollection(rows) { (c: QueryCollection) throws -> Void in
            let explain = try c.explainAggregate(pipeline("[{$match: {}}, {$limit: 3}]"), verbosity: .executionStats)
            let cursor = try #require(explain["stages"]?.arrayValue?.first?.documentValue?["$cursor"]?.documentValue)
            #expect(cursor.document(atPath: "executionStats")?["totalDocsExamined"] == .int32(3))
        }
    }

    @Test func letVariablesReachEveryStage() throws {
        try withAggregationCollection(["{_id: 1, a: 5}", "{_id: 2, a: 50}"]) { (c: QueryCollection) throws -> Void in
            let options = AggregateOptions(variables: ["limit": .int32(10), "label": "small"])
            let result = try c.aggregate(pipeline(#"[{$match: {$expr: {$lt: ["$a", "$$limit"]}}}, {$project: {tag: "$$label"}}]"#), options: options)
            #expect(result == documents(#"[{_id: 1, tag: "small"}]"#))
        }
    }

    @Test func blockingStagesFailOverTheMemoryLimitWithoutAllowDiskUse() throws {
        let rows = (1...200).map { "{_id: \($0), pad: \"\(String(repeating: "x", count: 200))\"}" }
        try withAggregationCollection(rows) { (c: QueryCollection) throws -> Void in
            let small = AggregateOptions(memoryLimitBytes: 10_000)
            for stages in [#"[{$sort: {pad: 1, _id: -1}}]"#, #"[{$group: {_id: "$_id", all: {$push: "$pad"}}}]"#] {
                #expect {
                    _ = try c.aggregate(pipeline(stages), options: small)
                } throws: { error in
                    (error as? MongoError)?.code == .queryExceededMemoryLimitNoDiskUseAllowed
                }
                let allowed = AggregateOptions(allowDiskUse: true, memoryLimitBytes: 10_000)
                #expect(try c.aggregate(pipeline(stages), options: allowed).count == 200)
            }
            // $sort followed by $limit keeps only the top documents, so it fits.
            #expect(try c.aggregate(pipeline(#"[{$sort: {_id: -1}}, {$limit: 2}]"#), options: small).map { $0["_id"] } == [.int32(200), .int32(199)])
        }
    }

    @Test func lookupUsesTheForeignIndex() throws {
        try withEngine { engine in
            let source = try engine.collection("source", in: "db")
            for id in 1...100 { try source.collection.insert(["_id": .int32(Int32(id)), "v": .int32(Int32(id))]) }
            let matches = try engine.collection("matches", in: "db")
            for id in [5, 50] { try matches.collection.insert(["_id": .int32(Int32(id)), "ref": .int32(Int32(id))]) }
            let stages = pipeline(#"[{$lookup: {from: "source", localField: "ref", foreignField: "_id", as: "src"}}]"#)
            let explain = try matches.explainAggregate(stages, verbosity: .executionStats)
            let lookup = try #require(explain["stages"]?.arrayValue?.dropFirst().first?.documentValue)
            #expect(lookup["indexesUsed"] == .array(["_id_"]))
            // Two joins, one document each: the 100-document source is never scanned.
            #expect(lookup["totalDocsExamined"] == .int64(2))
            let result = try matches.aggregate(stages)
            #expect(result.map { $0["src"]?.arrayValue?.count } == [1, 1])
        }
    }
}
