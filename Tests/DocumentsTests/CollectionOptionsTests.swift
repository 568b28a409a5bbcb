// collMod's DDL in the Documents layer: replaced collection options and changed index
// options survive a reopen, a changed TTL is what the next TTL pass uses, and new capped
// bounds evict on the next insert.

import BSON
import Testing
@testable import Documents

struct CollectionOptionsTests {
    @Test func replacedOptionsAndIndexOptionsSurviveAReopen() throws {
        let namespace = try Namespace(database: "db", collection: "c")
        try withStoreDirectory { path in
            do {
                let store = try DocumentStore(path: path)
                try store.createCollection(namespace)
                try store.createIndex(on: namespace, key: ["a": 1], name: "a_1")
                try store.setCollectionOptions(namespace, options: ["validator": ["a": ["$gt": 0]], "validationLevel": "moderate"])
                let before = try store.setIndexOptions("a_1", on: namespace, changes: ["hidden": true, "prepareUnique": true])
                #expect(before.options.isEmpty)
                #expect(throws: MongoError.self) { try store.setIndexOptions("a_1", on: namespace, changes: ["unique": true]) }
            }
            let reopened = try DocumentStore(path: path)
            let description = try #require(reopened.catalog.collection(namespace))
            #expect(description.options == ["validator": ["a": ["$gt": 0]], "validationLevel": "moderate"])
            #expect(description.indexes.last?.options == ["hidden": true, "prepareUnique": true])
            try reopened.setIndexOptions("a_1", on: namespace, changes: ["hidden": .null])
            #expect(reopened.catalog.collection(namespace)?.indexes.last?.options == ["prepareUnique": true])
        }
    }

    @Test func aChangedTTLIsWhatTheNextPassUses() throws {
        let namespace = try Namespace(database: "db", collection: "c")
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            try store.createIndex(on: namespace, key: ["at": 1], name: "at_ttl", options: ["expireAfterSeconds": 3600])
            let now = BSONDateTime(millisecondsSinceEpoch: 10_000_000)
            let tenMinutesAgo = BSONDateTime(millisecondsSinceEpoch: now.millisecondsSinceEpoch - 600_000)
            try store.collection(namespace).insert(["_id": 1, "at": .datetime(tenMinutesAgo)])
            #expect(try store.removeExpiredDocuments(now: now) == 0)
            try store.setIndexOptions("at_ttl", on: namespace, changes: ["expireAfterSeconds": .int64(60)])
            #expect(try store.removeExpiredDocuments(now: now) == 1)
        }
    }

    @Test func newCappedBoundsEvictOnTheNextInsert() throws {
        let namespace = try Namespace(database: "db", collection: "c")
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            try store.createCollection(namespace, options: ["capped": true, "size": 100_000])
            let collection = store.collection(namespace)
            for id in 1...5 { try collection.insert(["_id": .int32(Int32(id))]) }
            try store.setCollectionOptions(namespace, options: ["capped": true, "size": 100_000, "max": 2])
            try collection.insert(["_id": 6])
            #expect(try collection.count() == 2)
            #expect(collection.cappedLimits?.maximumDocuments == 2)
        }
    }
}
