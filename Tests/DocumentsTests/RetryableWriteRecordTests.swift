// Retryable-write records on a real RocksDB store: a statement's marker commits in the same
// batch as its writes, its reply follows, both survive reopening, and writes outside a
// statement record nothing; records go when their session ends or by age, sparing the
// records of live sessions. Statement records (one per statement id) commit with the writes
// of their statement only, and say what an upsert inserted.

import BSON
import Foundation
import Testing
@testable import Documents

@Suite struct RetryableWriteRecordTests {
    private let session: [UInt8] = Array(0..<16)
    private let otherSession: [UInt8] = Array(repeating: 9, count: 16)

    @Test func theMarkerCommitsWithTheWritesAndTheReplyReplacesIt() throws {
        try withStoreDirectory { path in
            let statement = RetryableWriteStatement(sessionID: session, txnNumber: 5)
            do {
                let store = try DocumentStore(path: path)
                let collection = try store.collection("c", in: "db")
                #expect(try store.retryableWriteRecord(session: session) == nil)
                try store.runRetryableWrite(statement) { () throws(MongoError) in
                    _ = try collection.insert(["_id": 1], writeConcern: .journaled)
                    _ = try collection.insert(["_id": 2], writeConcern: .journaled)
                }
                _ = try collection.insert(["_id": 3], writeConcern: .journaled)
                // A crash here: the writes and the marker are in, the reply is not.
            }
            do {
                let store = try DocumentStore(path: path)
                #expect(try store.retryableWriteRecord(session: session) == RetryableWriteRecord(txnNumber: 5, reply: nil))
                #expect(try store.retryableWriteRecord(session: otherSession) == nil)
                try store.recordRetryableWrite(statement, reply: ["n": 2, "ok": 1.0])
                let newer = RetryableWriteStatement(sessionID: otherSession, txnNumber: 1)
                try store.runRetryableWrite(newer) { () throws(MongoError) in
                    _ = try store.collection("c", in: "db").insert(["_id": 4], writeConcern: .acknowledged)
                }
                try store.recordRetryableWrite(newer, reply: ["n": 1, "ok": 1.0])
                try store.waitForJournal()
            }
            let store = try DocumentStore(path: path)
            #expect(try store.retryableWriteRecord(session: session) == RetryableWriteRecord(txnNumber: 5, reply: ["n": 2, "ok": 1.0]))
            #expect(try store.retryableWriteRecord(session: otherSession) == RetryableWriteRecord(txnNumber: 1, reply: ["n": 1, "ok": 1.0]))
            #expect(try store.collection("c", in: "db").count() == 4)
        }
    }

