// Transactions in the Documents layer: snapshot reads overlaid with the transaction's own
// writes, write conflicts (first committer wins), atomic commit across collections and
// databases with consecutive change log entries, and abort leaving nothing behind.

import BSON
import Foundation
import Testing
@testable import Documents

struct TransactionTests {
    @Test func readsSeeTheSnapshotAndTheTransactionsOwnWritesOnly() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let outside = try store.collection("c", in: "db")
            try outside.insert(["_id": 1, "v": "before"])
            let transaction = try Transaction(store: store)
            let inside = transaction.collection(outside.namespace)
            try outside.insert(["_id": 2, "v": "concurrent"])
            try inside.insert(["_id": 3, "v": "mine"])
            #expect(try inside.documents() == [["_id": 1, "v": "before"], ["_id": 3, "v": "mine"]])
            #expect(try inside.document(withID: 2) == nil)
            #expect(try inside.count() == 2)
            #expect(try outside.documents().map { $0["_id"] } == [1, 2])
            try inside.replace(id: 1, with: ["v": "changed"])
            #expect(try inside.document(withID: 1) == ["_id": 1, "v": "changed"])
            #expect(try outside.document(withID: 1) == ["_id": 1, "v": "before"])
            try transaction.commit()
            #expect(try outside.documents() == [["_id": 1, "v": "changed"], ["_id": 2, "v": "concurrent"],
                                                ["_id": 3, "v": "mine"]])
            #expect(transaction.state == .committed)
        }
    }

    @Test func theSnapshotSequenceIsTheNewestCommitTheSnapshotHolds() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            #expect(try Transaction(store: store).snapshotSequence() == 0)
            let outside = try store.collection("c", in: "db")
            try outside.insert(contentsOf: [["_id": 1], ["_id": 2]])
            let before = store.changeLog.latestSequence
            let transaction = try Transaction(store: store)
            try outside.insert(["_id": 3])
            #expect(try outside.delete(id: 1))
            #expect(store.changeLog.latestSequence > before)
            #expect(try transaction.snapshotSequence() == before)
            #expect(try Transaction(store: store).snapshotSequence() == store.changeLog.latestSequence)
            // The transaction's own buffered writes are no commit.
            try transaction.collection(outside.namespace).insert(["_id": 4])
            #expect(try transaction.snapshotSequence() == before)
        }
    }

    @Test func abortLeavesNothingBehind() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let outside = try store.collection("c", in: "db")
            try outside.insert(contentsOf: [["_id": 1, "n": 1], ["_id": 2, "n": 2]])
            let sequence = store.changeLog.latestSequence
            let transaction = try Transaction(store: store)
            let inside = transaction.collection(outside.namespace)
            try inside.insert(["_id": 3])
            try inside.replace(id: 1, with: ["n": 10])
            #expect(try inside.delete(id: 2))
            transaction.abort()
            #expect(try outside.documents() == [["_id": 1, "n": 1], ["_id": 2, "n": 2]])
            #expect(store.changeLog.latestSequence == sequence)
            #expect(store.writeIntents.count == 0)
            let error = expectMongoError(.noSuchTransaction) { try inside.insert(["_id": 4]) }
            #expect(error?.details["errorLabels"] == ["TransientTransactionError"])
            expectMongoError(.noSuchTransaction) { try transaction.commit() }
        }
    }

    @Test func aSecondTransactionWritingTheSameDocumentConflictsAtOnce() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let outside = try store.collection("c", in: "db")
            try outside.insert(["_id": 1, "n": 0])
            let first = try Transaction(store: store)
            let second = try Transaction(store: store)
            try first.collection(outside.namespace).replace(id: 1, with: ["n": 1])
            let error = expectMongoError(.writeConflict) {
                try second.collection(outside.namespace).replace(id: 1, with: ["n": 2])
            }
            #expect(error?.details["errorLabels"] == ["TransientTransactionError"])
            try first.commit()
            #expect(try outside.document(withID: 1) == ["_id": 1, "n": 1])
            // The loser's snapshot predates the winner's commit: still a conflict.
            expectMongoError(.writeConflict) { try second.collection(outside.namespace).replace(id: 1, with: ["n": 2]) }
        }
    }

    @Test func aCommitAfterTheSnapshotMakesLaterWritesConflict() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let outside = try store.collection("c", in: "db")
            try outside.insert(["_id": 1, "n": 0])
            let transaction = try Transaction(store: store)
            try outside.replace(id: 1, with: ["n": 5])
            expectMongoError(.writeConflict) { try transaction.collection(outside.namespace).replace(id: 1, with: ["n": 1]) }
            // Inserting an _id committed by another writer after the snapshot conflicts too.
            try outside.insert(["_id": 2])
            expectMongoError(.writeConflict) { try transaction.collection(outside.namespace).insert(["_id": 2]) }
        }
    }

    @Test func aCommitFindingAWrittenDocumentChangedWritesNothing() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let accounts = try store.collection("accounts", in: "bank")
            let audit = try store.collection("audit", in: "log")
            try accounts.insert(["_id": 1, "balance": 100])
            let transaction = try Transaction(store: store)
            try transaction.collection(accounts.namespace).replace(id: 1, with: ["balance": 50])
            try transaction.collection(audit.namespace).insert(["_id": 1, "moved": 50])
            // A non-transactional write lands in between: the commit must fail whole.
            try accounts.replace(id: 1, with: ["balance": 90])
            let sequence = store.changeLog.latestSequence
            let error = expectMongoError(.writeConflict) { try transaction.commit() }
            #expect(error?.details["errorLabels"] == ["TransientTransactionError"])
            #expect(transaction.state == .aborted)
            #expect(try accounts.document(withID: 1) == ["_id": 1, "balance": 90])
            #expect(try audit.count() == 0)
            #expect(store.changeLog.latestSequence == sequence)
        }
    }

    @Test func aCommitAppliesEveryWriteAcrossDatabasesWithConsecutiveLogEntries() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let accounts = try store.collection("accounts", in: "bank")
            let audit = try store.collection("audit", in: "log")
            try accounts.insert(contentsOf: [["_id": "a", "balance": 100], ["_id": "b", "balance": 0]])
            // (A collection a transaction creates is created at once, outside it.)
            try store.createCollection(audit.namespace)
            let before = store.changeLog.latestSequence
            let transaction = try Transaction(store: store)
            try transaction.collection(accounts.namespace).replace(id: "a", with: ["balance": 60])
            try transaction.collection(accounts.namespace).replace(id: "b", with: ["balance": 40])
            try transaction.collection(audit.namespace).insert(["_id": 1, "from": "a", "to": "b", "amount": 40])
            #expect(try store.changeLog.entries(after: before).isEmpty)
            try transaction.commit(writeConcern: .journaled)
            let entries = try store.changeLog.entries(after: before)
            #expect(entries.map(\.operation) == [.replace, .replace, .insert])
            #expect(entries.map(\.namespace) == ["bank.accounts", "bank.accounts", "log.audit"])
            #expect(entries.map(\.sequence) == [before + 1, before + 2, before + 3])
            #expect(try accounts.documents() == [["_id": "a", "balance": 60], ["_id": "b", "balance": 40]])
            #expect(try audit.documents() == [["_id": 1, "from": "a", "to": "b", "amount": 40]])
        }
    }

    @Test func uniqueIndexesAreCheckedAgainstTheLatestStateAtCommit() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let users = try store.collection("users", in: "db")
            try store.createIndex(on: users.namespace, key: ["email": 1], options: ["unique": true])
            let transaction = try Transaction(store: store)
            try transaction.collection(users.namespace).insert(["_id": 1, "email": "x"])
            try users.insert(["_id": 2, "email": "x"])
            expectMongoError(.duplicateKey) { try transaction.commit() }
            #expect(try users.documents() == [["_id": 2, "email": "x"]])
            #expect(try scanned(users, "email_1").map(\.id) == [2])
        }
    }

    @Test func indexScansInsideSeeTheTransactionsWritesInIndexOrder() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let items = try store.collection("items", in: "db")
            try store.createIndex(on: items.namespace, key: ["k": 1])
            try items.insert(contentsOf: [["_id": 1, "k": 10], ["_id": 2, "k": 20], ["_id": 3, "k": 30]])
            let transaction = try Transaction(store: store)
            let inside = transaction.collection(items.namespace)
            try inside.insert(["_id": 4, "k": 15])
            try inside.replace(id: 3, with: ["k": 5])
            #expect(try inside.delete(id: 2))
            #expect(try scanned(inside, "k_1").map { $0.keyValues + [$0.id] } == [[5, 3], [10, 1], [15, 4]])
            #expect(try scanned(inside, "k_1", reverse: true).map(\.id) == [4, 1, 3])
            let bounds: [[IndexInterval]] = [[IndexInterval(lower: 6, lowerInclusive: true, upper: 100, upperInclusive: true)]]
            #expect(try scanned(inside, "k_1", bounds: bounds).map(\.id) == [1, 4])
            #expect(try scanned(inside, "_id_").map(\.id) == [1, 3, 4])
            #expect(try scanned(items, "k_1").map(\.id) == [1, 2, 3])
            try transaction.commit()
            #expect(try scanned(items, "k_1").map(\.id) == [3, 1, 4])
        }
    }

    @Test func concurrentTransfersNeverCreateOrLoseMoney() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let accounts = try store.collection("accounts", in: "bank")
            try accounts.insert(contentsOf: [["_id": "a", "balance": 500], ["_id": "b", "balance": 500]])
            let conflicts = LockedList()
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                var done = 0
                while done < 200 {
                    do {
                        let transaction = try Transaction(store: store)
                        let inside = transaction.collection(accounts.namespace)
                        let (from, to): (BSONValue, BSONValue) = worker % 2 == 0 ? ("a", "b") : ("b", "a")
                        let source = try #require(try inside.document(withID: from))
                        let target = try #require(try inside.document(withID: to))
                        let sum = (source["balance"]?.int64Value ?? 0) + (target["balance"]?.int64Value ?? 0)
                        #expect(sum == 1000)
                        try inside.replace(id: from, with: ["balance": .int64((source["balance"]?.int64Value ?? 0) - 1)])
                        try inside.replace(id: to, with: ["balance": .int64((target["balance"]?.int64Value ?? 0) + 1)])
                        try transaction.commit()
                        done += 1
                    } catch let error as MongoError where error.code == .writeConflict {
                        conflicts.append("conflict")
                    } catch {
                        Issue.record("\(error)")
                        return
                    }
                }
            }
            let balances = try accounts.documents().map { $0["balance"]?.int64Value ?? 0 }
            #expect(balances.reduce(0, +) == 1000)
            #expect(balances == [500, 500])
            #expect(store.writeIntents.count == 0)
        }
    }
}
