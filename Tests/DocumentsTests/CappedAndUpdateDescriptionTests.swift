// Capped collections in the Documents layer (insertion order, eviction by count and bytes
// with index entries and change log deletes, the order surviving reopen, position loss),
// update descriptions diffed from two versions, pre-images, atomic rename, and the change
// log's wait for new entries.

import BSON
import Foundation
import Testing
@testable import Documents

struct CappedAndUpdateDescriptionTests {
    @Test func cappedCollectionKeepsInsertionOrderAndEvictsTheOldest() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let namespace = try Namespace(database: "db", collection: "cap")
            try store.createCollection(namespace, options: ["capped": true, "size": 100_000, "max": 3])
            let collection = store.collection(namespace)
            for id in [9, 3, 7, 1, 5] { try collection.insert(["_id": .int32(Int32(id))]) }
            #expect(try collection.documents().map { $0["_id"] } == [7, 1, 5])
            #expect(collection.cappedUsage?.documents == 3)
            let deletes = try store.changeLog.entries(after: 0).filter { $0.operation == .delete }
            #expect(deletes.map(\.documentKey) == [9, 3])
            #expect(try collection.naturalOrder(after: 0, limit: 10).map(\.position) == [3, 4, 5])
            #expect(throws: MongoError.self) { try collection.naturalOrder(after: 1, limit: 10) }
        }
    }

    @Test func cappedCollectionStaysUnderItsSizeAndSurvivesReopen() throws {
        try withStoreDirectory { path in
            let namespace = try Namespace(database: "db", collection: "cap")
            do {
                let store = try DocumentStore(path: path)
                try store.createCollection(namespace, options: ["capped": true, "size": 1000])
                let collection = store.collection(namespace)
                for id in 0..<50 {
                    try collection.insert(["_id": .int32(Int32(id)), "p": .string(String(repeating: "x", count: 80))])
                    #expect((collection.cappedUsage?.bytes ?? .max) <= 1024)
                }
            }
            let store = try DocumentStore(path: path)
            let collection = store.collection(namespace)
            let ids = try collection.documents().compactMap { $0["_id"]?.int64Value }
            #expect(ids == Array(Int64(50 - ids.count)..<50))
            #expect(collection.cappedLimits == (try CappedLimits(options: ["capped": true, "size": 1000])))
            try collection.insert(["_id": 50])
            #expect(try collection.documents().last?["_id"] == 50)
            #expect(collection.cappedUsage?.documents == ids.count)
        }
    }

    @Test func updateDescriptionReportsDottedPathsAndArrays() {
        let old: BSONDocument = ["_id": 1, "a": 1, "b": ["c": 1, "d": 2], "t": [1, 2, 3], "u": [1]]
        let new: BSONDocument = ["_id": 1, "b": ["c": 5, "d": 2], "t": [1, 2], "u": [1, 2], "n": "x"]
        let description = UpdateDescription(from: old, to: new)
        #expect(description.updatedFields == ["b.c": 5, "u.1": 2, "n": "x"])
        #expect(description.removedFields == ["a"])
        #expect(description.truncatedArrays.map(\.field) == ["t"])
        #expect(description.truncatedArrays.map(\.newSize) == [2])
        #expect(UpdateDescription(from: ["a": 1], to: ["a": 1.0]).updatedFields == ["a": 1.0])
        #expect(UpdateDescription(from: old, to: old) == UpdateDescription())
    }

    @Test func operatorUpdatesAreLoggedAsUpdatesWithPreImagesWhenEnabled() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let namespace = try Namespace(database: "db", collection: "images")
            try store.createCollection(namespace, options: ["changeStreamPreAndPostImages": ["enabled": true]])
            let collection = store.collection(namespace)
            try collection.insert(["_id": 1, "v": 1])
            _ = try collection.modify(id: 1, loggedAs: .update) { document in
                var changed = document
                changed["v"] = 2
                return changed
            }
            _ = try collection.applyDeltas(id: 1, [.increment(path: ["v"], by: 1)], writeConcern: .acknowledged)
            try collection.delete(id: 1)
            let entries = try store.changeLog.entries(after: 0).filter { $0.operation != .create }
            #expect(entries.map(\.operation) == [.insert, .update, .update, .delete])
            #expect(entries[1].document?["updatedFields"] == ["v": 2])
            #expect(entries.map(\.preImage) == [nil, ["_id": 1, "v": 1], ["_id": 1, "v": 2], ["_id": 1, "v": 3]])
            let plain = try store.collection("plain", in: "db")
            try plain.insert(["_id": 1])
            try plain.delete(id: 1)
            #expect(try store.changeLog.entries(after: 0).last?.preImage == nil)
        }
    }

    @Test func renameMovesTheCollectionInOneLoggedCommit() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let source = try Namespace(database: "db", collection: "a")
            let target = try Namespace(database: "other", collection: "b")
            try store.collection(source).insert(["_id": 1])
            try store.createIndex(on: source, key: ["x": 1])
            let before = store.changeLog.latestSequence
            try store.renameCollection(source, to: target, dropTarget: false)
            #expect(store.catalog.collection(source) == nil)
            #expect(store.catalog.collection(target)?.indexes.count == 2)
            #expect(try store.collection(target).documents() == [["_id": 1]])
            let entries = try store.changeLog.entries(after: before)
            #expect(entries.map(\.operation) == [.rename])
            #expect(entries.first?.document == ["to": "other.b"])
            #expect(throws: MongoError.self) { try store.renameCollection(source, to: target, dropTarget: false) }
        }
        try withStoreDirectory { path in
            // The rename survives reopen.
            let source = try Namespace(database: "db", collection: "a")
            let target = try Namespace(database: "db", collection: "b")
            do {
                let store = try DocumentStore(path: path)
                try store.collection(source).insert(["_id": 1])
                try store.collection(target).insert(["_id": 2])
                try store.renameCollection(source, to: target, dropTarget: true)
            }
            let store = try DocumentStore(path: path)
            #expect(try store.collection(target).documents() == [["_id": 1]])
            #expect(store.catalog.collection(source) == nil)
        }
    }

    @Test func waitForEntriesWakesOnCommitAndTimesOut() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let latest = store.changeLog.latestSequence
            let timedOut = ContinuousClock.now
            #expect(!store.changeLog.waitForEntries(after: latest, until: .now + .milliseconds(100)))
            #expect(ContinuousClock.now - timedOut >= .milliseconds(90))
            let writer = Thread {
                Thread.sleep(forTimeInterval: 0.1)
                _ = try? store.collection("c", in: "db").insert(["_id": 1])
            }
            writer.start()
            let started = ContinuousClock.now
            #expect(store.changeLog.waitForEntries(after: latest, until: .now + .seconds(10)))
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}
