// Round trips of every message kind through encode and decode, checked against
// hand-assembled bytes where the layout matters (header, sections, OP_QUERY, OP_REPLY).

import BSON
import NIOCore
import Testing
@testable import Wire

@Suite struct MessageRoundTripTests {
    let ping: BSONDocument = ["ping": .int32(1), "$db": "admin"]

    @Test func headerIsFourLittleEndianInt32s() {
        var buffer = ByteBuffer()
        MessageHeader(messageLength: 0x0102_0304, requestID: 5, responseTo: -1, opCode: .msg).encode(into: &buffer)
        #expect(Array(buffer.readableBytesView) == [4, 3, 2, 1, 5, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xDD, 0x07, 0, 0])
        let header = MessageHeader.decode(from: &buffer)
        #expect(header == MessageHeader(messageLength: 0x0102_0304, requestID: 5, responseTo: -1, opCode: 2013))
        #expect(buffer.readableBytes == 0)
    }

    @Test func headerNeedsSixteenBytes() {
        var buffer = ByteBuffer(bytes: [UInt8](repeating: 0, count: 15))
        #expect(MessageHeader.decode(from: &buffer) == nil)
        #expect(buffer.readableBytes == 15)
    }

    @Test func opMsgBodyOnlyMatchesTheSpecLayout() throws {
        let expected = frame(requestID: 9, responseTo: 3, opCode: 2013, body: le32u(0) + [0] + bson(ping))
        let bytes = try encoded(.msg(OpMsg(body: ping)), requestID: 9, responseTo: 3)
        #expect(bytes == expected)
        let decoded = try #require(try decodeFrame(expected))
        #expect(decoded.message == .msg(OpMsg(body: ping)))
        #expect(decoded.header.requestID == 9 && decoded.header.responseTo == 3)
        #expect(decoded.compressor == nil)
    }

    @Test func opMsgSequenceBeforeBodyDecodesInWireOrder() throws {
        let docs: [BSONDocument] = [["_id": .int32(1)], ["_id": .int32(2)]]
        let payload = cstring("documents") + docs.flatMap(bson)
        let sequence = [1] + le32(Int32(4 + payload.count)) + payload
        let insert: BSONDocument = ["insert": "c", "$db": "test"]
        let bytes = frame(opCode: 2013, body: le32u(0) + sequence + [0] + bson(insert))
        let decoded = try #require(try decodeFrame(bytes))
        let expected = OpMsg(sections: [.documentSequence(identifier: "documents", documents: docs), .body(insert)])
        #expect(decoded.message == .msg(expected))
        #expect(try encoded(.msg(expected)) == bytes)
    }

    @Test func opMsgBodyBeforeSequencesRoundTrips() throws {
        let message = OpMsg(flags: [.moreToCome], sections: [
            .body(["update": "c", "$db": "test"]),
            .documentSequence(identifier: "updates", documents: [["q": [:], "u": ["$set": ["a": .int32(1)]]]]),
            .documentSequence(identifier: "empty", documents: []),
        ])
        let decoded = try #require(try decodeFrame(try encoded(.msg(message))))
        #expect(decoded.message == .msg(message))
    }

    @Test func commandBodyAppendsSequencesAsArrays() throws {
        let message = OpMsg(sections: [
            .documentSequence(identifier: "documents", documents: [["a": .int32(1)], ["a": .int32(2)]]),
            .body(["insert": "c", "$db": "test"]),
        ])
        let body = try message.commandBody()
        #expect(body == ["insert": "c", "$db": "test", "documents": [["a": .int32(1)], ["a": .int32(2)]]])
    }

    @Test func checksumTrailerIsWrittenAndVerified() throws {
        let message = OpMsg(flags: [.checksumPresent], body: ping)
        let bytes = try encoded(.msg(message))
        let covered = Array(bytes.dropLast(4))
        #expect(Array(bytes.suffix(4)) == le32u(CRC32C.checksum(covered)))
        #expect(covered.count == 16 + 4 + 1 + bson(ping).count)
        let decoded = try #require(try decodeFrame(bytes))
        #expect(decoded.message == .msg(message))
    }

