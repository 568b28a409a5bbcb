// Spilling blocking stages to disk: with allowDiskUse and a 64 KB limit, $sort (runs merged
// k ways, several merge passes), $group (hash partitions, partitioned again when still too
// large), $bucket and $sortByCount give exactly the in-memory results; without allowDiskUse
// the same limit fails with 292; spill files are gone afterwards, also when the run fails.

import BSON
import Documents
import BenchSupport
import Foundation
@testable import Query
import Testing

@Suite struct AggregationSpillTests {
    static let spilling = AggregateOptions(allowDiskUse: true, memoryLimitBytes: 64 * 1024)
    static let inMemory = AggregateOptions()

    /// 3,000 documents whose `v` mixes types (with many ties) and whose `pad` makes them large.
    static func mixedRows(count: Int = 3_000) -> [BSONDocument] {
        var random = SeededGenerator(seed: 0x5_9111)
        return (0..<count).map { index in
            var document: BSONDocument = ["_id": .int32(Int32(index))]
            switch Int.random(in: 0..<8, using: &random) {
            case 0: document.append("v", .int32(Int32.random(in: 0..<20, using: &random)))
            case 1: document.append("v", .double(Double(Int.random(in: 0..<20, using: &random)) + 0.5))
            case 2: document.append("v", .int64(Int64.random(in: 0..<20, using: &random)))
            case 3: document.append("v", .string("s\(Int.random(in: 0..<10, using: &random))"))
            case 4: document.append("v", .null)
            case 5: break  // missing sorts with null
            case 6: document.append("v", .bool(Bool.random(using: &random)))
            default: document.append("v", .datetime(BSONDateTime(millisecondsSinceEpoch: Int64.random(in: 0..<5, using: &random) * 86_400_000)))
            }
            document.append("g", .int32(Int32(index % 700)))
            document.append("n", .int32(Int32.random(in: -50...50, using: &random)))
            document.append("pad", .string(String(repeating: "p", count: 200)))
            return document
        }
    }

    static func withRows<Result>(_ rows: [BSONDocument], _ body: (QueryCollection) throws -> Result) throws -> Result {
        try withEngine { engine in
            let collection = try engine.collection("c", in: "db")
            try collection.collection.insert(contentsOf: rows)
            return try body(collection)
        }
    }

