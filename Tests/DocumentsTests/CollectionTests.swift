// Document operations on a collection: _id generation and placement, duplicate keys, lookups
// by MongoDB equality, replace, delete, _id-ordered scans, counts, and disk space released
// when a collection is dropped.

import BSON
import Storage
import Testing
@testable import Documents

struct CollectionTests {
    @Test func insertGeneratesAnObjectIdFirstWhenMissing() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            let id = try collection.insert(["a": 1, "b": "two"])
            guard case .objectId = id else {
                Issue.record("generated _id is \(id)")
                return
            }
            let stored = try #require(try collection.document(withID: id))
            #expect(stored.keys == ["_id", "a", "b"])
            #expect(stored["_id"] == id)
        }
    }

    @Test func insertMovesAGivenIdToTheFront() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["a": 1, "_id": 7, "b": 2])
            #expect(try collection.document(withID: 7) == ["_id": 7, "a": 1, "b": 2])
        }
    }

    @Test func duplicateIdIsRejectedWithCode11000() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 1, "v": "first"])
            do {
                // 1.0 equals 1 for MongoDB, so it is the same _id.
                try collection.insert(["_id": .double(1.0), "v": "second"])
                Issue.record("duplicate _id accepted")
            } catch let error as MongoError {
                #expect(error.code.rawValue == 11000)
                #expect(error.code.name == "DuplicateKey")
                #expect(error.message.contains("db.c"))
            }
            #expect(try collection.document(withID: 1)?["v"] == "first")
            #expect(try collection.count() == 1)
        }
    }

    @Test func invalidIdTypesAreRejected() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            for id: BSONValue in [[1, 2], .regex(BSONRegex(pattern: "a")), .undefined] {
                do {
                    try collection.insert(["_id": id])
                    Issue.record("_id \(id) accepted")
                } catch let error as MongoError {
                    #expect(error.code == .invalidIdField)
                }
            }
        }
    }

    @Test func lookupUsesMongoDBEqualityAcrossNumericTypes() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": .int64(42), "x": 1])
            #expect(try collection.document(withID: .int32(42)) != nil)
            #expect(try collection.document(withID: .double(42)) != nil)
            #expect(try collection.document(withID: .decimal128(Decimal128("42.0") ?? Decimal128(0 as Int64))) != nil)
            #expect(try collection.document(withID: .string("42")) == nil)
            #expect(try store.collection("missing", in: "db").document(withID: 42) == nil)
        }
    }

    @Test func replaceAndDeleteReportWhetherADocumentMatched() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": "k", "v": 1])
            #expect(try collection.replace(id: "k", with: ["v": 2, "w": true]))
            #expect(try collection.document(withID: "k") == ["_id": "k", "v": 2, "w": true])
            #expect(try !collection.replace(id: "nope", with: ["v": 3]))
            do {
                try collection.replace(id: "k", with: ["_id": "other"])
                Issue.record("changing _id accepted")
            } catch let error as MongoError {
                #expect(error.code == .immutableField)
            }
            #expect(try collection.delete(id: "k"))
            #expect(try !collection.delete(id: "k"))
            #expect(try collection.document(withID: "k") == nil)
            #expect(try collection.count() == 0)
        }
    }

    @Test func scanReturnsDocumentsInIdOrder() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            var random = KeyOrderRandom(seed: 9)
            var ids: [BSONValue] = []
            while ids.count < 300 {
                let candidate: BSONValue
                switch Int.random(in: 0 ..< 4, using: &random) {
                case 0: candidate = .int32(Int32.random(in: -1000 ... 1000, using: &random))
                case 1: candidate = .double(Double.random(in: -1000 ... 1000, using: &random))
                case 2: candidate = .string(String(Int.random(in: 0 ... 100_000, using: &random)))
                default: candidate = .objectId(ObjectId())
                }
                if ids.contains(where: { BSONValue.compare($0, candidate) == 0 }) { continue }
                ids.append(candidate)
                try collection.insert(["_id": candidate, "i": .int32(Int32(ids.count))])
            }
            let scanned = try collection.documents().compactMap { $0["_id"] }
            let expected = ids.sorted { BSONValue.compare($0, $1) < 0 }
            #expect(scanned == expected)
            #expect(try collection.count() == 300)
            #expect(try collection.documents(limit: 5).count == 5)
        }
    }

    @Test func insertManyIsAllOrNothing() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 3])
            #expect(throws: MongoError.self) {
                try collection.insert(contentsOf: [["_id": 1], ["_id": 2], ["_id": 3]])
            }
            #expect(throws: MongoError.self) {
                try collection.insert(contentsOf: [["_id": 10], ["_id": .int64(10)]])
            }
            #expect(try collection.count() == 1)
            try collection.insert(contentsOf: [["_id": 1], ["_id": 2]])
            #expect(try collection.documents().map { $0["_id"] } == [1, 2, 3])
        }
    }

    @Test func droppingACollectionReleasesItsDiskSpace() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.changeLogRetention = ChangeLogRetention(maximumEntries: 1, trimInterval: nil)
            let store = try DocumentStore(path: path, options: options)
            let namespace = try Namespace(database: "db", collection: "big")
            let collection = store.collection(namespace)
            var random = KeyOrderRandom(seed: 1)
            var batch: [BSONDocument] = []
            for index in 0 ..< 20_000 {
                let noise = (0 ..< 8).map { _ in String(random.next(), radix: 36) }.joined()
                batch.append(["i": .int32(Int32(index)), "payload": .string(noise)])
                if batch.count == 1000 {
                    try collection.insert(contentsOf: batch)
                    batch.removeAll()
                }
            }
            // Let the change log forget the inserts, then settle everything into SST files.
            try store.changeLog.trim()
            try store.rocksDB.flush()
            try store.rocksDB.compactRange(in: store.changeLog.keySpace)
            // Scoped: holding the key space handle would keep its files alive after the drop.
            let collectionBytes = try store.catalog.openCollection(namespace).map { try store.rocksDB.sstFilesSize(of: $0.keySpace) }
                ?? 0
            #expect(collectionBytes > 1_000_000)
            let before = try store.diskUsage()
            try store.dropCollection(namespace)
            // Any write makes RocksDB look for obsolete files.
            try store.collection("small", in: "db").insert(["x": 1], writeConcern: .journaled)
            try store.rocksDB.flush()
            let after = try store.diskUsage()
            #expect(after + collectionBytes / 2 < before, "before \(before), after \(after), collection \(collectionBytes)")
            #expect(try collection.count() == 0)
        }
    }
}
