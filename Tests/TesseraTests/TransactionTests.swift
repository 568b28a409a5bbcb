// Sessions and transactions through the public API: commit and abort, reads of the
// transaction's own writes, and withTransaction retrying a transaction that lost a write
// conflict to a concurrent one on the same document.

import Foundation
import Testing
import Tessera

private actor Signals {
    private(set) var firstWrote = false
    private(set) var secondConflicted = false
    private(set) var secondAttempts = 0
    func markFirstWrote() { firstWrote = true }
    func markSecondConflicted() { secondConflicted = true }
    func countSecondAttempt() { secondAttempts += 1 }
}

@Suite("Transactions")
struct TransactionTests {
    @Test("a transaction's writes are visible only after commit, and never after abort")
    func commitAndAbort() async throws {
        try await withScores { client, scores, _ in
            let session = client.startSession()
            defer { session.end() }
            try session.startTransaction()
            #expect(session.inTransaction)
            try await scores.insertOne(Score(_id: "a", game: 1, player: "a", score: 1), session: session)
            try await scores.insertMany([Score(_id: "b", game: 1, player: "b", score: 2)], session: session)
            try await scores.updateOne(filter: ["_id": "a"], update: ["$inc": ["score": 1]], session: session)
            #expect(try await scores.countDocuments() == 0)
            #expect(try await scores.countDocuments(session: session) == 2)
            #expect(try await scores.find([:], options: FindOptions(batchSize: 1), session: session).toArray().map(\.score) == [2, 2])
            try await session.commitTransaction()
            #expect(!session.inTransaction)
            #expect(try await scores.countDocuments() == 2)

            try session.startTransaction()
            try await scores.deleteMany([:], session: session)
            try await session.abortTransaction()
            #expect(try await scores.countDocuments() == 2)
            #expect(await tesseraErrorCode { try await session.commitTransaction() } == 251)
        }
    }

    @Test("withTransaction commits its body's writes and rolls them back when the body throws")
    func withTransactionOutcome() async throws {
        struct Refused: Error {}
        try await withScores { client, scores, _ in
            let inserted = try await client.withTransaction { session in
                try await scores.insertOne(Score(_id: "a", game: 1, player: "a", score: 1), session: session).insertedID
            }
            #expect(inserted == "a")
            await #expect(throws: Refused.self) {
                try await client.withTransaction { session in
                    try await scores.insertOne(Score(_id: "b", game: 1, player: "b", score: 1), session: session)
                    throw Refused()
                }
            }
            #expect(try await scores.countDocuments() == 1)
        }
    }

    @Test("withTransaction retries a transaction that lost a write conflict")
    func retriedOnConflict() async throws {
        try await withClient { client in
            let counters = client.db("bank").collection("counters")
            try await counters.insertOne(["_id": "x", "n": 0])
            let signals = Signals()
            async let first: Void = client.withTransaction { session in
                try await counters.updateOne(filter: ["_id": "x"], update: ["$inc": ["n": 1]], session: session)
                await signals.markFirstWrote()
                // Hold the transaction open until the second one has run into it.
                while !(await signals.secondConflicted) { try await Task.sleep(for: .milliseconds(2)) }
            }
            while !(await signals.firstWrote) { try await Task.sleep(for: .milliseconds(2)) }
            let second: Void = try await client.withTransaction { session in
                await signals.countSecondAttempt()
                do throws(TesseraError) {
                    try await counters.updateOne(filter: ["_id": "x"], update: ["$inc": ["n": 10]], session: session)
                } catch {
                    #expect(error.code == 112)
                    #expect(error.hasErrorLabel(TesseraError.transientTransactionErrorLabel))
                    await signals.markSecondConflicted()
                    throw error
                }
            }
            try await first
            _ = second
            #expect(await signals.secondAttempts >= 2)
            #expect(try await counters.findOne(["_id": "x"])?["n"]?.int64Value == 11)
        }
    }
}
