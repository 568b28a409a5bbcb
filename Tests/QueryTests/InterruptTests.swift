// Interrupts inside the work: a scan, sort, blocking stage or lookup given an expired deadline
// or a thrown kill switch stops at once with 50 or 11601; without an interrupt the same work
// completes. Also find's blocking-sort bound (292 / spill), `$in` by search, value limits.

import BSON
import Documents
@testable import Query
import Testing
import TestSupport

@Suite struct InterruptTests {
    /// 2,000 small documents in `db.c` (and 50 in `db.other`), then `body`.
    static func withRows<Result>(_ body: (QueryCollection) throws -> Result) throws -> Result {
        try withEngine { engine in
            let collection = try engine.collection("c", in: "db")
            try collection.collection.insert(contentsOf: (0..<2_000).map { index in
                ["_id": .int32(Int32(index)), "a": .int32(Int32(index)), "g": .int32(Int32(index % 10))]
            })
            let other = try engine.collection("other", in: "db")
            try other.collection.insert(contentsOf: (0..<50).map { index in ["k": .int32(Int32(index))] })
            return try body(collection)
        }
    }

    static let expired = OperationInterrupt(deadline: ContinuousClock.now - .seconds(1))

    static func killed() -> OperationInterrupt {
        let killSwitch = KillSwitch()
        killSwitch.kill()
        return OperationInterrupt(killSwitch: killSwitch)
    }


    @Test func pollChecksOnTheFirstTickThenEveryInterval() throws {
        var poll = Self.expired.poll(every: 4)
        #expect(mongoErrorCode { try poll.tick() } == 50)
        var quiet = OperationInterrupt.none.poll(every: 1)
        for _ in 0..<10_000 { try quiet.tick() }
    }

    @Test func collectionScanWithAnExpiredDeadlineStopsWith50() throws {
        try Self.withRows { c in
            var seen = 0
            let code = mongoErrorCode {
                try c.collection.forEachRecord(interrupt: Self.expired) { _ in
                    seen += 1
                    return true
                }
            }
            #expect(code == 50)
            #expect(seen == 0)
        }
    }

    @Test func indexScanWithAKilledSwitchStopsWith11601() throws {
        try Self.withRows { c in
            _ = try c.collection.store.createIndex(on: c.namespace, key: ["a": 1])
            let interrupted = c.interrupted(by: Self.killed())
            #expect(mongoErrorCode { _ = try interrupted.find(FindQuery(filter: ["a": ["$gte": 0]])) } == 11601)
        }
    }

    @Test func everyReadStopsWith50PastItsDeadline() throws {
        try Self.withRows { plain in
            let c = plain.interrupted(by: Self.expired)
            #expect(mongoErrorCode { _ = try c.find(FindQuery(filter: ["a": -1])) } == 50)
            #expect(mongoErrorCode { _ = try c.find(FindQuery(sort: ["a": -1])) } == 50)
            #expect(mongoErrorCode { _ = try c.count(["a": ["$gte": 0]]) } == 50)
            #expect(mongoErrorCode { _ = try c.distinct("g") } == 50)
            let pipelines: [[BSONDocument]] = [
                [["$group": ["_id": "$g", "n": ["$sum": 1]]]],
                [["$sample": ["size": 5]]],
                [["$documents": [["k": 1]]], ["$lookup": ["from": "other", "localField": "k", "foreignField": "k", "as": "m"]]],
                [["$documents": [["p": 1]]], ["$graphLookup": ["from": "c", "startWith": "$p", "connectFromField": "g",
                                                                "connectToField": "a", "as": "found"]]],
                [["$documents": [["x": 1]]], ["$unionWith": "other"]],
            ]
            for pipeline in pipelines {
                #expect(mongoErrorCode { _ = try c.aggregate(pipeline) } == 50, "\(pipeline)")
            }
            // The same work without an interrupt completes.
            try #expect(plain.count(["a": ["$gte": 0]]) == 2_000)
            try #expect(plain.aggregate([["$group": ["_id": "$g"]]]).count == 10)
        }
    }

