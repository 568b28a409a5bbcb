// W7 "give me a random item I have not reviewed yet": 1,000,000 items, a queue collection
// holding the ids of the unreviewed ones (a review deletes the id). A pick is
// `[{$sample: {size: 1}}, {$lookup: items by _id}]` on the queue: `$sample` first seeks a
// random `_id` instead of scanning, so each pick examines about one document plus the joined
// item. For contrast, the same pick written as `$match {reviewed: false}` + `$sample` over
// the items scans them all.

import BenchSupport
import ReportSupport
import BSON
import Documents
import Query

struct W7SampleFigures {
    let items: Int
    let unreviewedAtStart: Int
    let loadSeconds: Double
    let picks: Int
    let picksPerSecond: Double
    /// Per pick: documents the $sample examined, and those plus the joined item.
    let maxSampleDocsExamined: Int
    let maxDocsExamined: Int
    let meanDocsExamined: Double
    let distinctPicks: Int
    let allUnreviewed: Bool
    let explainHead: String
    let scanningDocsExamined: Int

    static func measure(in directory: String, items itemCount: Int, picks: Int = 2_000) throws -> W7SampleFigures {
        let clock = ContinuousClock()
        let engine = try QueryEngine(path: directory)
        let items = try engine.collection("items", in: "w7")
        let queue = try engine.collection("unreviewed", in: "w7")
        var random = SeededGenerator(seed: 0x57_37_5A)
        let started = clock.now
        var itemBatch: [BSONDocument] = []
        var queueBatch: [BSONDocument] = []
        var unreviewed = 0
        for index in 0..<itemCount {
            // A tenth is already reviewed.
            let reviewed = Int.random(in: 0..<10, using: &random) == 0
            itemBatch.append([
                "_id": .int32(Int32(index)), "title": .string("item \(index)"),
                "reviewed": .bool(reviewed), "score": .int32(Int32.random(in: 0..<1_000, using: &random)),
            ])
            if !reviewed {
                queueBatch.append(["_id": .int32(Int32(index))])
                unreviewed += 1
            }
            if itemBatch.count == 10_000 {
                try items.insert(contentsOf: itemBatch)
                try queue.insert(contentsOf: queueBatch)
                itemBatch.removeAll(keepingCapacity: true)
                queueBatch.removeAll(keepingCapacity: true)
            }
        }
        if !itemBatch.isEmpty { try items.insert(contentsOf: itemBatch) }
        if !queueBatch.isEmpty { try queue.insert(contentsOf: queueBatch) }
        let loadSeconds = (clock.now - started).seconds

        let pick: [BSONDocument] = [
            ["$sample": ["size": .int32(1)]],
            ["$lookup": ["from": "items", "localField": "_id", "foreignField": "_id", "as": "item"]],
            ["$unwind": "$item"],
        ]
        let explain = try queue.explainAggregate(pick, verbosity: .executionStats)
        let head = explain["stages"]?.arrayValue?.first?.documentValue?.extendedJSON() ?? "?"

        var maxExamined = 0
        var maxSampleExamined = 0
        var totalExamined = 0
        var seen: Set<Int64> = []
        var allUnreviewed = true
        let pickStarted = clock.now
        for _ in 0..<picks {
            let (documents, statistics) = try queue.aggregateWithStatistics(pick)
            guard let chosen = documents.first, let id = chosen["_id"] else { throw ReportFailure(description: "W7: empty pick") }
            maxExamined = max(maxExamined, statistics.docsExamined)
            maxSampleExamined = max(maxSampleExamined, statistics.sourceDocsExamined)
            totalExamined += statistics.docsExamined
            if chosen["item"]?.documentValue?["reviewed"] != .bool(false) { allUnreviewed = false }
            seen.insert(id.int64Value ?? -1)
            // The review: mark the item and take it off the queue.
            try items.update(["_id": id], ["$set": ["reviewed": true]])
            try queue.delete(["_id": id], multi: false)
        }
        let pickSeconds = (clock.now - pickStarted).seconds

        let scanning: [BSONDocument] = [["$match": ["reviewed": false]], ["$sample": ["size": .int32(1)]]]
        let scanned = try items.aggregateWithStatistics(scanning).statistics.docsExamined
        return W7SampleFigures(
            items: itemCount, unreviewedAtStart: unreviewed, loadSeconds: loadSeconds, picks: picks,
            picksPerSecond: Double(picks) / pickSeconds, maxSampleDocsExamined: maxSampleExamined, maxDocsExamined: maxExamined,
            meanDocsExamined: Double(totalExamined) / Double(picks), distinctPicks: seen.count,
            allUnreviewed: allUnreviewed, explainHead: head, scanningDocsExamined: scanned)
    }
}
