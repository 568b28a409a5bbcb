// Reading a document by `_id` straight to BSON bytes (the server's point-find reply path):
// the bytes appended after what the buffer already held are exactly the stored document's
// BSON, found by MongoDB's `_id` equality; misses and missing collections append nothing.

import BSON
import Testing
@testable import Documents

struct WireReadTests {
    @Test func appendsTheStoredDocumentsBSONAfterThePrefix() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            let documents: [BSONDocument] = [
                ["_id": "user1", "field0": .string(String(repeating: "v", count: 100)), "n": .int64(1 << 40)],
                ["_id": .double(5), "nested": ["a": [1, "two", ["b": .null]]], "when": .datetime(BSONDateTime(millisecondsSinceEpoch: 1))],
                ["_id": .objectId(ObjectId()), "bin": .binary(BSONBinary(subtype: .generic, bytes: [0, 1, 2])),
                 "dec": .decimal128(Decimal128(high: 0x3040_0000_0000_0000, low: 1)), "re": .regex(BSONRegex(pattern: "a.c", options: "i"))],
            ]
            for document in documents { try collection.insert(document) }
            let prefix: [UInt8] = [9, 8, 7]
            let ids: [BSONValue] = [.string("user1"), .int32(5), documents[2]["_id"] ?? .null]
            for (document, id) in zip(documents, ids) {
                var out = prefix
                #expect(try collection.appendBSON(ofDocumentWithID: id, to: &out) == .appended)
                #expect(Array(out.prefix(3)) == prefix)
                let stored = try #require(try collection.document(withID: id))
                #expect(Array(out.dropFirst(3)) == (try stored.bsonBytes()))
                let decoded = try Array(out.dropFirst(3)).withUnsafeBytes { try BSONDocument(bsonBytes: $0) }
                #expect(decoded == document)
            }
        }
    }

    @Test func missesAndMissingCollectionsAppendNothing() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 1, "a": 1])
            var out: [UInt8] = [1, 2]
            #expect(try collection.appendBSON(ofDocumentWithID: 2, to: &out) == .notFound)
            #expect(try store.collection("absent", in: "db").appendBSON(ofDocumentWithID: 1, to: &out) == .noCollection)
            #expect(out == [1, 2])
        }
    }
}
