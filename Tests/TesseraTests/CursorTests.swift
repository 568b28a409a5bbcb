// Cursors through the public API: a million documents iterated in flat memory, batches that
// step over BSON type brackets of `_id`, offset paging under another sort, and the release of
// a cursor's read when its task is cancelled, when it is dropped and when the client closes.

import Foundation
import Testing
import Tessera

/// A small document of the million-document test.
private struct Row: Codable, Sendable {
    var _id: Int
    var group: Int
    var text: String
}

@Suite("TesseraCursor")
struct CursorTests {
    @Test("a cursor over 1,000,000 documents keeps resident memory flat")
    func millionDocuments() async throws {
        guard residentBytes() != nil else {
            Issue.record("no /proc/self/statm: resident memory cannot be measured here")
            return
        }
        try await withClient { client in
            let rows = client.db("big").collection("rows", withType: Row.self)
            let total = 1_000_000
            let text = String(repeating: "x", count: 80)
            var next = 0
            while next < total {
                let batch = (next..<min(total, next + 20_000)).map { Row(_id: $0, group: $0 % 10, text: text) }
                try await rows.insertMany(batch)
                next += batch.count
            }
            // The result as one array of documents would need at least its encoded size.
            let dataBytes = try total * BSONEncoder().encodeBytes(Row(_id: total, group: 0, text: text)).count
            guard let baseline = residentBytes() else { return }
            let cursor = try await rows.find([:], options: FindOptions(batchSize: 1000))
            var peak = baseline
            var count = 0
            var expectedID = 0
            var ordered = true
            for try await row in cursor {
                if row._id != expectedID { ordered = false }
                expectedID += 1
                count += 1
                if count % 25_000 == 0, let now = residentBytes() { peak = max(peak, now) }
            }
            let growth = peak - baseline
            print("million-document cursor: baseline \(baseline >> 20) MiB, peak \(peak >> 20) MiB, growth \(growth >> 20) MiB; data about \(dataBytes >> 20) MiB")
            #expect(count == total)
            #expect(ordered)
            // One batch is about 120 KB; the whole result is over 100 MiB encoded.
            #expect(growth < dataBytes / 4, "resident memory grew \(growth >> 20) MiB while iterating")
            #expect(client.openCursorCount == 0)
        }
    }

    @Test("a cursor abandoned mid-way by a cancelled task releases its read")
    func cancelledTask() async throws {
        try await withScores(games: 10, players: 300) { client, scores, batch in
            let gate = Flag()
            let task = Task {
                var seen = 0
                for try await _ in try await scores.find([:], options: FindOptions(batchSize: 100)) {
                    seen += 1
                    if seen == 150 {
                        await gate.set()
                        try? await Task.sleep(for: .seconds(60))
                    }
                }
                return seen
            }
            try await gate.wait()
            #expect(client.openCursorCount == 1)
            task.cancel()
            let outcome = await task.result
            switch outcome {
            case let .success(seen): Issue.record("the cancelled iteration ran to the end (\(seen) documents)")
            case let .failure(error): #expect((error as? TesseraError)?.code == 11601)
            }
            #expect(client.openCursorCount == 0)
        }
    }

    @Test("a cursor released mid-way, killed, or left open at close releases its read")
    func releasedCursors() async throws {
        try await withTemporaryPath { path in
            let client = try TesseraClient(path: path)
            let scores = client.db("game").collection("scores", withType: Score.self)
            try await scores.insertMany(sampleScores(games: 3, players: 100))
            do {
                let cursor = try await scores.find([:], options: FindOptions(batchSize: 10))
                _ = try await cursor.next()
                #expect(client.openCursorCount == 1)
            }
            #expect(client.openCursorCount == 0)
            let killed = try await scores.find([:], options: FindOptions(batchSize: 10))
            #expect(killed.isAlive)
            killed.kill()
            #expect(client.openCursorCount == 0)
            #expect(try await killed.next() == nil)
            let open = try await scores.find([:], options: FindOptions(batchSize: 10))
            #expect(client.openCursorCount == 1)
            client.close()
            #expect(client.openCursorCount == 0)
            var remaining = 0
            do throws(TesseraError) {
                while try await open.next() != nil { remaining += 1 }
            } catch {
                #expect(error.code == 20)
            }
            #expect(remaining <= 10)
            // The store is released: it opens again at once.
            let reopened = try TesseraClient(path: path)
            #expect(try await reopened.db("game").collection("scores").countDocuments() == 300)
            reopened.close()
        }
    }

    @Test("batches in _id order cross BSON type brackets, both ways, with and without _id in the projection")
    func mixedIDTypes() async throws {
        try await withClient { client in
            let things = client.db("app").collection("things")
            // In MongoDB's order: null, numbers, strings, documents, ObjectId, booleans, dates.
            var ids: [BSONValue] = [.null]
            ids += (0..<7).map { .int64(Int64($0) * 10) } + [.double(75.5)]
            ids += ["a", "b", "c", "d", "e"].map { .string($0) }
            ids += [["k": 1], ["k": 2]].map { .document($0) }
            ids += [.objectId(ObjectId()), .bool(false), .bool(true)]
            ids += [.datetime(BSONDateTime(millisecondsSinceEpoch: 1)), .datetime(BSONDateTime(millisecondsSinceEpoch: 2))]
            for (position, id) in ids.enumerated().reversed() {
                try await things.insertOne(["_id": id, "position": .int64(Int64(position))])
            }
            for batchSize in [1, 2, 3, 100] {
                let forward = try await things.find([:], options: FindOptions(batchSize: batchSize)).toArray()
                #expect(forward.map { $0["position"] } == ids.indices.map { .int64(Int64($0)) }, "batchSize \(batchSize)")
                let backward = try await things.find([:], options: FindOptions(batchSize: batchSize, sort: ["_id": -1])).toArray()
                #expect(backward.map { $0["position"] } == ids.indices.reversed().map { .int64(Int64($0)) })
                let noID = try await things.find(["position": ["$gte": 3]],
                                                 options: FindOptions(batchSize: batchSize, projection: ["_id": 0])).toArray()
                #expect(noID == ids.indices.filter { $0 >= 3 }.map { ["position": .int64(Int64($0))] })
                let limited = try await things.find([:], options: FindOptions(batchSize: batchSize, limit: 9, skip: 4)).toArray()
                #expect(limited.map { $0["position"] } == (4..<13).map { .int64(Int64($0)) })
            }
        }
    }

    @Test("a sort on another field pages by offset and keeps the order")
    func otherSort() async throws {
        try await withScores(games: 2, players: 40) { client, scores, batch in
            let expected = batch.sorted { ($0.score, $0._id) < ($1.score, $1._id) }
            let found = try await scores.find([:], options: FindOptions(batchSize: 7, sort: ["score": 1, "_id": 1])).toArray()
            #expect(found == expected)
            let limited = try await scores.find([:], options: FindOptions(batchSize: 7, limit: 20, skip: 5,
                                                                          sort: ["score": 1, "_id": 1])).toArray()
            #expect(limited == Array(expected.dropFirst(5).prefix(20)))
        }
    }
}
