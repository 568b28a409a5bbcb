// QueryCursor tests on a real store: a streaming cursor's batches, put together, equal the
// non-streaming find (or aggregate) for every kind of plan — collection scan, index scan
// forward and reverse, multikey, in-memory and spilled sorts, skip/limit, projection,
// streaming pipelines — and it reads one snapshot whatever is written between batches;
// closing, exhausting or dropping it releases it (the open count returns).

import BSON
import Foundation
import Documents
import Testing
import TestSupport
@testable import Query

/// Serialized: the open-cursor count is process-wide.
@Suite(.serialized) struct QueryCursorTests {
    /// 300 documents with shuffled integer `_id`s: v (0..<50), a (0..<30, missing on some),
    /// tags (an array of 0–3 numbers), s (a string of varying length).
    private func populate(_ engine: QueryEngine) throws -> QueryCollection {
        let items = try engine.collection("items", in: "cursor")
        var random = TestRandom(seed: 11)
        var order = Array(0..<300)
        order.shuffle(using: &random)
        var batch: [BSONDocument] = []
        for index in order {
            var document: BSONDocument = ["_id": .int32(Int32(index))]
            document["v"] = .int32(Int32.random(in: 0..<50, using: &random))
            if index % 13 != 0 { document["a"] = .int32(Int32.random(in: 0..<30, using: &random)) }
            document["tags"] = .array((0..<(index % 4)).map { _ in .int32(Int32.random(in: 0..<8, using: &random)) })
            document["s"] = .string(String(repeating: "x", count: Int.random(in: 1..<200, using: &random)))
            batch.append(document)
        }
        try items.insert(contentsOf: batch)
        return items
    }

    /// Every batch of `cursor` of at most `size` documents, until it is no longer open.
    private func drain(_ cursor: QueryCursor, batch size: Int, maxBytes: Int = QueryCursor.defaultMaxBatchBytes) throws -> [BSONDocument] {
        var all: [BSONDocument] = []
        var batches = 0
        while cursor.isOpen {
            let batch = try cursor.nextBatch(maxCount: size, maxBytes: maxBytes)
            #expect(batch.count <= size)
            all += batch
            batches += 1
            #expect(batches <= 10_000)
            if batches > 10_000 { break }
        }
        #expect(cursor.phase == .exhausted)
        return all
    }

    /// Streams `query` in batches of each size and checks the results equal `find`'s.
    private func expectStreamsLikeFind(_ items: QueryCollection, _ query: FindQuery,
                                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try items.find(query)
        for size in [1, 7, 64, 1000] {
            let streamed = try drain(try items.openCursor(query), batch: size)
            #expect(streamed == expected, "batch size \(size)", sourceLocation: sourceLocation)
        }
    }

    @Test func collectionScanBatchesEqualFind() throws {
        try withEngine { engine in
            let items = try populate(engine)
            try expectStreamsLikeFind(items, FindQuery(filter: ["v": ["$gte": 10]]))
            try expectStreamsLikeFind(items, FindQuery())
            try expectStreamsLikeFind(items, FindQuery(filter: ["v": -1]))
        }
    }

    @Test func indexScanForwardAndReverseEqualFind() throws {
        try withEngine { engine in
            let items = try populate(engine)
            try engine.createIndex(on: items.namespace, key: ["a": 1])
            let forward = FindQuery(filter: ["a": ["$gte": 5, "$lt": 25]], sort: ["a": 1])
            let plan = try #require(try items.explain(forward).document(atPath: "queryPlanner.winningPlan"))
            #expect(plan.stageNames() == ["FETCH", "IXSCAN"])
            try expectStreamsLikeFind(items, forward)
            try expectStreamsLikeFind(items, FindQuery(filter: ["a": ["$gte": 5, "$lt": 25]], sort: ["a": -1]))
            // Several ranges ($in) resumed across batches, and a covered scan.
            try expectStreamsLikeFind(items, FindQuery(filter: ["a": ["$in": [3, 9, 17, 28]]], sort: ["a": -1]))
            try expectStreamsLikeFind(items, FindQuery(filter: ["a": ["$gt": 2]], projection: ["a": 1, "_id": 0]))
            // `_id` order through the _id index.
            try expectStreamsLikeFind(items, FindQuery(filter: ["_id": ["$gte": 40]], sort: ["_id": -1]))
        }
    }