    @Test func blockingStagesPollTheirInterrupt() throws {
        // $documents bypasses the scan: the stages' own loops must notice the deadline.
        let rows: [BSONValue] = (0..<1_000).map { .document(["a": .int32(Int32($0)), "g": .int32(Int32($0 % 7))]) }
        try Self.withRows { plain in
            let c = plain.interrupted(by: Self.expired)
            let stages: [BSONDocument] = [
                ["$group": ["_id": "$g", "n": ["$sum": 1]]],
                ["$sort": ["a": -1]],
                ["$setWindowFields": ["partitionBy": "$g", "sortBy": ["a": 1],
                                      "output": ["r": ["$sum": "$a", "window": ["documents": ["unbounded", "current"]]]]]],
            ]
            for stage in stages {
                #expect(mongoErrorCode { _ = try c.aggregate([["$documents": .array(rows)], stage]) } == 50, "\(stage)")
            }
        }
    }

    @Test func findSortPastItsMemoryLimitFailsWith292OrSpills() throws {
        try Self.withRows { c in
            let tight = SortMemoryLimit(limitBytes: 16 * 1024)
            let query = FindQuery(sort: ["a": -1], sortMemory: tight)
            #expect(mongoErrorCode { _ = try c.find(query) } == 292)
            var spilling = query
            spilling.sortMemory.allowDiskUse = true
            let sorted = try c.find(spilling)
            #expect(ids(sorted) == Array((0..<2_000).reversed()))
            // A limit keeps only the top of the sort in memory.
            #expect(ids(try c.find(FindQuery(sort: ["a": -1], limit: 3, sortMemory: tight))) == [1_999, 1_998, 1_997])
        }
    }

    @Test func inMatchesNumbersAcrossTypesAndNullMatchesMissing() throws {
        try Self.withRows { c in
            let values: [BSONValue] = [.double(3), .int64(5), .decimal128(Decimal128(Int64(7))), .string("x")]
                + (100_000..<200_000).map { .int32(Int32($0)) }
            try #expect(c.count(["a": ["$in": .array(values)]]) == 3)
            try #expect(c.count(["missing": ["$in": [.null, .int32(1)]]]) == 2_000)
            try #expect(c.count(["missing": ["$in": [.int32(1), .string("z")]]]) == 0)
        }
    }

    @Test func expressionsStopAtSixteenMegabytes() throws {
        try Self.withRows { c in
            let big = String(repeating: "z", count: 9 * 1024 * 1024)
            let concat: [BSONDocument] = [["$documents": [["s": .string(big)]]],
                                          ["$project": ["t": ["$concat": ["$s", "$s"]]]]]
            #expect(mongoErrorCode { _ = try c.aggregate(concat) } == 10334)
            let replace: [BSONDocument] = [["$documents": [["s": .string(String(repeating: "ab", count: 2_000_000))]]],
                                           ["$project": ["t": ["$replaceAll": ["input": "$s", "find": "a", "replacement": "0123456789"]]]]]
            #expect(mongoErrorCode { _ = try c.aggregate(replace) } == 10334)
            let doubling: [BSONDocument] = [["$documents": [["x": 1]]],
                                            ["$project": ["t": ["$reduce": ["input": ["$range": [0, 40]], "initialValue": ["a"],
                                                                            "in": ["$concatArrays": ["$$value", "$$value"]]]]]]]
            #expect(mongoErrorCode { _ = try c.aggregate(doubling) } == 10334)
        }
    }

    @Test func pushPastOneHundredMegabytesFailsWith146() throws {
        try Self.withRows { c in
            let chunk = String(repeating: "q", count: 1024 * 1024)
            let rows: [BSONValue] = (0..<120).map { _ in .document(["s": .string(chunk)]) }
            let push: [BSONDocument] = [["$documents": .array(rows)], ["$group": ["_id": .null, "all": ["$push": "$s"]]]]
            let options = AggregateOptions(allowDiskUse: true, memoryLimitBytes: 1 << 40)
            #expect(mongoErrorCode { _ = try c.aggregate(push, options: options) } == 146)
        }
    }
}
