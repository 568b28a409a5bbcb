// The collection operations through the public API: inserts, finds with options, updates and
// upserts, replacements, deletes, counts, distinct, aggregation, findOneAnd..., bulk writes,
// and the errors they throw with MongoDB's codes.

import Foundation
import Testing
import Tessera

@Suite("TesseraCollection CRUD")
struct CRUDTests {
    @Test("insertOne and insertMany store typed documents that findOne and find return")
    func insertAndFind() async throws {
        try await withScores { client, scores, _ in
            let first = try await scores.insertOne(Score(_id: "g1/ada", game: 1, player: "ada", score: 7))
            #expect(first.insertedID == "g1/ada")
            let batch = sampleScores(games: 2, players: 5)
            let many = try await scores.insertMany(batch)
            #expect(many.insertedCount == batch.count)
            #expect(many.insertedIDs[3] == .string(batch[3]._id))

            #expect(try await scores.findOne(["_id": "g1/ada"]) == Score(_id: "g1/ada", game: 1, player: "ada", score: 7))
            #expect(try await scores.findOne(["_id": "missing"]) == nil)

            let expected = (batch.filter { $0.game == 1 } + [Score(_id: "g1/ada", game: 1, player: "ada", score: 7)])
                .sorted { ($0.score, $0._id) > ($1.score, $1._id) }
            let top = try await scores.find(["game": 1], options: FindOptions(limit: 3, sort: ["score": -1, "_id": -1])).toArray()
            #expect(top == Array(expected.prefix(3)))
            let skipped = try await scores.find(["game": 1], options: FindOptions(skip: 2, sort: ["score": -1, "_id": -1])).toArray()
            #expect(skipped == Array(expected.dropFirst(2)))

            let untyped = client.db("game").collection("scores")
            let projected = try await untyped.find(["_id": "g1/ada"], options: FindOptions(projection: ["player": 1, "_id": 0])).toArray()
            #expect(projected == [["player": "ada"]])
        }
    }

    @Test("a document without _id gets an ObjectId")
    func generatedID() async throws {
        try await withClient { client in
            let things = client.db("app").collection("things")
            let result = try await things.insertOne(["name": "x"])
            guard case .objectId = result.insertedID else {
                Issue.record("expected an ObjectId, got \(result.insertedID)")
                return
            }
            #expect(try await things.findOne(["_id": result.insertedID])?["name"] == "x")
        }
    }

    @Test("updates, upserts, replacements and deletes report what they did")
    func writes() async throws {
        try await withScores(games: 1, players: 4) { client, scores, batch in
            let updated = try await scores.updateOne(filter: ["_id": "g1/p1"], update: ["$inc": ["score": 3]])
            #expect(updated.matchedCount == 1 && updated.modifiedCount == 1 && updated.upsertedID == nil)
            let before = batch[1].score
            #expect(try await scores.findOne(["_id": "g1/p1"])?.score == before + 3)

            let upserted = try await scores.updateOne(
                filter: ["_id": "g1/ada"], update: ["$set": ["game": 1, "player": "ada", "score": 7]],
                options: UpdateOptions(upsert: true))
            #expect(upserted.upsertedID == "g1/ada" && upserted.upsertedCount == 1 && upserted.matchedCount == 0)

            let many = try await scores.updateMany(filter: ["game": 1], update: ["$set": ["game": 2]])
            #expect(many.matchedCount == 5 && many.modifiedCount == 5)
            let pipeline = try await scores.updateMany(filter: ["game": 2], update: [["$set": ["score": ["$add": ["$score", 1]]]]])
            #expect(pipeline.modifiedCount == 5)

            let replaced = try await scores.replaceOne(filter: ["_id": "g1/ada"],
                                                       replacement: Score(_id: "g1/ada", game: 3, player: "ada", score: 1))
            #expect(replaced.modifiedCount == 1)
            #expect(try await scores.findOne(["_id": "g1/ada"])?.game == 3)

            #expect(try await scores.deleteOne(["game": 2]).deletedCount == 1)
            #expect(try await scores.deleteMany(["game": 2]).deletedCount == 3)
            #expect(try await scores.countDocuments() == 1)
            #expect(try await scores.deleteMany([:]).deletedCount == 1)
        }
    }

    @Test("an update without operators and a replacement with them are refused before any write")
    func refusedShapes() async throws {
        try await withClient { client in
            let things = client.db("app").collection("things")
            try await things.insertOne(["_id": 1, "a": 1])
            #expect(await tesseraErrorCode { _ = try await things.updateOne(filter: ["_id": 1], update: ["a": 2]) } == 9)
            #expect(await tesseraErrorCode { _ = try await things.replaceOne(filter: ["_id": 1], replacement: ["$set": ["a": 2]]) } == 9)
            #expect(try await things.findOne(["_id": 1])?["a"] == 1)
        }
    }

    @Test("errors carry MongoDB's code and codeName")
    func errors() async throws {
        try await withScores { client, scores, _ in
            try await scores.insertOne(Score(_id: "a", game: 1, player: "a", score: 1))
            do throws(TesseraError) {
                try await scores.insertOne(Score(_id: "a", game: 1, player: "a", score: 1))
                Issue.record("a duplicate _id was accepted")
            } catch {
                #expect(error.code == 11000)
                #expect(error.codeName == "DuplicateKey")
            }
            #expect(await tesseraErrorCode { _ = try await scores.find(["$bogus": 1]) } == 2)
            #expect(await tesseraErrorCode { _ = try await scores.find([:], options: FindOptions(skip: -1)) } == 2)
        }
    }