    /// The entries of the store's spill directory (none, or the directory is absent).
    static func spillFiles(_ collection: QueryCollection) -> [String] {
        let directory = collection.collection.store.path + "/" + SpillFile.directoryName
        return (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    /// Whether the store's spill directory exists (a stage has spilled in this store).
    static func spillDirectoryExists(_ collection: QueryCollection) -> Bool {
        FileManager.default.fileExists(atPath: collection.collection.store.path + "/" + SpillFile.directoryName)
    }

    @Test func sortSpillGivesTheInMemoryOrderWithTiesInArrivalOrder() throws {
        let rows = Self.mixedRows()
        try Self.withRows(rows) { c in
            let stages = pipeline(#"[{$sort: {v: 1}}]"#)
            let expected = try c.aggregate(stages, options: Self.inMemory)
            let (spilled, statistics) = try c.aggregateWithStatistics(stages, options: Self.spilling)
            #expect(statistics.usedDisk)
            // 64 KB of ~330-byte documents a run: more runs than one merge takes (4).
            #expect(statistics.spills > 4)
            #expect(spilled == expected)
            #expect(spilled.count == rows.count)
            // MongoDB's order: null and missing, numbers, strings, booleans, dates; equal
            // values keep the order they arrived in (here, _id order).
            let ranks = spilled.map { (document) -> Int in
                switch document["v"]?.type {
                case nil, .null?: return 0
                case .int32?, .int64?, .double?: return 1
                case .string?: return 2
                case .bool?: return 3
                default: return 4
                }
            }
            #expect(ranks == ranks.sorted())
            for (a, b) in zip(spilled, spilled.dropFirst()) {
                let order = BSONValue.compare(a["v"] ?? .null, b["v"] ?? .null)
                #expect(order <= 0)
                if order == 0 { #expect((a["_id"]?.int64Value ?? 0) < (b["_id"]?.int64Value ?? 0)) }
            }
            #expect(Self.spillFiles(c).isEmpty)
        }
    }

    @Test func descendingCompoundSortSpillEqualsInMemory() throws {
        try Self.withRows(Self.mixedRows()) { c in
            let stages = pipeline(#"[{$sort: {n: -1, v: 1, _id: -1}}, {$project: {pad: 0}}]"#)
            let spilled = try c.aggregate(stages, options: Self.spilling)
            #expect(spilled == (try c.aggregate(stages, options: Self.inMemory)))
            #expect(spilled.first?["n"] == .int32(50))
        }
    }

    @Test func sortWithLimitSpillsTheTopKAndKeepsTheFirstDocuments() throws {
        try Self.withRows(Self.mixedRows()) { c in
            let stages = pipeline(#"[{$sort: {n: 1}}, {$limit: 300}]"#)
            let expected = try c.aggregate(stages, options: Self.inMemory)
            let (spilled, statistics) = try c.aggregateWithStatistics(stages, options: Self.spilling)
            #expect(statistics.usedDisk)
            #expect(spilled.count == 300)
            #expect(spilled == expected)
        }
    }

    @Test func groupSpillGivesTheInMemoryGroupsForEveryAccumulator() throws {
        let rows = Self.mixedRows(count: 6_000)
        try Self.withRows(rows) { c in
            let stages = pipeline(#"""
                [{$group: {_id: {g: "$g", third: {$mod: ["$_id", 3]}},
                           count: {$sum: 1}, total: {$sum: "$n"}, mean: {$avg: "$n"}, low: {$min: "$v"}, high: {$max: "$v"},
                           first: {$first: "$_id"}, last: {$last: "$_id"}, ids: {$push: "$_id"}, values: {$addToSet: "$n"},
                           c: {$count: {}}, dev: {$stdDevPop: "$n"}, top: {$topN: {n: 2, sortBy: {n: -1, _id: 1}, output: "$_id"}},
                           merged: {$mergeObjects: {k: "$n"}}, middle: {$median: {input: "$n", method: "approximate"}}}},
                 {$set: {values: {$sortArray: {input: "$values", sortBy: 1}}}},
                 {$sort: {_id: 1}}]
                """#)
            let expected = try c.aggregate(stages, options: Self.inMemory)
            let (spilled, statistics) = try c.aggregateWithStatistics(stages, options: Self.spilling)
            #expect(statistics.usedDisk)
            #expect(statistics.spilledRecords > 0)
            #expect(spilled.count == 2_100)
            #expect(spilled == expected)
            // $first/$last/$push saw each group's documents in arrival order.
            for group in spilled {
                let pushed = group["ids"]?.arrayValue?.compactMap(\.int64Value) ?? []
                #expect(pushed == pushed.sorted())
                #expect(group["first"]?.int64Value == pushed.first)
                #expect(group["last"]?.int64Value == pushed.last)
                #expect(group["count"]?.int64Value == Int64(pushed.count))
            }
            #expect(Self.spillFiles(c).isEmpty)
        }
    }

    @Test func partitionsStillTooLargeArePartitionedAgain() throws {
        // 3,000 groups each holding a 1 KB $push: a sixteenth of them is still ~190 KB.
        let rows = (0..<6_000).map { index -> BSONDocument in
            ["_id": .int32(Int32(index)), "k": .string("key-\(index % 3_000)"), "blob": .string(String(repeating: "b", count: 500))]
        }
        try Self.withRows(rows) { c in
            let stages = pipeline(#"[{$group: {_id: "$k", blobs: {$push: "$blob"}, n: {$sum: 1}}}, {$sort: {_id: 1}}]"#)
            let expected = try c.aggregate(stages, options: Self.inMemory)
            let (spilled, statistics) = try c.aggregateWithStatistics(stages, options: Self.spilling)
            // The first pass spills once; partitions over the limit spill again.
            #expect(statistics.spills > 1)
            #expect(spilled.count == 3_000)
            #expect(spilled == expected)
            #expect(Self.spillFiles(c).isEmpty)
        }
    }

    @Test func bucketAndSortByCountSpillEqualInMemory() throws {
        try Self.withRows(Self.mixedRows(count: 6_000)) { c in
            for text in [
                #"[{$bucket: {groupBy: "$_id", boundaries: [0, 1000, 2000, 4000, 5999], default: "rest", output: {ids: {$push: "$_id"}}}}]"#,
                #"[{$sortByCount: "$g"}, {$sort: {count: -1, _id: 1}}]"#,
                #"[{$group: {_id: "$_id", doc: {$first: "$$ROOT"}}}, {$sort: {_id: -1}}, {$limit: 5}]"#,
            ] {
                let stages = pipeline(text)
                let spilled = try c.aggregate(stages, options: Self.spilling)
                #expect(spilled == (try c.aggregate(stages, options: Self.inMemory)), "\(text)")
                #expect(!spilled.isEmpty)
            }
        }
    }

    @Test func sameLimitWithoutAllowDiskUseFailsWith292() throws {
        try Self.withRows(Self.mixedRows()) { c in
            let small = AggregateOptions(memoryLimitBytes: 64 * 1024)
            for text in [#"[{$sort: {v: 1}}]"#, #"[{$group: {_id: "$_id", n: {$sum: "$n"}}}]"#, #"[{$sortByCount: "$_id"}]"#] {
                #expect(throws: MongoError.self) {
                    _ = try c.aggregate(pipeline(text), options: small)
                }
                do {
                    _ = try c.aggregate(pipeline(text), options: small)
                } catch let error as MongoError {
                    #expect(error.code.rawValue == 292)
                    #expect(error.code == .queryExceededMemoryLimitNoDiskUseAllowed)
                }
            }
            #expect(Self.spillFiles(c).isEmpty)
        }
    }

    @Test func explainReportsPeakMemoryAndDiskUse() throws {
        try Self.withRows(Self.mixedRows()) { c in
            let stages = pipeline(#"[{$sort: {v: 1}}]"#)
            let spilled = try c.explainAggregate(stages, options: Self.spilling, verbosity: .executionStats)
            #expect(spilled["usedDisk"] == .bool(true))
            let peak = try #require(spilled["peakMemoryBytes"]?.int64Value)
            #expect(peak > 0 && peak <= 2 * 64 * 1024)
            #expect((spilled["spilledDataStorageSize"]?.int64Value ?? 0) > 3_000 * 200)
            let inMemory = try c.explainAggregate(stages, options: Self.inMemory, verbosity: .executionStats)
            #expect(inMemory["usedDisk"] == .bool(false))
            #expect((inMemory["peakMemoryBytes"]?.int64Value ?? 0) > 3_000 * 200)
        }
    }

    @Test func spillFilesAreRemovedWhenALaterStageFails() throws {
        try Self.withRows(Self.mixedRows()) { c in
            // The $group spills, then $project fails on a group from a partition file.
            let stages = pipeline(#"[{$group: {_id: "$_id", n: {$first: "$n"}}}, {$project: {x: {$divide: [1, {$subtract: ["$_id", 2999]}]}}}]"#)
            #expect(throws: MongoError.self) {
                _ = try c.aggregate(stages, options: Self.spilling)
            }
            #expect(Self.spillDirectoryExists(c))
            #expect(Self.spillFiles(c).isEmpty)
            let sorted = pipeline(#"[{$sort: {v: 1}}, {$project: {x: {$divide: [1, {$subtract: ["$_id", 2999]}]}}}]"#)
            #expect(throws: MongoError.self) {
                _ = try c.aggregate(sorted, options: Self.spilling)
            }
            #expect(Self.spillFiles(c).isEmpty)
        }
    }
}