    @Test func multikeyIndexScanReturnsEachDocumentOnce() throws {
        try withEngine { engine in
            let items = try populate(engine)
            try engine.createIndex(on: items.namespace, key: ["tags": 1])
            let query = FindQuery(filter: ["tags": ["$gte": 0]], hint: ["tags": 1])
            let expected = try items.find(query)
            #expect(Set(ids(expected)).count == expected.count)
            for size in [1, 5, 50] {
                let streamed = try drain(try items.openCursor(query), batch: size)
                #expect(streamed == expected)
            }
        }
    }

    @Test func inMemorySortSkipLimitAndProjectionEqualFind() throws {
        try withEngine { engine in
            let items = try populate(engine)
            try expectStreamsLikeFind(items, FindQuery(sort: ["v": -1, "_id": 1]))
            try expectStreamsLikeFind(items, FindQuery(filter: ["v": ["$lt": 40]], sort: ["s": 1], skip: 13, limit: 40))
            try expectStreamsLikeFind(items, FindQuery(skip: 250))
            try expectStreamsLikeFind(items, FindQuery(skip: 7, limit: 19))
            try expectStreamsLikeFind(items, FindQuery(limit: 1))
            try expectStreamsLikeFind(items, FindQuery(projection: ["v": 1, "_id": 0], sort: ["v": 1], limit: 100))
            try expectStreamsLikeFind(items, FindQuery(filter: ["tags": 3], projection: ["tags.$": 1]))
        }
    }

    @Test func spilledSortStreamsFromItsSpillFile() throws {
        try withEngine { engine in
            let items = try populate(engine)
            let memory = SortMemoryLimit(limitBytes: 4_096, allowDiskUse: true)
            let query = FindQuery(filter: ["v": ["$gte": 3]], sort: ["s": -1, "_id": 1], skip: 5, sortMemory: memory)
            let inMemory = try items.find(FindQuery(filter: query.filter, sort: query.sort, skip: 5))
            try expectStreamsLikeFind(items, query)
            #expect(try drain(try items.openCursor(query), batch: 9) == inMemory)
            // The spill file is there while the cursor is open, and goes when it closes.
            let cursor = try items.openCursor(query)
            _ = try cursor.nextBatch(maxCount: 3)
            let spillDirectory = engine.store.path + "/" + SpillFile.directoryName
            #expect(try spillFiles(in: spillDirectory) == 1)
            cursor.close()
            #expect(try spillFiles(in: spillDirectory) == 0)
            // Without allowDiskUse the first batch fails with 292 and the cursor closes.
            let refused = try items.openCursor(FindQuery(sort: ["s": 1], sortMemory: SortMemoryLimit(limitBytes: 4_096)))
            let error = #expect(throws: MongoError.self) { _ = try refused.nextBatch(maxCount: 10) }
            #expect(error?.code == .queryExceededMemoryLimitNoDiskUseAllowed)
            #expect(refused.phase == .closed)
        }
    }

