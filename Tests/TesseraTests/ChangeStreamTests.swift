// Change streams through the public API: typed events with their update descriptions, a
// stream resumed after closing and reopening the client, database- and client-wide streams,
// tryNext, and a waiting stream released when its task is cancelled.

import Foundation
import Testing
import Tessera

@Suite("ChangeStream")
struct ChangeStreamTests {
    @Test("a collection stream reports inserts, updates and deletes as typed events")
    func typedEvents() async throws {
        try await withScores { client, scores, _ in
            let stream = try await scores.watch(options: ChangeStreamOptions(fullDocument: .updateLookup))
            try await scores.insertOne(Score(_id: "a", game: 1, player: "ada", score: 1))
            try await scores.updateOne(filter: ["_id": "a"], update: ["$set": ["score": 5]])
            var events: [ChangeStreamEvent<Score>] = []
            for try await event in stream {
                events.append(event)
                if events.count == 2 { break }
            }
            try await scores.deleteOne(["_id": "a"])
            if let deleted = try await stream.next() { events.append(deleted) }
            #expect(events.map(\.operationType) == [.insert, .update, .delete])
            #expect(events[0].fullDocument == Score(_id: "a", game: 1, player: "ada", score: 1))
            #expect(events[1].updateDescription?.updatedFields["score"]?.int64Value == 5)
            // updateLookup: the document as it is when the event is read.
            #expect(events[1].fullDocument == Score(_id: "a", game: 1, player: "ada", score: 5))
            #expect(events[2].fullDocument == nil)
            #expect(events.allSatisfy { $0.documentKey == ["_id": "a"] && $0.ns == MongoNamespace(db: "game", collection: "scores") })
            #expect(Set(events.map(\.resumeToken)).count == 3)
            #expect(stream.resumeToken == events[2].resumeToken)
            stream.kill()
            #expect(client.openCursorCount == 0)
        }
    }

    @Test("a stream resumed after close and reopen continues after its token")
    func resumeAfterReopen() async throws {
        try await withTemporaryPath { path in
            var token: ResumeToken?
            do {
                let client = try TesseraClient(path: path)
                let scores = client.db("game").collection("scores", withType: Score.self)
                let stream = try await scores.watch()
                try await scores.insertOne(Score(_id: "a", game: 1, player: "a", score: 1))
                try await scores.insertOne(Score(_id: "b", game: 1, player: "b", score: 2))
                let first = try await stream.next()
                #expect(first?.fullDocument?._id == "a")
                token = first?.resumeToken
                client.close()
            }
            let saved = try #require(token)
            // The token survives a round trip through the application's own storage.
            let stored = try BSONEncoder().encode(["token": saved])
            let restored = try BSONDecoder().decode([String: ResumeToken].self, from: stored)["token"]
            #expect(restored == saved)

            let client = try TesseraClient(path: path)
            defer { client.close() }
            let scores = client.db("game").collection("scores", withType: Score.self)
            try await scores.insertOne(Score(_id: "c", game: 1, player: "c", score: 3))
            let resumed = try await scores.watch(options: ChangeStreamOptions(resumeAfter: restored))
            var ids: [String] = []
            while ids.count < 2, let event = try await resumed.next() {
                ids.append(event.fullDocument?._id ?? "?")
            }
            #expect(ids == ["b", "c"])
            #expect(try await resumed.tryNext() == nil)
            #expect(await tesseraErrorCode {
                _ = try await scores.watch(options: ChangeStreamOptions(resumeAfter: ResumeToken(["_data": "nonsense"])))
            } == 260)
        }
    }

    @Test("database and client streams see every collection")
    func widerScopes() async throws {
        try await withClient { client in
            let databaseStream = try await client.db("game").watch()
            let clientStream = try await client.watch()
            try await client.db("game").collection("a").insertOne(["_id": 1])
            try await client.db("other").collection("b").insertOne(["_id": 2])
            let fromDatabase = try await databaseStream.next()
            #expect(fromDatabase?.ns == MongoNamespace(db: "game", collection: "a"))
            #expect(fromDatabase?.fullDocument == ["_id": 1])
            #expect(try await databaseStream.tryNext() == nil)
            let first = try await clientStream.next()
            let second = try await clientStream.next()
            #expect([first?.ns?.db, second?.ns?.db] == ["game", "other"])
        }
    }

    @Test("a stream waiting for changes is released when its task is cancelled")
    func cancelledWait() async throws {
        try await withScores { client, scores, _ in
            let started = Flag()
            let task = Task {
                let stream = try await scores.watch()
                await started.set()
                return try await stream.next()
            }
            try await started.wait()
            #expect(client.openCursorCount == 1)
            task.cancel()
            let outcome = await task.result
            if case let .failure(error) = outcome {
                #expect((error as? TesseraError)?.code == 11601)
            } else {
                Issue.record("the cancelled wait returned \(outcome)")
            }
            #expect(client.openCursorCount == 0)
        }
    }
}
