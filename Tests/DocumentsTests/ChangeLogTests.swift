// The change log: one entry per committed write in commit order, written atomically with
// the data (a failed batch leaves neither), sequence numbers that survive reopen, and
// retention trimming by count, size and age, and commit notifications (one call per
// registration, none once cancelled, none registered when the log already moved on).

import BSON
import Storage
import Synchronization
import Testing
@testable import Documents

struct ChangeLogTests {
    @Test func everyWriteIsLoggedInCommitOrder() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 1, "v": "a"])
            try collection.replace(id: 1, with: ["v": "b"])
            try collection.delete(id: 1)
            try store.createIndex(on: collection.namespace, key: ["v": 1])
            try store.dropCollection(collection.namespace)
            let entries = try store.changeLog.entries(after: 0)
            #expect(entries.map(\.sequence) == Array(1 ... 6))
            #expect(entries.map(\.operation) == [.create, .insert, .replace, .delete, .createIndex, .drop])
            #expect(entries.allSatisfy { $0.namespace == "db.c" })
            #expect(entries[1].document == ["_id": 1, "v": "a"])
            #expect(entries[1].documentKey == 1)
            #expect(entries[2].document == ["_id": 1, "v": "b"])
            #expect(entries[3].documentKey == 1 && entries[3].document == nil)
            #expect(try store.changeLog.entries(after: 4).map(\.sequence) == [5, 6])
            #expect(try store.changeLog.entries(after: 1, limit: 2).map(\.sequence) == [2, 3])
            #expect(try store.changeLog.entries(after: 6).isEmpty)
            #expect(store.changeLog.latestSequence == 6)
        }
    }

    @Test func aCommitCallsEachRegisteredNotificationOnce() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 1])
            let latest = store.changeLog.latestSequence
            let calls = Atomic<Int>(0)
            let first = store.changeLog.notifyAfter(latest) { calls.add(1, ordering: .relaxed) }
            let second = store.changeLog.notifyAfter(latest) { calls.add(10, ordering: .relaxed) }
            #expect(first != nil && second != nil)
            if let second { store.changeLog.cancel(second) }
            #expect(store.changeLog.commitWatcherCount == 1)
            try collection.insert(["_id": 2])
            try collection.insert(["_id": 3])
            #expect(calls.load(ordering: .relaxed) == 1)
            #expect(store.changeLog.commitWatcherCount == 0)
        }
    }

    @Test func aNotificationForAnOlderSequenceIsNotRegistered() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 1])
            let stale = store.changeLog.notifyAfter(store.changeLog.latestSequence - 1) { Issue.record("called") }
            #expect(stale == nil)
            #expect(store.changeLog.commitWatcherCount == 0)
        }
    }

    @Test func sequenceNumbersContinueAfterReopen() throws {
        try withStoreDirectory { path in
            do {
                let store = try DocumentStore(path: path)
                try store.collection("c", in: "db").insert(contentsOf: [["_id": 1], ["_id": 2]])
            }
            let store = try DocumentStore(path: path)
            #expect(store.changeLog.latestSequence == 3)
            try store.collection("c", in: "db").insert(["_id": 3])
            #expect(try store.changeLog.entries(after: 0).map(\.sequence) == [1, 2, 3, 4])
        }
    }

    @Test func aRejectedBatchWritesNeitherDataNorLog() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 2])
            let sequence = store.changeLog.latestSequence
            #expect(throws: MongoError.self) {
                try collection.insert(contentsOf: [["_id": 1, "new": true], ["_id": 2]])
            }
            #expect(store.changeLog.latestSequence == sequence)
            #expect(try store.changeLog.entries(after: sequence).isEmpty)
            #expect(try collection.document(withID: 1) == nil)
        }
    }

    @Test func aBatchFailingInStorageWritesNeitherDataNorLogNorShapes() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let namespace = try Namespace(database: "db", collection: "c")
            let collection = store.collection(namespace)
            try collection.insert(["_id": 1])
            let other = store.collection(try Namespace(database: "db", collection: "other"))
            try other.insert(["_id": 1])
            let sequence = store.changeLog.latestSequence
            let shapeRecords = { () throws -> Int in
                try store.storage.entries(.prefix([CatalogKey.shapeTag]), in: store.catalogKeySpace).count
            }
            let shapesBefore = try shapeRecords()
            // Pull the key space out from under the catalog so the batch write itself fails.
            if let open = store.catalog.openCollection(namespace) {
                try store.storage.dropKeySpace(open.keySpace)
            }
            do {
                try collection.insert(["_id": 2, "brandNewField": "x"])
                Issue.record("write into a dropped key space succeeded")
            } catch let error as MongoError {
                #expect(error.code == .internalError)
                #expect(error.storageError?.code == .keySpaceDropped)
            }
            #expect(store.changeLog.latestSequence == sequence)
            #expect(try store.changeLog.entries(after: sequence).isEmpty)
            #expect(try shapeRecords() == shapesBefore)
            // The shape the failed insert interned was not marked persisted; the next write
            // using it persists it.
            try other.insert(["_id": 2, "brandNewField": "y"])
            #expect(try other.document(withID: 2) == ["_id": 2, "brandNewField": "y"])
            #expect(try store.changeLog.entries(after: sequence).map(\.sequence) == [sequence + 1])
            #expect(try shapeRecords() > shapesBefore)
        }
    }

    @Test func trimmingByCountKeepsTheNewestEntries() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.changeLogRetention = ChangeLogRetention(maximumEntries: 10, maximumBytes: nil, trimInterval: nil)
            let store = try DocumentStore(path: path, options: options)
            let collection = try store.collection("c", in: "db")
            for index in 0 ..< 50 { try collection.insert(["_id": .int32(Int32(index))]) }
            #expect(try store.changeLog.oldestSequence() == 1)
            let oldest = try store.changeLog.trim()
            #expect(oldest == 42)
            #expect(try store.changeLog.entries(after: 0).map(\.sequence) == Array(42 ... 51))
            #expect(try collection.count() == 50)
        }
    }

    @Test func trimmingRunsAutomaticallyEveryInterval() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.changeLogRetention = ChangeLogRetention(maximumEntries: 5, maximumBytes: nil, trimInterval: 20)
            let store = try DocumentStore(path: path, options: options)
            let collection = try store.collection("c", in: "db")
            for index in 0 ..< 30 { try collection.insert(["_id": .int32(Int32(index))]) }
            let oldest = try #require(try store.changeLog.oldestSequence())
            #expect(oldest > 1)
            #expect(oldest <= 31 - 4)
        }
    }

    @Test func trimmingBySizeKeepsAboutThatManyBytes() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.changeLogRetention = ChangeLogRetention(maximumBytes: 4096, trimInterval: nil)
            let store = try DocumentStore(path: path, options: options)
            let collection = try store.collection("c", in: "db")
            let payload = String(repeating: "x", count: 200)
            for index in 0 ..< 100 { try collection.insert(["_id": .int32(Int32(index)), "p": .string(payload)]) }
            try store.changeLog.trim()
            let kept = try store.changeLog.entries(after: 0, limit: 1000)
            #expect(kept.count > 5 && kept.count < 30)
            #expect(kept.last?.sequence == store.changeLog.latestSequence)
        }
    }

    @Test func theByteAccountIsRebuiltWhenTheStoreReopens() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.changeLogRetention = ChangeLogRetention(maximumBytes: 4096, trimInterval: nil)
            let payload = String(repeating: "y", count: 200)
            var bytesBefore = 0
            do {
                let store = try DocumentStore(path: path, options: options)
                let collection = try store.collection("c", in: "db")
                for index in 0 ..< 60 { try collection.insert(["_id": .int32(Int32(index)), "p": .string(payload)]) }
                bytesBefore = store.changeLog.retainedBytes
                #expect(bytesBefore > 60 * 200)
            }
            let store = try DocumentStore(path: path, options: options)
            #expect(store.changeLog.retainedBytes == bytesBefore)
            try store.changeLog.trim()
            let kept = try store.changeLog.entries(after: 0, limit: 1000)
            #expect(kept.count > 5 && kept.count < 30)
            #expect(store.changeLog.retainedBytes <= 4096)
            #expect(store.changeLog.retainedBytes > 4096 / 2)
        }
    }

    @Test func trimmingByAgeDropsOldEntriesButNeverTheNewest() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.changeLogRetention = ChangeLogRetention(maximumBytes: nil, maximumAge: .seconds(60), trimInterval: nil)
            let store = try DocumentStore(path: path, options: options)
            let collection = try store.collection("c", in: "db")
            for index in 0 ..< 10 { try collection.insert(["_id": .int32(Int32(index))]) }
            let now = WallClock.now().millisecondsSinceEpoch
            // Nothing is a minute old yet.
            #expect(try store.changeLog.trim(now: BSONDateTime(millisecondsSinceEpoch: now)) == 1)
            // An hour later everything is, but the newest entry stays.
            let later = BSONDateTime(millisecondsSinceEpoch: now + 3_600_000)
            #expect(try store.changeLog.trim(now: later) == 11)
            #expect(try store.changeLog.entries(after: 0).map(\.sequence) == [11])
        }
    }
}
