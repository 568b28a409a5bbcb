// The API on the PostgreSQL engine (issue 21): `TesseraClient(path:)` given a
// `postgresql://` URI keeps its store in that database — on a real PostgreSQL 15 started by
// the PostgresTestSupport fixture — makes no local directory for it, and a second client on
// the same URI sees what the first wrote; an unreachable database is a clear error.
import Foundation
import PostgresTestSupport
import Tessera
import Testing

@Suite("TesseraClient on PostgreSQL")
struct PostgresEngineTests {
    @Test func aClientOnAPostgresURIKeepsItsStoreInTheDatabase() async throws {
        let uri = try PostgresTestServer.start().makeDatabaseURI()
        let scores = sampleScores(games: 2, players: 5)
        let first = try TesseraClient(path: uri)
        #expect(first.path == uri)
        let collection = first.db("game").collection("scores", withType: Score.self)
        try await collection.insertMany(scores)
        #expect(try await collection.countDocuments(["game": 2]) == 5)
        #expect(try await first.listDatabaseNames().contains("game"))
        first.close()
        // The old code made the URI's text a directory, relative to the working directory.
        #expect(!FileManager.default.fileExists(atPath: "postgresql:"))

        let second = try TesseraClient(path: uri)
        defer { second.close() }
        let found = try await second.db("game").collection("scores", withType: Score.self).find(["player": "p3"]).toArray()
        #expect(found.sorted { $0._id < $1._id } == scores.filter { $0.player == "p3" }.sorted { $0._id < $1._id })
    }

    @Test func anUnreachableDatabaseIsAClearError() async throws {
        // Port 1 refuses connections; connect_timeout bounds the retries to a second.
        let uri = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
        let error = #expect(throws: TesseraError.self) { _ = try TesseraClient(path: uri) }
        #expect(error?.code == 1)
        #expect(error?.message.contains("127.0.0.1:1") == true)
        #expect(!FileManager.default.fileExists(atPath: "postgresql:"))
    }
}
