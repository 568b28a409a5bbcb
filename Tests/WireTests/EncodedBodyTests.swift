// OP_MSG replies whose body is already BSON bytes (the point-find lane's): the bytes on the
// wire equal those of the same reply encoded from a BSONDocument, plain, with a CRC-32C
// trailer and under each compressor, and they decode back to the document.

import BSON
import NIOCore
import Testing
@testable import Wire

@Suite struct EncodedBodyTests {
    let reply: BSONDocument = [
        "cursor": ["firstBatch": [["_id": "user1", "field0": .string(String(repeating: "x", count: 100))]],
                   "id": .int64(0), "ns": "ycsb.usertable"],
        "ok": .double(1),
    ]

    func encodedFromDocument(flags: OpMsg.Flags, compressor: Compressor?) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try WireMessage.msg(OpMsg(flags: flags, body: reply))
            .encode(requestID: 7, responseTo: 3, compressor: compressor, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    func encodedFromBytes(flags: OpMsg.Flags, compressor: Compressor?) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try WireMessage.encodeMsg(flags: flags, body: try reply.bsonBytes(), requestID: 7, responseTo: 3,
                                  compressor: compressor, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test(arguments: [OpMsg.Flags(), .checksumPresent])
    func plainBytesEqualTheDocumentPath(_ flags: OpMsg.Flags) throws {
        let bytes = try encodedFromBytes(flags: flags, compressor: nil)
        #expect(bytes == (try encodedFromDocument(flags: flags, compressor: nil)))
        var buffer = ByteBuffer(bytes: bytes)
        let decoded = try #require(try WireMessage.decode(from: &buffer))
        #expect(decoded.message == .msg(OpMsg(flags: flags, body: reply)))
        #expect(decoded.header.requestID == 7 && decoded.header.responseTo == 3)
    }

    @Test(arguments: Compressor.allCases)
    func compressedBytesDecodeToTheReply(_ compressor: Compressor) throws {
        for flags in [OpMsg.Flags(), .checksumPresent] {
            let bytes = try encodedFromBytes(flags: flags, compressor: compressor)
            #expect(bytes == (try encodedFromDocument(flags: flags, compressor: compressor)))
            var buffer = ByteBuffer(bytes: bytes)
            let decoded = try #require(try WireMessage.decode(from: &buffer))
            #expect(decoded.compressor == compressor)
            #expect(decoded.message == .msg(OpMsg(flags: flags, body: reply)))
        }
    }
}