    @Test func aStatementThatWritesNothingLeavesNoMarker() throws {
        // (A delete that matches nothing commits no batch, so it marks nothing either.)
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let statement = RetryableWriteStatement(sessionID: session, txnNumber: 1)
            let found = try store.runRetryableWrite(statement) { () throws(MongoError) -> BSONDocument? in
                try store.collection("c", in: "db").document(withID: "absent")
            }
            #expect(found == nil)
            let deleted = try store.runRetryableWrite(statement) { () throws(MongoError) -> Bool in
                try store.collection("c", in: "db").delete(id: "absent")
            }
            #expect(!deleted)
            #expect(try store.retryableWriteRecord(session: session) == nil)
        }
    }

    @Test func endedSessionsLoseTheirRecords() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            for (id, number) in [(session, Int64(3)), (otherSession, Int64(4))] {
                try store.recordRetryableWrite(RetryableWriteStatement(sessionID: id, txnNumber: number), reply: ["ok": 1.0])
            }
            try store.forgetRetryableWrites(sessions: [session])
            #expect(try store.retryableWriteRecord(session: session) == nil)
            #expect(try store.retryableWriteRecord(session: otherSession) == RetryableWriteRecord(txnNumber: 4, reply: ["ok": 1.0]))
            #expect(try store.storage.entries(.all, in: store.sessionsKeySpace).count == 1)
        }
    }

    @Test func recordsExpireByAgeExceptLiveSessionsAndNewerWrites() throws {
        try withStoreDirectory { path in
            let third: [UInt8] = Array(repeating: 7, count: 16)
            do {
                let store = try DocumentStore(path: path)
                for id in [session, otherSession, third] {
                    try store.recordRetryableWrite(RetryableWriteStatement(sessionID: id, txnNumber: 1), reply: ["ok": 1.0])
                }
                let now = WallClock.now().millisecondsSinceEpoch
                // Nothing is older than a minute ago.
                #expect(try store.expireRetryableWrites(writtenBefore: BSONDateTime(millisecondsSinceEpoch: now - 60_000)) == 0)
                // Everything is older than a minute ahead; `third`'s session is still live.
                let later = BSONDateTime(millisecondsSinceEpoch: now + 60_000)
                #expect(try store.expireRetryableWrites(writtenBefore: later, keeping: [third]) == 2)
                #expect(try store.retryableWriteRecord(session: session) == nil)
                #expect(try store.retryableWriteRecord(session: otherSession) == nil)
                #expect(try store.retryableWriteRecord(session: third) != nil)
                try store.waitForJournal()
            }
            // The expiry is durable and the survivor reopens.
            let store = try DocumentStore(path: path)
            #expect(try store.retryableWriteRecord(session: session) == nil)
            #expect(try store.retryableWriteRecord(session: third) == RetryableWriteRecord(txnNumber: 1, reply: ["ok": 1.0]))
        }
    }

    @Test func statementRecordsCommitWithTheirWritesOnlyAndGoWithTheirSession() throws {
        try withStoreDirectory { path in
            let statement = RetryableWriteStatement(sessionID: session, txnNumber: 6)
            do {
                let store = try DocumentStore(path: path)
                let collection = try store.collection("c", in: "db")
                try store.runRetryableWrite(statement) { () throws(MongoError) in
                    // The collection's creation commits first: it records no statement.
                    try store.runRetryableStatements([0, 1]) { () throws(MongoError) in
                        _ = try collection.insert(contentsOf: [["_id": 1], ["_id": 2]], writeConcern: .journaled)
                    }
                    // A failed commit records nothing.
                    #expect(throws: MongoError.self) {
                        try store.runRetryableStatements([2]) { () throws(MongoError) in
                            _ = try collection.insert(["_id": 1], writeConcern: .journaled)
                        }
                    }
                    try store.runRetryableStatements([3]) { () throws(MongoError) in
                        _ = try collection.insert(["_id": "upserted"], writeConcern: .journaled)
                    }
                    // Nothing deleted: no commit, no record.
                    _ = try store.runRetryableStatements([4]) { () throws(MongoError) -> Bool in
                        try collection.delete(id: "absent")
                    }
                }
                // Outside a retryable write the ids record nothing.
                try store.runRetryableStatements([7]) { () throws(MongoError) in
                    _ = try collection.insert(["_id": 9], writeConcern: .journaled)
                }
            }
            let store = try DocumentStore(path: path)
            let executed = try store.executedRetryableStatements(session: session, txnNumber: 6)
            #expect(Set(executed.keys) == [0, 1, 3])
            #expect(executed[0] == RetryableStatementRecord(insertedID: nil))
            #expect(executed[3] == RetryableStatementRecord(insertedID: "upserted"))
            #expect(try store.executedRetryableStatements(session: session, txnNumber: 7).isEmpty)
            #expect(try store.executedRetryableStatements(session: otherSession, txnNumber: 6).isEmpty)
            // Expiry takes an idle session's statement records and spares a live one's.
            try store.runRetryableWrite(RetryableWriteStatement(sessionID: otherSession, txnNumber: 2)) { () throws(MongoError) in
                try store.runRetryableStatements([0]) { () throws(MongoError) in
                    _ = try store.collection("c", in: "db").insert(["_id": 10], writeConcern: .acknowledged)
                }
            }
            #expect(try store.executedRetryableStatements(session: otherSession, txnNumber: 2).count == 1)
            let later = BSONDateTime(millisecondsSinceEpoch: WallClock.now().millisecondsSinceEpoch + 60_000)
            try store.expireRetryableWrites(writtenBefore: later, keeping: [session])
            #expect(try store.executedRetryableStatements(session: otherSession, txnNumber: 2).isEmpty)
            #expect(try store.executedRetryableStatements(session: session, txnNumber: 6).count == 3)
            try store.forgetRetryableWrites(sessions: [session])
            #expect(try store.executedRetryableStatements(session: session, txnNumber: 6).isEmpty)
            #expect(try store.storage.entries(.all, in: store.statementsKeySpace).isEmpty)
        }
    }
}
