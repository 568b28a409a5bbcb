// insertMany's ordered and unordered semantics through the public API (MongoSwift's
// BulkWriteError / InsertManyResult): a duplicate in the middle of the batch stops an ordered
// insert after the documents before it, and an unordered one after all the others; the error
// carries every failure by position and what was inserted. bulkWrite reports its failures
// the same way.

import Testing
import Tessera

@Suite("insertMany ordered and unordered")
struct InsertManyTests {
    /// Five scores whose third (index 2) duplicates `existing` and whose fifth (index 4)
    /// duplicates the second.
    static func batch(existing: String) -> [Score] {
        [
            Score(_id: "a", game: 1, player: "a", score: 1),
            Score(_id: "b", game: 1, player: "b", score: 2),
            Score(_id: existing, game: 1, player: "dup", score: 3),
            Score(_id: "c", game: 1, player: "c", score: 4),
            Score(_id: "b", game: 1, player: "b again", score: 5),
        ]
    }

    @Test("ordered: the documents before the first duplicate are inserted, none after it")
    func ordered() async throws {
        try await withScores { _, scores, _ in
            try await scores.insertOne(Score(_id: "taken", game: 0, player: "first", score: 0))
            do throws(TesseraError) {
                try await scores.insertMany(Self.batch(existing: "taken"))
                Issue.record("an ordered insertMany with a duplicate succeeded")
            } catch {
                #expect(error.code == 11000 && error.codeName == "DuplicateKey")
                #expect(error.writeFailures.map(\.index) == [2])
                #expect(error.writeFailures.first?.code == 11000)
                #expect(error.result?.insertedCount == 2)
                #expect(error.result?.insertedIDs == [0: "a", 1: "b"])
                #expect(error.details["index"] == .int64(2))
            }
            let stored = try await scores.find().toArray().map(\._id).sorted()
            #expect(stored == ["a", "b", "taken"])
            #expect(try await scores.findOne(["_id": "taken"])?.player == "first")
        }
    }

    @Test("unordered: every valid document is inserted and every failure reported")
    func unordered() async throws {
        try await withScores { _, scores, _ in
            try await scores.insertOne(Score(_id: "taken", game: 0, player: "first", score: 0))
            do throws(TesseraError) {
                try await scores.insertMany(Self.batch(existing: "taken"), options: InsertManyOptions(ordered: false))
                Issue.record("an unordered insertMany with duplicates succeeded")
            } catch {
                #expect(error.code == 11000)
                #expect(error.writeFailures.map(\.index) == [2, 4])
                #expect(error.writeFailures.allSatisfy { $0.code == 11000 && $0.codeName == "DuplicateKey" })
                #expect(error.result?.insertedCount == 3)
                #expect(error.result?.insertedIDs == [0: "a", 1: "b", 3: "c"])
            }
            let stored = try await scores.find().toArray()
            #expect(stored.map(\._id).sorted() == ["a", "b", "c", "taken"])
            #expect(stored.first { $0._id == "b" }?.player == "b")
        }
    }

    @Test("without failures both orders insert everything and report every id")
    func noFailures() async throws {
        try await withScores { _, scores, _ in
            for ordered in [true, false] {
                let batch = sampleScores(games: 2, players: 3).map { score in
                    Score(_id: "\(ordered)/\(score._id)", game: score.game, player: score.player, score: score.score)
                }
                let result = try await scores.insertMany(batch, options: InsertManyOptions(ordered: ordered))
                #expect(result.insertedCount == batch.count)
                #expect(result.insertedIDs == Dictionary(uniqueKeysWithValues: batch.enumerated().map { ($0.offset, BSONValue.string($0.element._id)) }))
            }
            #expect(try await scores.countDocuments() == 12)
        }
    }

    @Test("an unordered bulkWrite reports every failing operation and what the others did")
    func unorderedBulkWrite() async throws {
        try await withScores { _, scores, _ in
            try await scores.insertOne(Score(_id: "a", game: 1, player: "a", score: 1))
            do throws(TesseraError) {
                try await scores.bulkWrite([
                    .insertOne(Score(_id: "a", game: 1, player: "again", score: 1)),
                    .updateOne(filter: ["_id": "a"], update: ["$inc": ["score": 1]]),
                    .insertOne(Score(_id: "b", game: 1, player: "b", score: 1)),
                    .updateOne(filter: ["_id": "b"], update: ["$set": ["_id": "c"]]),
                ], options: BulkWriteOptions(ordered: false))
                Issue.record("an unordered bulk write with failures succeeded")
            } catch {
                #expect(error.writeFailures.map(\.index) == [0, 3])
                #expect(error.writeFailures.first?.code == 11000)
                #expect(error.result?.insertedIDs == [2: "b"])
                #expect(error.result?.modifiedCount == 1)
            }
            #expect(try await scores.findOne(["_id": "a"])?.score == 2)
        }
    }
}