    @Test func unknownOptionalFlagBitsAreAccepted() throws {
        let bytes = frame(opCode: 2013, body: le32u(1 << 20 | 1 << 16) + [0] + bson(ping))
        let decoded = try #require(try decodeFrame(bytes))
        guard case let .msg(message) = decoded.message else { Issue.record("not OP_MSG"); return }
        #expect(message.flags.contains(.exhaustAllowed))
        #expect(message.body == ping)
    }

    @Test func opQueryMatchesTheLegacyLayout() throws {
        let hello: BSONDocument = ["isMaster": .int32(1), "helloOk": true]
        let selector: BSONDocument = ["ok": .int32(1)]
        let body = le32(4) + cstring("admin.$cmd") + le32(0) + le32(-1) + bson(hello) + bson(selector)
        let bytes = frame(opCode: 2004, body: body)
        let query = OpQuery(flags: .secondaryOK, fullCollectionName: "admin.$cmd", numberToSkip: 0,
                            numberToReturn: -1, query: hello, returnFieldsSelector: selector)
        #expect(try encoded(.query(query)) == bytes)
        #expect(try decodeFrame(bytes)?.message == .query(query))
        #expect(query.commandDatabase == "admin")
        var plain = query
        plain.returnFieldsSelector = nil
        plain.fullCollectionName = "test.users"
        #expect(try decodeFrame(try encoded(.query(plain)))?.message == .query(plain))
        #expect(plain.commandDatabase == nil)
    }

    @Test func opReplyMatchesTheLegacyLayout() throws {
        let docs: [BSONDocument] = [["ok": .double(1)], ["n": .int32(2)]]
        let body = le32(8) + le64(42) + le32(3) + le32(2) + docs.flatMap(bson)
        let bytes = frame(requestID: 1, responseTo: 7, opCode: 1, body: body)
        let reply = OpReply(responseFlags: .awaitCapable, cursorID: 42, startingFrom: 3, documents: docs)
        #expect(try encoded(.reply(reply), requestID: 1, responseTo: 7) == bytes)
        #expect(try decodeFrame(bytes)?.message == .reply(reply))
    }

    @Test(arguments: Compressor.allCases)
    func everyMessageKindRoundTripsCompressed(_ compressor: Compressor) throws {
        let big = BSONDocument([("text", .string(String(repeating: "tessera ", count: 2000)))])
        let messages: [WireMessage] = [
            .msg(OpMsg(sections: [.body(ping), .documentSequence(identifier: "documents", documents: [big, big])])),
            .msg(OpMsg(flags: [.checksumPresent], body: big)),
            .query(OpQuery(fullCollectionName: "admin.$cmd", query: ["hello": .int32(1)])),
            .reply(OpReply(documents: [big])),
        ]
        for message in messages {
            let bytes = try encoded(message, requestID: 11, responseTo: 4, compressor: compressor)
            #expect(bytes[12..<16].elementsEqual(le32(2012)))
            #expect(bytes[16..<20].elementsEqual(le32(message.opCode.rawValue)))
            #expect(bytes[24] == compressor.rawValue)
            let decoded = try #require(try decodeFrame(bytes))
            #expect(decoded.message == message)
            #expect(decoded.compressor == compressor)
            #expect(decoded.header.requestID == 11 && decoded.header.responseTo == 4)
            if compressor != .noop { #expect(bytes.count < 2000) }
        }
    }

    @Test func decodeWaitsForTheWholeFrame() throws {
        let bytes = try encoded(.msg(OpMsg(body: ping)))
        var buffer = ByteBuffer(bytes: bytes.dropLast())
        #expect(try WireMessage.decode(from: &buffer) == nil)
        #expect(buffer.readableBytes == bytes.count - 1)
    }
}
