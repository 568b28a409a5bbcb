// Opening data directories and the catalog: creation, refusal of foreign or newer directories
// without touching them, and databases, collections, indexes and shapes surviving a reopen.

import BSON
import Foundation
import Storage
import Testing
@testable import Documents

struct CatalogTests {
    @Test func opensAMissingDirectoryByCreatingAStore() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            #expect(FileManager.default.fileExists(atPath: path + "/TESSERA"))
            #expect(store.catalog.databaseNames.isEmpty)
            #expect(store.changeLog.latestSequence == 0)
        }
    }

    @Test func opensAnEmptyDirectoryByCreatingAStore() throws {
        try withStoreDirectory { path in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            _ = try DocumentStore(path: path)
            #expect(FileManager.default.fileExists(atPath: path + "/TESSERA"))
        }
    }

    @Test func refusesANonEmptyDirectoryWithoutChangingIt() throws {
        try withStoreDirectory { path in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Data("precious".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
            let before = try directorySnapshot(path)
            #expect {
                _ = try DocumentStore(path: path)
            } throws: { error in
                guard case .notATesseraStore? = error as? StoreOpenError else { return false }
                return true
            }
            #expect(try directorySnapshot(path) == before)
        }
    }

    @Test func refusesAnotherRocksDBDatabaseWithoutChangingIt() throws {
        try withStoreDirectory { path in
            do {
                let other = try RocksDBStore(path: path)
                try other.put(Array("k".utf8), Array("v".utf8), in: other.defaultKeySpace, durability: .journaled)
            }
            let before = try directorySnapshot(path)
            #expect(!before.isEmpty)
            #expect {
                _ = try DocumentStore(path: path)
            } throws: { error in
                guard case let .notATesseraStore(_, reason)? = error as? StoreOpenError else { return false }
                return reason.contains("RocksDB")
            }
            #expect(try directorySnapshot(path) == before)
        }
    }

    @Test func refusesANewerFormatWithoutChangingIt() throws {
        try withStoreDirectory { path in
            do {
                let store = try DocumentStore(path: path)
                try store.collection("c", in: "db").insert(["x": 1])
            }
            try Data("tessera data directory\nformat 99\n".utf8).write(to: URL(fileURLWithPath: path + "/TESSERA"))
            let before = try directorySnapshot(path)
            #expect {
                _ = try DocumentStore(path: path)
            } throws: { error in
                guard case let .newerFormat(_, found, supported)? = error as? StoreOpenError else { return false }
                return found == 99 && supported == DocumentStore.formatVersion
            }
            #expect(try directorySnapshot(path) == before)
        }
    }

    @Test func refusesAPlainFile() throws {
        try withStoreDirectory { path in
            try Data("x".utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: StoreOpenError.self) { _ = try DocumentStore(path: path) }
        }
    }

    @Test func catalogShapesAndDocumentsSurviveReopen() throws {
        try withStoreDirectory { path in
            let shop = try Namespace(database: "shop", collection: "orders")
            let logs = try Namespace(database: "ops", collection: "logs")
            var ids: [BSONValue] = []
            do {
                let store = try DocumentStore(path: path)
                try store.createCollection(shop, options: ["validator": ["a": 1]])
                try store.createIndex(on: shop, key: ["customer": 1, "date": -1], options: ["unique": true])
                for index in 0 ..< 50 {
                    // The unique index makes each document need its own customer.
                    let document: BSONDocument = ["n": .int32(Int32(index)), "tags": ["a", "b"], "nested": ["x": .double(1.5)],
                                                  "customer": .int32(Int32(index))]
                    ids.append(try store.collection(shop).insert(document))
                }
                try store.collection(logs).insert(["_id": "first", "level": "info"], writeConcern: .journaled)
                #expect(store.shapes.idCount > 1)
            }
            let store = try DocumentStore(path: path)
            #expect(store.catalog.databaseNames == ["ops", "shop"])
            let orders = try #require(store.catalog.collection(shop))
            #expect(orders.options == ["validator": ["a": 1]])
            #expect(orders.indexes.map(\.name) == ["_id_", "customer_1_date_-1"])
            #expect(orders.indexes.last?.options == ["unique": true])
            #expect(try store.collection(shop).count() == 50)
            let first = try #require(try store.collection(shop).document(withID: ids[0]))
            #expect(first == ["_id": ids[0], "n": 0, "tags": ["a", "b"], "nested": ["x": .double(1.5)], "customer": 0])
            #expect(try store.collection(logs).document(withID: "first") == ["_id": "first", "level": "info"])
            // New writes after reopen reuse the restored shapes and keep numbering.
            let before = store.changeLog.latestSequence
            try store.collection(shop).insert(["n": 99, "tags": [], "nested": ["x": 2.5]])
            #expect(store.changeLog.latestSequence == before + 1)
        }
    }

    @Test func collectionAndIndexDDLFollowMongoDBErrors() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let namespace = try Namespace(database: "db", collection: "c")
            try store.createCollection(namespace)
            #expect(throws: MongoError.self) { try store.createCollection(namespace) }
            do {
                try store.createCollection(namespace)
            } catch let error as MongoError {
                #expect(error.code == .namespaceExists)
            }
            let missing = try Namespace(database: "db", collection: "missing")
            do {
                try store.dropCollection(missing)
                Issue.record("dropping a missing collection succeeded")
            } catch let error as MongoError {
                #expect(error.code.rawValue == 26 && error.code.name == "NamespaceNotFound")
            }
            try store.createIndex(on: namespace, key: ["a": 1])
            try store.createIndex(on: namespace, key: ["a": 1])  // identical: no-op
            do {
                try store.createIndex(on: namespace, key: ["b": 1], name: "a_1")
                Issue.record("conflicting index accepted")
            } catch let error as MongoError {
                #expect(error.code == .indexKeySpecsConflict)
            }
            do {
                try store.dropIndex("nope", on: namespace)
                Issue.record("dropping a missing index succeeded")
            } catch let error as MongoError {
                #expect(error.code == .indexNotFound)
            }
            try store.dropIndex("a_1", on: namespace)
            #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_"])
            #expect(throws: MongoError.self) { _ = try Namespace(database: "bad.name", collection: "c") }
            #expect(throws: MongoError.self) { _ = try Namespace(database: "db", collection: "") }
            #expect(try store.dropDatabase("db"))
            #expect(store.catalog.databaseNames.isEmpty)
            #expect(try !store.dropDatabase("db"))
        }
    }

    @Test func droppedCollectionsStayDroppedAfterReopen() throws {
        try withStoreDirectory { path in
            let namespace = try Namespace(database: "db", collection: "gone")
            do {
                let store = try DocumentStore(path: path)
                try store.collection(namespace).insert(["a": 1])
                try store.dropCollection(namespace)
            }
            let store = try DocumentStore(path: path)
            #expect(store.catalog.collection(namespace) == nil)
            #expect(try !store.storage.keySpaceNames.contains { $0.hasPrefix("c.") })
            try store.collection(namespace).insert(["a": 2])
            #expect(try store.collection(namespace).count() == 1)
        }
    }
}