    @Test func batchesStayWithinTheirByteLimit() throws {
        try withEngine { engine in
            let items = try populate(engine)
            let cursor = try items.openCursor(FindQuery())
            var all: [BSONDocument] = []
            while cursor.isOpen {
                let batch = try cursor.nextBatch(maxCount: 1000, maxBytes: 2_000)
                #expect(!batch.isEmpty || !cursor.isOpen)
                if batch.count > 1 { #expect(batch.reduce(0) { $0 + BSONSize.of($1) } <= 2_000) }
                all += batch
            }
            #expect(all == (try items.find(FindQuery())))
        }
    }

    @Test func batchesReadOneSnapshotWhileWritesHappen() throws {
        try withEngine { engine in
            let items = try populate(engine)
            try engine.createIndex(on: items.namespace, key: ["a": 1])
            let queries = [FindQuery(), FindQuery(filter: ["a": ["$gte": 0]], sort: ["a": 1]), FindQuery(sort: ["v": 1, "_id": 1])]
            for (round, query) in queries.enumerated() {
                let before = try items.find(query)
                let cursor = try items.openCursor(query)
                var streamed = try cursor.nextBatch(maxCount: 20)
                // Writes between batches: inserts on both sides, deletes and updates of
                // documents not returned yet.
                let base = 10_000 * (round + 1)
                try items.insert(contentsOf: (0..<50).map { ["_id": .int32(Int32(base + $0)), "v": 1, "a": 2] })
                try items.insert(contentsOf: (0..<5).map { ["_id": .int32(Int32(-base - $0)), "v": 1, "a": 2] })
                try items.delete(["_id": ["$gte": 200, "$lt": 300]])
                try items.update(["_id": ["$lt": 200]], ["$set": ["a": 99, "v": 99]], options: UpdateOptions(multi: true))
                streamed += try drain(cursor, batch: 33)
                #expect(streamed == before, "query \(round)")
            }
        }
    }

    @Test func closingExhaustingOrDroppingReleasesTheCursor() throws {
        try withEngine { engine in
            let items = try populate(engine)
            let idle = QueryCursor.openCursors
            let closed = try items.openCursor(FindQuery())
            let exhausted = try items.openCursor(FindQuery(limit: 10))
            var dropped: QueryCursor? = try items.openCursor(FindQuery(sort: ["v": 1]))
            _ = try dropped?.nextBatch(maxCount: 5)
            #expect(QueryCursor.openCursors == idle + 3)
            _ = try closed.nextBatch(maxCount: 5)
            closed.close()
            closed.close()
            #expect(closed.phase == .closed)
            #expect(try closed.nextBatch(maxCount: 5).isEmpty)
            #expect(QueryCursor.openCursors == idle + 2)
            #expect(try drain(exhausted, batch: 4).count == 10)
            #expect(QueryCursor.openCursors == idle + 1)
            #expect(dropped?.isOpen == true)
            dropped = nil
            #expect(QueryCursor.openCursors == idle)
        }
    }

    @Test func streamingPipelinesEqualAggregate() throws {
        try withEngine { engine in
            let items = try populate(engine)
            let pipelines: [[BSONDocument]] = [
                [["$match": ["v": ["$gte": 10]]], ["$unwind": "$tags"], ["$project": ["tags": 1, "v": 1]]],
                [["$match": ["a": ["$exists": true]]], ["$set": ["twice": ["$multiply": ["$a", 2]]]], ["$skip": 17], ["$limit": 45]],
                [["$unwind": "$tags"], ["$limit": 30], ["$unset": "s"]],
                [["$match": ["v": 3]], ["$limit": 1]],
                // Not streamable: runs whole in the engine, handed out in batches.
                [["$group": ["_id": "$v", "n": ["$sum": 1]]], ["$sort": ["_id": 1]]],
            ]
            for pipeline in pipelines {
                let expected = try items.aggregate(pipeline)
                for size in [1, 6, 500] {
                    let streamed = try drain(try items.openCursor(pipeline: pipeline), batch: size)
                    #expect(streamed == expected, "\(pipeline) in batches of \(size)")
                }
            }
        }
    }

    @Test func interruptedBatchClosesTheCursor() throws {
        try withEngine { engine in
            let items = try populate(engine)
            let cursor = try items.openCursor(FindQuery())
            _ = try cursor.nextBatch(maxCount: 5)
            let switchOff = KillSwitch()
            switchOff.kill()
            let error = #expect(throws: MongoError.self) {
                _ = try cursor.nextBatch(maxCount: 500, interrupt: OperationInterrupt(killSwitch: switchOff))
            }
            #expect(error?.code == .interrupted)
            #expect(cursor.phase == .closed)
        }
    }

    /// How many spill files `directory` holds (none when it does not exist).
    private func spillFiles(in directory: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: directory) else { return 0 }
        return try FileManager.default.contentsOfDirectory(atPath: directory).count
    }
}
