// What a command's OperationTally collects from the engine's scans (the profiler's and slow
// log's keysExamined, docsExamined, planSummary, hasSortStage), and compaction returning the
// space of deleted documents — on real RocksDB stores.

import BSON
import Documents
@testable import Query
import Testing
import TestSupport

@Suite struct OperationTallyTests {
    /// `count` documents `{_id, a, pad}` in `db.c`, then `body`.
    static func withRows<Result>(_ count: Int, pad: Int = 8, _ body: (QueryEngine, QueryCollection) throws -> Result) throws -> Result {
        try withEngine { engine in
            let collection = try engine.collection("c", in: "db")
            var generator = SystemRandomNumberGenerator()
            for start in stride(from: 0, to: count, by: 500) {
                try collection.insert(contentsOf: (start..<min(start + 500, count)).map { index in
                    let bytes = (0..<pad).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    return ["_id": .int32(Int32(index)), "a": .int32(Int32(index)),
                            "pad": .binary(BSONBinary(subtype: .generic, bytes: bytes))]
                })
            }
            return try body(engine, collection)
        }
    }

    @Test func aCollectionScanCountsEveryDocumentItReads() throws {
        try Self.withRows(300) { _, collection in
            let tally = OperationTally()
            let found = try collection.interrupted(by: OperationInterrupt(tally: tally))
                .find(FindQuery(filter: ["a": ["$gte": 100]]))
            #expect(found.count == 200)
            #expect(tally.docsExamined == 300)
            #expect(tally.keysExamined == 0)
            #expect(tally.planSummary == "COLLSCAN")
            #expect(!tally.sortedInMemory)
        }
    }

    @Test func anIndexScanCountsKeysAndFetchesAndNamesTheIndex() throws {
        try Self.withRows(300) { engine, collection in
            _ = try engine.createIndex(on: collection.namespace, key: ["a": 1])
            let tally = OperationTally()
            let found = try collection.interrupted(by: OperationInterrupt(tally: tally))
                .find(FindQuery(filter: ["a": ["$gte": 10, "$lt": 20]]))
            #expect(found.count == 10)
            #expect(tally.docsExamined == found.count)
            #expect(tally.keysExamined >= found.count)
            #expect(tally.planSummary == "IXSCAN { a: 1 }")
        }
    }

    @Test func anUnindexedSortIsNoted() throws {
        try Self.withRows(50) { _, collection in
            let tally = OperationTally()
            _ = try collection.interrupted(by: OperationInterrupt(tally: tally))
                .find(FindQuery(sort: ["pad": 1]))
            #expect(tally.sortedInMemory)
        }
    }

    @Test func withoutATallyNothingIsCounted() throws {
        try Self.withRows(20) { _, collection in
            let tally = OperationTally()
            _ = try collection.find(FindQuery(filter: ["a": 1]))
            #expect(tally.docsExamined == 0 && tally.planSummary == nil)
        }
    }

    @Test func compactionReturnsTheSpaceOfDeletedDocuments() throws {
        try Self.withRows(6_000, pad: 1_000) { engine, collection in
            try engine.flushToDisk()
            let deleted = try collection.delete(["a": ["$gte": 600]])
            #expect(deleted == 5_400)
            let result = try engine.compact(collection.namespace)
            // 5,400 deleted documents of over 1,000 bytes each: at least half of that comes back.
            #expect(result.bytesFreed >= UInt64(5_400 * 1_000 / 2))
            #expect(try collection.count() == 600)
            #expect(mongoErrorCode { _ = try engine.compact(try Namespace(database: "db", collection: "none")) } == 26)
        }
    }
}
