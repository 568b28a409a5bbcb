// BSONWriter's streaming construction: containers opened and closed by hand, and elements
// whose document bytes another encoder appends in place, give the bytes of the same
// document built as a BSONDocument; an element whose body appends nothing (or throws) is
// taken back whole.

import Testing
@testable import BSON

@Suite struct StreamingWriterTests {
    let inner: BSONDocument = ["_id": "a", "n": .int32(5), "tags": ["x", .double(2.5)], "sub": ["k": .null]]

    struct Refused: Error {}

    @Test func streamedReplyEqualsTheDocumentsBytes() throws {
        let expected: BSONDocument = [
            "cursor": ["firstBatch": [.document(inner), .document(inner)], "id": .int64(0), "ns": "db.c"],
            "ok": .double(1),
        ]
        let innerBytes = try inner.bsonBytes()
        var writer = BSONWriter()
        let reply = writer.beginDocument()
        let cursor = try writer.beginDocument(key: "cursor")
        let batch = try writer.beginArray(key: "firstBatch")
        for index in 0..<2 {
            #expect(writer.appendDocument(index: index) { bytes in
                bytes.append(contentsOf: innerBytes)
                return true
            })
        }
        writer.endContainer(batch)
        try writer.append(key: "id", .int64(0))
        try writer.append(key: "ns", "db.c")
        writer.endContainer(cursor)
        try writer.append(key: "ok", .double(1))
        writer.endContainer(reply)
        #expect(writer.bytes == (try expected.bsonBytes()))
        let decoded = try writer.bytes.withUnsafeBytes { try BSONDocument(bsonBytes: $0) }
        #expect(decoded == expected)
    }

    @Test func anElementWhoseBodyAppendsNothingIsTakenBack() throws {
        var writer = BSONWriter()
        let top = writer.beginDocument()
        let batch = try writer.beginArray(key: "firstBatch")
        let before = writer.bytes
        #expect(!writer.appendDocument(index: 0) { _ in false })
        #expect(writer.bytes == before)
        #expect(throws: Refused.self) {
            try writer.appendDocument(index: 0) { (bytes) throws(Refused) -> Bool in
                bytes.append(contentsOf: [1, 2, 3])
                throw Refused()
            }
        }
        #expect(writer.bytes == before)
        writer.endContainer(batch)
        writer.endContainer(top)
        #expect(writer.bytes == (try (["firstBatch": []] as BSONDocument).bsonBytes()))
    }

    @Test func keysWithNulAreRefused() {
        var writer = BSONWriter()
        _ = writer.beginDocument()
        #expect(throws: BSONError.self) { _ = try writer.beginDocument(key: "a\u{0}b") }
        #expect(throws: BSONError.self) { _ = try writer.beginArray(key: "a\u{0}b") }
        #expect(throws: BSONError.self) { try writer.append(key: "a\u{0}b", .int32(1)) }
    }
}
