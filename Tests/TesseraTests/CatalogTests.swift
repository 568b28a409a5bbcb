// Indexes, collections and databases through the public API: createIndex(es) with options,
// listIndexes, dropIndex by name and by keys, dropIndexes, createCollection, listCollections,
// drop, listDatabases, runCommand, withSession, and operations after close.

import Foundation
import Testing
import Tessera

@Suite("Catalog")
struct CatalogTests {
    @Test("indexes are created with their options, listed, used, and dropped by name or keys")
    func indexes() async throws {
        try await withScores(games: 1, players: 10) { client, scores, batch in
            let name = try await scores.createIndex(["game": 1, "score": -1])
            #expect(name == "game_1_score_-1")
            let names = try await scores.createIndexes([
                IndexModel(keys: ["player": 1], options: IndexOptions(name: "byPlayer", unique: true)),
                IndexModel(keys: ["score": 1], options: IndexOptions(sparse: true)),
            ])
            #expect(names == ["byPlayer", "score_1"])
            let listed = try await scores.listIndexes().toArray()
            #expect(listed.map(\.keys) == [["_id": 1], ["game": 1, "score": -1], ["player": 1], ["score": 1]])
            #expect(listed.first { $0.options?.name == "byPlayer" }?.options?.unique == true)
            #expect(listed.first { $0.options?.name == "score_1" }?.options?.sparse == true)
            #expect(try await scores.listIndexNames() == ["_id_", "game_1_score_-1", "byPlayer", "score_1"])

            // The unique index refuses a second document of the same player.
            let duplicate = Score(_id: "x", game: 1, player: batch[0].player, score: 1)
            #expect(await tesseraErrorCode { _ = try await scores.insertOne(duplicate) } == 11000)
            let hinted = try await scores.find(["game": 1], options: FindOptions(hint: .indexName("game_1_score_-1"), limit: 3,
                                                                                 sort: ["score": -1])).toArray()
            #expect(hinted.map(\.score) == batch.filter { $0.game == 1 }.map(\.score).sorted(by: >).prefix(3).map { $0 })

            try await scores.dropIndex("byPlayer")
            try await scores.dropIndex(["score": 1])
            #expect(try await scores.listIndexNames() == ["_id_", "game_1_score_-1"])
            #expect(await tesseraErrorCode { try await scores.dropIndex("nope") } == 27)
            try await scores.dropIndexes()
            #expect(try await scores.listIndexNames() == ["_id_"])
        }
    }

    @Test("collections and databases are created, listed and dropped")
    func collectionsAndDatabases() async throws {
        try await withClient { client in
            let game = client.db("game")
            try await game.createCollection("events", options: CreateCollectionOptions(capped: true, size: 4096))
            try await game.collection("scores").insertOne(["_id": 1])
            try await client.db("other").collection("x").insertOne(["_id": 1])
            #expect(await tesseraErrorCode { try await game.createCollection("events") } == 48)

            let collections = try await game.listCollections().toArray()
            #expect(collections.map(\.name) == ["events", "scores"])
            #expect(collections.first?.options["capped"] == true)
            #expect(try await game.listCollectionNames(["name": "scores"]) == ["scores"])
            // Every write adds to the change log, which `local` stands for (as the server lists it).
            #expect(try await client.listDatabaseNames() == ["game", "local", "other"])
            let databases = try await client.listDatabases(["name": "other"])
            #expect(databases.map(\.name) == ["other"])
            #expect(databases.allSatisfy { $0.sizeOnDisk > 0 && !$0.empty })

            try await game.collection("scores").drop()
            try await game.collection("never-existed").drop()
            #expect(try await game.listCollectionNames() == ["events"])
            try await client.db("other").drop()
            #expect(try await client.listDatabaseNames() == ["game", "local"])
        }
    }

    @Test("listDatabases lists what the server's listDatabases lists: config and local once they hold data")
    func listDatabasesAgreesWithTheServer() async throws {
        try await withClient { client in
            #expect(try await client.listDatabaseNames() == [])
            #expect(try await client.listDatabases() == [])
            let game = client.db("game")
            try await game.collection("scores").insertOne(["_id": 1])
            // A retryable write (a session's txnNumber) leaves a record mongod keeps in config.transactions.
            let session: BSONDocument = ["id": .binary(BSONBinary(subtype: .uuid, bytes: Array(repeating: 7, count: 16)))]
            _ = try await game.runCommand(["insert": "scores", "documents": [["_id": 2]], "lsid": .document(session),
                                           "txnNumber": .int64(1)])

            let server = try await client.db("admin").runCommand(["listDatabases": 1])
            let serverDatabases = server["databases"]?.arrayValue?.compactMap(\.documentValue) ?? []
            let databases = try await client.listDatabases()
            #expect(databases.map(\.name) == ["config", "game", "local"])
            #expect(databases.map(\.name) == serverDatabases.compactMap { $0["name"]?.stringValue })
            #expect(databases.allSatisfy { $0.sizeOnDisk >= 4096 && !$0.empty })
            // config's and local's sizes are their records' bytes, the same in both answers.
            for name in ["config", "local"] {
                let listed = databases.first { $0.name == name }?.sizeOnDisk
                let served = serverDatabases.first { $0["name"]?.stringValue == name }?["sizeOnDisk"]?.int64Value
                #expect(listed.map(Int64.init) == served)
            }
            #expect(try await client.listDatabaseNames() == ["config", "game", "local"])
            #expect(try await client.listDatabaseNames(["name": "local"]) == ["local"])
            #expect(try await client.listDatabaseNames(["name": ["$in": ["config", "game"]]]) == ["config", "game"])
        }
    }

    @Test("runCommand runs a database command in-process")
    func runCommand() async throws {
        try await withScores(games: 1, players: 6) { client, _, batch in
            let game = client.db("game")
            #expect(try await game.runCommand(["ping": 1])["ok"]?.doubleValue == 1)
            let stats = try await game.runCommand(["collStats": "scores"])
            #expect(stats["count"]?.int64Value == Int64(batch.count))
            #expect(await tesseraErrorCode { _ = try await game.runCommand(["noSuchCommand": 1]) } == 59)
        }
    }

    @Test("withSession ends its session; a closed client refuses operations")
    func sessionsAndClose() async throws {
        try await withTemporaryPath { path in
            let client = try TesseraClient(path: path)
            let things = client.db("app").collection("things")
            let kept = try await client.withSession { session in
                try await things.insertOne(["_id": 1], session: session)
                return session
            }
            #expect(await tesseraErrorCode { try kept.startTransaction() } == 20)
            #expect(try await things.estimatedDocumentCount() == 1)
            #expect(!client.isClosed)
            client.close()
            #expect(client.isClosed)
            #expect(await tesseraErrorCode { _ = try await things.countDocuments() } == 20)
            #expect(await tesseraErrorCode { _ = try await client.listDatabaseNames() } == 20)
            client.close()
        }
    }
}
