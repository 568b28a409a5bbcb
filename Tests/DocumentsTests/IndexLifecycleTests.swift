// Index features and lifecycle: partial indexes through a predicate compiler, TTL removal
// (recorded in the change log) and its background monitor, hidden indexes, indexes and
// multikey flags surviving a reopen, and dropIndex / dropCollection freeing key spaces.

import BSON
import Foundation
import Testing
@testable import Documents

struct IndexLifecycleTests {
    @Test func partialIndexesHoldOnlyMatchingDocuments() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path, options: optionsWithCompiler)
            let collection = try store.collection("c", in: "db")
            try collection.insert(contentsOf: [["_id": 1, "a": 3], ["_id": 2, "a": 7], ["_id": 3, "a": "z"], ["_id": 4]])
            let index = try store.createIndex(on: collection.namespace, key: ["a": 1], options: ["partialFilterExpression": ["a": ["$gt": 5]]])
            #expect(index.partialFilter == ["a": ["$gt": 5]])
            #expect(try scanned(collection, "a_1").map(\.id) == [2])
            try collection.insert(["_id": 5, "a": 6])
            try collection.replace(id: 2, with: ["a": 2])  // leaves the filter
            try collection.replace(id: 1, with: ["a": 9])  // enters it
            #expect(try scanned(collection, "a_1").map(\.id) == [5, 1])
            try collection.delete(id: 5)
            #expect(try scanned(collection, "a_1").map(\.id) == [1])
        }
    }

    @Test func aPartialIndexWithoutItsCompilerRefusesWritesUntilReopenedWithIt() throws {
        try withStoreDirectory { path in
            let namespace = try Namespace(database: "db", collection: "c")
            do {
                let store = try DocumentStore(path: path, options: optionsWithCompiler)
                try store.createIndex(on: namespace, key: ["a": 1], options: ["partialFilterExpression": ["a": ["$gt": 5]]])
                try store.collection(namespace).insert(contentsOf: [["_id": 1, "a": 9], ["_id": 2, "a": 1]])
            }
            do {
                let store = try DocumentStore(path: path)
                let collection = store.collection(namespace)
                expectMongoError(.badValue) { try collection.insert(["_id": 3, "a": 10]) }
                // Deletes still work: removing entries needs no filter.
                #expect(try collection.delete(id: 1))
                #expect(try scanned(collection, "a_1").isEmpty)
            }
            let store = try DocumentStore(path: path, options: optionsWithCompiler)
            try store.collection(namespace).insert(["_id": 3, "a": 10])
            #expect(try scanned(store.collection(namespace), "a_1").map(\.id) == [3])
        }
    }

    @Test func expiredDocumentsAreDeletedThroughTheChangeLog() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("sessions", in: "db")
            let now = BSONDateTime(millisecondsSinceEpoch: 1_700_000_000_000)
            func at(_ seconds: Int64) -> BSONValue { .datetime(BSONDateTime(millisecondsSinceEpoch: now.millisecondsSinceEpoch + seconds * 1000)) }
            try store.createIndex(on: collection.namespace, key: ["at": 1], options: ["expireAfterSeconds": 60])
            try store.createIndex(on: collection.namespace, key: ["user": 1])
            try collection.insert(contentsOf: [
                ["_id": 1, "at": at(-120), "user": "a"],          // expired
                ["_id": 2, "at": at(-30), "user": "b"],           // not yet
                ["_id": 3, "at": [at(-1000), at(1000)], "user": "c"],  // earliest date expired
                ["_id": 4, "at": "yesterday", "user": "d"],       // not a date: never expires
                ["_id": 5, "user": "e"],                          // no date
                ["_id": 6, "at": [1, 2], "user": "f"],            // no date in the array
            ])
            let before = store.changeLog.latestSequence
            #expect(try store.removeExpiredDocuments(now: now) == 2)
            #expect(try collection.documents().compactMap { $0["_id"] } == [2, 4, 5, 6])
            let log = try store.changeLog.entries(after: before)
            #expect(log.map(\.operation) == [.delete, .delete])
            #expect(Set(log.compactMap(\.documentKey)) == [1, 3])
            #expect(log.allSatisfy { $0.namespace == "db.sessions" })
            // Their entries left every index.
            #expect(try scanned(collection, "user_1").map(\.id) == [2, 4, 5, 6])
            #expect(try scanned(collection, "at_1").contains { [1, 3].contains($0.id) } == false)
            // Time passing expires the next one.
            #expect(try store.removeExpiredDocuments(now: BSONDateTime(millisecondsSinceEpoch: now.millisecondsSinceEpoch + 31_000)) == 1)
            #expect(try collection.document(withID: 2) == nil)
        }
    }

    @Test func manyExpiredDocumentsAreAllDeletedInOnePass() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["at": -1], options: ["expireAfterSeconds": 10])
            try collection.insert(contentsOf: (0 ..< 2600).map { index in
                ["_id": .int32(Int32(index)), "at": .datetime(BSONDateTime(millisecondsSinceEpoch: Int64(index) * 1000))]
            })
            // At 2,000 s, dates up to 1,990 s have expired: 1,991 documents.
            #expect(try store.removeExpiredDocuments(now: BSONDateTime(millisecondsSinceEpoch: 2_000_000)) == 1991)
            #expect(try collection.count() == 609)
            #expect(try scanned(collection, "at_-1").last?.id == 1991)
        }
    }

    @Test func theTTLMonitorDeletesInTheBackgroundAndStops() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["at": 1], options: ["expireAfterSeconds": 0])
            try collection.insert(["_id": 1, "at": .datetime(BSONDateTime(millisecondsSinceEpoch: 1000))])
            store.startTTLMonitor(every: .milliseconds(20))
            #expect(store.isTTLMonitorRunning)
            let deadline = Date().addingTimeInterval(10)
            while try collection.count() > 0, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            #expect(try collection.count() == 0)
            store.stopTTLMonitor()
            #expect(!store.isTTLMonitorRunning)
            try collection.insert(["_id": 2, "at": .datetime(BSONDateTime(millisecondsSinceEpoch: 1000))])
            Thread.sleep(forTimeInterval: 0.2)
            #expect(try collection.count() == 1)
        }
    }

    @Test func theTTLMonitorDoesNotKeepTheStoreAlive() throws {
        try withStoreDirectory { path in
            weak var released: DocumentStore?
            do {
                let store = try DocumentStore(path: path)
                store.startTTLMonitor(every: .seconds(3600))
                released = store
                #expect(released != nil)
            }
            #expect(released == nil)
            // The directory can be opened again at once.
            _ = try DocumentStore(path: path)
        }
    }

    @Test func hiddenIndexesAreStillMaintainedAndTheFlagPersists() throws {
        try withStoreDirectory { path in
            let namespace = try Namespace(database: "db", collection: "c")
            do {
                let store = try DocumentStore(path: path)
                let created = try store.createIndex(on: namespace, key: ["a": 1], options: ["hidden": true])
                #expect(created.isHidden)
                try store.collection(namespace).insert(["_id": 1, "a": 1])
                #expect(try scanned(store.collection(namespace), "a_1").map(\.id) == [1])
                #expect(try store.setIndexHidden("a_1", on: namespace, hidden: false) == true)
                #expect(store.collection(namespace).index(named: "a_1")?.isHidden == false)
                #expect(store.collection(namespace).index(named: "a_1")?.options["hidden"] == nil)
                #expect(try store.setIndexHidden("a_1", on: namespace, hidden: true) == false)
                expectMongoError(.badValue) { try store.setIndexHidden("_id_", on: namespace, hidden: true) }
                expectMongoError(.indexNotFound) { try store.setIndexHidden("b_1", on: namespace, hidden: true) }
            }
            let store = try DocumentStore(path: path)
            #expect(store.collection(namespace).index(named: "a_1")?.isHidden == true)
        }
    }

    @Test func indexesAndMultikeyFlagsSurviveReopen() throws {
        try withStoreDirectory { path in
            let namespace = try Namespace(database: "db", collection: "c")
            var before: [IndexDescription] = []
            do {
                let store = try DocumentStore(path: path)
                let collection = store.collection(namespace)
                try store.createIndex(on: namespace, key: ["a": 1, "b": -1])
                try store.createIndex(on: namespace, key: ["t": 1], options: ["unique": true, "sparse": true])
                #expect(collection.index(named: "a_1_b_-1")?.isMultikey == false)
                try collection.insert(["_id": 1, "a": 1, "b": [1, 2]])
                try collection.insert(["_id": 2, "a": 2, "b": 0, "t": "x"])
                #expect(collection.index(named: "a_1_b_-1")?.multikeyFields == ["b"])
                before = collection.indexes
            }
            let store = try DocumentStore(path: path)
            let collection = store.collection(namespace)
            #expect(collection.indexes == before)
            #expect(collection.index(named: "a_1_b_-1")?.isMultikey == true)
            #expect(collection.index(named: "t_1")?.isUnique == true)
            #expect(try scanned(collection, "a_1_b_-1").map(\.keyValues) == [[1, 2], [1, 1], [2, 0]])
            // Maintenance and unique checks go on after the reopen.
            expectMongoError(.duplicateKey) { try collection.insert(["_id": 3, "t": "x"]) }
            try collection.insert(["_id": 3, "a": [5, 6], "b": 1])
            #expect(collection.index(named: "a_1_b_-1")?.multikeyFields == ["a", "b"])
            #expect(try scanned(collection, "a_1_b_-1").count == 5)
        }
    }

    @Test func droppingIndexesAndCollectionsFreesTheirKeySpaces() throws {
        try withStoreDirectory { path in
            let namespace = try Namespace(database: "db", collection: "c")
            do {
                let store = try DocumentStore(path: path)
                let collection = store.collection(namespace)
                try collection.insert(contentsOf: (0 ..< 500).map { ["_id": .int32(Int32($0)), "a": .int32(Int32($0)), "b": "x"] })
                let a = try store.createIndex(on: namespace, key: ["a": 1])
                try store.createIndex(on: namespace, key: ["b": 1])
                let aSpace = CatalogKey.keySpaceName(index: try #require(a.keySpaceID))
                #expect(try store.storage.keySpaceNames.contains(aSpace))
                let log = store.changeLog.latestSequence
                try store.dropIndex("a_1", on: namespace)
                #expect(try !store.storage.keySpaceNames.contains(aSpace))
                #expect(collection.indexes.map(\.name) == ["_id_", "b_1"])
                #expect(try store.changeLog.entries(after: log).map(\.operation) == [.dropIndex])
                expectMongoError(.indexNotFound) { _ = try scanned(collection, "a_1") }
                // Writes after the drop do not touch it.
                try collection.insert(["_id": 1000, "a": 1])
                try store.dropCollection(namespace)
                #expect(try !store.storage.keySpaceNames.contains { $0.hasPrefix("i.") })
            }
            let store = try DocumentStore(path: path)
            #expect(try !store.storage.keySpaceNames.contains { $0.hasPrefix("i.") || $0.hasPrefix("c.") })
        }
    }
}