    @Test("countDocuments, estimatedDocumentCount and distinct")
    func counts() async throws {
        try await withScores(games: 3, players: 7) { client, scores, batch in
            #expect(try await scores.countDocuments(["game": 2]) == batch.filter { $0.game == 2 }.count)
            #expect(try await scores.countDocuments(["game": 2], options: CountDocumentsOptions(limit: 3, skip: 1)) == 3)
            #expect(try await scores.estimatedDocumentCount() == batch.count)
            let games = try await scores.distinct(fieldName: "game")
            #expect(games.compactMap(\.int64Value).map { Int($0) } == Set(batch.map(\.game)).sorted())
            let players = try await scores.distinct(fieldName: "player", filter: ["game": 1])
            #expect(Set(players.compactMap(\.stringValue)) == Set(batch.filter { $0.game == 1 }.map(\.player)))
        }
    }

    @Test("aggregate streams a document-by-document pipeline and runs a blocking one")
    func aggregate() async throws {
        try await withScores(games: 4, players: 25) { client, scores, batch in
            let best = try await scores.aggregate([
                ["$group": ["_id": "$game", "best": ["$max": "$score"]]], ["$sort": ["_id": 1]],
            ]).toArray()
            let expected = Dictionary(grouping: batch, by: \.game).mapValues { $0.map(\.score).max() ?? 0 }
            #expect(best.count == expected.count)
            for row in best {
                guard let game = row["_id"]?.int64Value, let value = row["best"]?.int64Value else {
                    Issue.record("unexpected row \(row)")
                    continue
                }
                #expect(expected[Int(game)] == Int(value))
            }

            struct Entry: Codable, Sendable { var player: String; var doubled: Int }
            let streamed = try await scores.aggregate(
                [["$match": ["game": 2]], ["$project": ["_id": 0, "player": 1, "doubled": ["$multiply": ["$score", 2]]]]],
                options: AggregateOptions(batchSize: 7), withOutputType: Entry.self).toArray()
            let game2 = batch.filter { $0.game == 2 }
            #expect(streamed.count == game2.count)
            #expect(Set(streamed.map { "\($0.player):\($0.doubled)" }) == Set(game2.map { "\($0.player):\($0.score * 2)" }))
            #expect(client.openCursorCount == 0)
        }
    }

    @Test("findOneAndUpdate, findOneAndReplace and findOneAndDelete return the chosen image")
    func findOneAndModify() async throws {
        try await withScores(games: 1, players: 5) { client, scores, batch in
            let lowest = batch.min { $0.score < $1.score }
            let before = try await scores.findOneAndUpdate(filter: ["game": 1], update: ["$inc": ["score": 100]],
                                                           options: FindOneAndUpdateOptions(sort: ["score": 1]))
            #expect(before == lowest)
            let after = try await scores.findOneAndUpdate(
                filter: ["_id": "g1/new"], update: ["$set": ["game": 1, "player": "new", "score": 5]],
                options: FindOneAndUpdateOptions(returnDocument: .after, upsert: true))
            #expect(after == Score(_id: "g1/new", game: 1, player: "new", score: 5))
            let replacedBefore = try await scores.findOneAndReplace(
                filter: ["_id": "g1/new"], replacement: Score(_id: "g1/new", game: 9, player: "new", score: 0))
            #expect(replacedBefore?.game == 1)
            let deleted = try await scores.findOneAndDelete(["game": 9])
            #expect(deleted?._id == "g1/new")
            #expect(try await scores.findOneAndDelete(["game": 9]) == nil)
            let untyped = client.db("game").collection("scores")
            let projected = try await untyped.findOneAndUpdate(
                filter: ["_id": "g1/p0"], update: ["$set": ["score": 1]],
                options: FindOneAndUpdateOptions(projection: ["score": 1], returnDocument: .after))
            #expect(projected == ["_id": "g1/p0", "score": 1])
        }
    }

    @Test("bulkWrite runs its models in order and reports the failing one")
    func bulkWrite() async throws {
        try await withScores { client, scores, _ in
            let result = try await scores.bulkWrite([
                .insertOne(Score(_id: "a", game: 1, player: "a", score: 1)),
                .insertOne(Score(_id: "b", game: 1, player: "b", score: 2)),
                .updateOne(filter: ["_id": "a"], update: ["$inc": ["score": 10]]),
                .updateMany(filter: ["game": 1], update: ["$set": ["game": 2]]),
                .replaceOne(filter: ["_id": "c"], replacement: Score(_id: "c", game: 2, player: "c", score: 3),
                            options: ReplaceOneModelOptions(upsert: true)),
                .deleteOne(["_id": "b"]),
            ])
            #expect(result.insertedCount == 2 && result.insertedIDs[1] == "b")
            #expect(result.matchedCount == 3 && result.modifiedCount == 3)
            #expect(result.upsertedCount == 1 && result.upsertedIDs[4] == "c")
            #expect(result.deletedCount == 1)
            do throws(TesseraError) {
                try await scores.bulkWrite([
                    .insertOne(Score(_id: "d", game: 1, player: "d", score: 1)),
                    .insertOne(Score(_id: "a", game: 1, player: "a", score: 1)),
                    .insertOne(Score(_id: "e", game: 1, player: "e", score: 1)),
                ])
                Issue.record("a duplicate key in a bulk write was accepted")
            } catch {
                #expect(error.code == 11000)
                #expect(error.details["index"] == .int64(1))
                #expect(error.details["nInserted"] == .int64(1))
            }
            #expect(try await scores.findOne(["_id": "e"]) == nil)
            #expect(try await scores.findOne(["_id": "d"]) != nil)
        }
    }
}
