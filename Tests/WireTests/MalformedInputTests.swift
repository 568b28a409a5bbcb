// Every kind of malformed input the decoder must reject, each with the WireError (and so
// MongoDB's code) it must produce, and whether the stream is still in step afterwards.

import BSON
import NIOCore
import Testing
@testable import Wire

@Suite struct MalformedInputTests {
    let ping = bson(["ping": .int32(1), "$db": "admin"])

    @Test func lengthBelowTheHeaderIsUnframeable() {
        for length: Int32 in [0, 15, -1, Int32.min] {
            let header = MessageHeader(messageLength: length, requestID: 1, responseTo: 0, opCode: .msg)
            #expect(header.framing == .unframeable(.messageLengthTooSmall(length)))
        }
        #expect(WireError.messageLengthTooSmall(3).isStreamInSync == false)
        #expect(WireError.messageLengthTooSmall(3).code == 17)
        #expect(WireError.messageLengthTooSmall(3).codeName == "ProtocolError")
    }

    @Test func oversizedMessageIsSkippedNotFatal() {
        let header = MessageHeader(messageLength: 48_000_001, requestID: 1, responseTo: 0, opCode: .msg)
        #expect(header.framing == .discard(.messageTooLarge(length: 48_000_001)))
        #expect(WireError.messageTooLarge(length: 48_000_001).isStreamInSync)
        let atLimit = MessageHeader(messageLength: 48_000_000, requestID: 1, responseTo: 0, opCode: .msg)
        #expect(atLimit.framing == .message)
        #expect(decodeError(le32(48_000_001) + le32(1) + le32(0) + le32(2013)) == .messageTooLarge(length: 48_000_001))
    }

    @Test func garbageLengthIsUnframeable() {
        // "GET / HTTP/1.1" read as a header: length 0x20544547, opcode garbage.
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let header = MessageHeader.decode(from: &buffer)
        #expect(header?.framing == .unframeable(.messageLengthInvalid(0x2054_4547)))
        // A plausible opcode but a length far past any real message.
        let huge = MessageHeader(messageLength: Int32.max, requestID: 1, responseTo: 0, opCode: .msg)
        #expect(huge.framing == .unframeable(.messageLengthInvalid(Int32.max)))
    }

    @Test func unknownAndRemovedOpcodesAreRejectedInStep() {
        for opCode: Int32 in [9999, 2002, 2005, 2010, 0] {
            let error = decodeError(frame(opCode: opCode, body: [1, 2, 3, 4]))
            #expect(error == .unsupportedOpCode(opCode))
            #expect(error?.isStreamInSync == true)
        }
        #expect(WireError.unsupportedOpCode(2002).description.hasPrefix("OP_INSERT"))
    }

    @Test func truncatedBSONIsRejected() {
        // The body states 40 bytes but the message holds only the first 10.
        let body = le32u(0) + [0] + le32(40) + [0x10, 0x61, 0, 1, 0, 0]
        #expect(decodeError(frame(opCode: 2013, body: body)) == .truncated(field: "OP_MSG body"))
    }

    @Test func invalidBSONIsRejected() {
        // {a: <type 0x42>}: an element type that does not exist.
        let document: [UInt8] = le32(12) + [0x42, 0x61, 0, 1, 0, 0, 0, 0]
        let error = decodeError(frame(opCode: 2013, body: le32u(0) + [0] + document))
        guard case .invalidBSON = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.code == 22)
        #expect(error?.codeName == "InvalidBSON")
    }

    @Test func badChecksumIsRejected() throws {
        var bytes = try encoded(.msg(OpMsg(flags: [.checksumPresent], body: ["ping": .int32(1), "$db": "admin"])))
        bytes[bytes.count - 1] ^= 0x01
        let error = decodeError(bytes)
        guard case .checksumMismatch = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.code == 288)
        #expect(error?.codeName == "ChecksumMismatch")
        // A flipped body byte is caught too.
        var flipped = try encoded(.msg(OpMsg(flags: [.checksumPresent], body: ["ping": .int32(1), "$db": "admin"])))
        flipped[25] ^= 0x20
        guard case .checksumMismatch = decodeError(flipped) else { Issue.record("flipped byte accepted"); return }
    }

    @Test func missingBodyIsRejected() {
        let payload = cstring("documents") + bson(["a": .int32(1)])
        let sequence = [1] + le32(Int32(4 + payload.count)) + payload
        let error = decodeError(frame(opCode: 2013, body: le32u(0) + sequence))
        #expect(error == .missingBody)
        #expect(error?.code == 40587)
        #expect(decodeError(frame(opCode: 2013, body: le32u(0))) == .missingBody)
    }

    @Test func twoBodiesAreRejected() {
        let error = decodeError(frame(opCode: 2013, body: le32u(0) + [0] + ping + [0] + ping))
        #expect(error == .multipleBodies)
        #expect(error?.code == 40430)
    }

    @Test func unknownSectionKindIsRejected() {
        #expect(decodeError(frame(opCode: 2013, body: le32u(0) + [0] + ping + [2] + ping)) == .unknownSectionKind(2))
    }

    @Test func duplicateSequencesAndFieldsAreRejected() throws {
        let payload = cstring("documents") + bson(["a": .int32(1)])
        let sequence = [1] + le32(Int32(4 + payload.count)) + payload
        let twice = frame(opCode: 2013, body: le32u(0) + sequence + sequence + [0] + ping)
        #expect(decodeError(twice) == .duplicateDocumentSequence("documents"))
        let clash = OpMsg(sections: [.body(["insert": "c", "documents": []]),
                                     .documentSequence(identifier: "documents", documents: [])])
        #expect(throws: WireError.duplicateField("documents")) { try clash.commandBody() }
    }

    @Test func sequenceLengthPastTheMessageIsRejected() {
        let body = le32u(0) + [0] + ping + [1] + le32(1000) + cstring("documents")
        #expect(decodeError(frame(opCode: 2013, body: body)) == .invalidSectionLength(1000))
        #expect(decodeError(frame(opCode: 2013, body: le32u(0) + [0] + ping + [1] + le32(3))) == .invalidSectionLength(3))
    }

    @Test func unknownRequiredFlagBitIsRejected() {
        for bit in [2, 3, 8, 15] {
            let flags = UInt32(1) << UInt32(bit)
            let error = decodeError(frame(opCode: 2013, body: le32u(flags) + [0] + ping))
            #expect(error == .illegalFlags(flags))
            #expect(error?.code == 223)
            #expect(error?.codeName == "IllegalOpMsgFlag")
        }
    }

    @Test func oversizedDocumentIsRejectedBeforeDecoding() {
        // Only the length prefix is sent: the limit is checked before the bytes are needed.
        // Sequence documents get the command's 16 KiB allowance: one byte more is refused.
        let tooBig: Int32 = 16_793_601
        var sequence: [UInt8] = [1] + le32(Int32(4 + 10 + 8))
        sequence += cstring("documents") + le32(tooBig)
        sequence += [0, 0, 0, 0]
        var body: [UInt8] = le32u(0) + [0]
        body += ping + sequence
        let error = decodeError(frame(opCode: 2013, body: body))
        #expect(error == .documentTooLarge(size: Int(tooBig), limit: maximumCommandBodySize))
        #expect(error?.code == 10334)
        #expect(error?.codeName == "BSONObjectTooLarge")
        let bodyTooBig: Int32 = 16_793_601
        let oversizedBody: [UInt8] = le32u(0) + [0] + le32(bodyTooBig)
        let bodyError = decodeError(frame(opCode: 2013, body: oversizedBody))
        #expect(bodyError == .documentTooLarge(size: Int(bodyTooBig), limit: maximumCommandBodySize))
    }

    @Test func opQueryAndOpReplyWithLeftoverBytesAreRejected() {
        let query = le32(0) + cstring("admin.$cmd") + le32(0) + le32(-1) + ping + ping + [9]
        #expect(decodeError(frame(opCode: 2004, body: query)) == .trailingBytes(count: 1))
        let reply = le32(0) + le64(0) + le32(0) + le32(1) + ping + [9, 9]
        #expect(decodeError(frame(opCode: 1, body: reply)) == .trailingBytes(count: 2))
        let missing = le32(0) + le64(0) + le32(0) + le32(2) + ping
        #expect(decodeError(frame(opCode: 1, body: missing)) == .truncated(field: "OP_REPLY documents"))
        let unterminated = le32(0) + Array("admin.$cmd".utf8)
        #expect(decodeError(frame(opCode: 2004, body: unterminated)) == .invalidCString(field: "OP_QUERY fullCollectionName"))
    }

    @Test func malformedCompressedMessagesAreRejected() throws {
        let inner = le32u(0) + [0] + ping
        #expect(decodeError(frame(opCode: 2012, body: le32(2013) + le32(Int32(inner.count)) + [7] + inner))
            == .unknownCompressor(7))
        #expect(decodeError(frame(opCode: 2012, body: le32(2013) + le32(48_000_000) + [0] + inner))
            == .invalidUncompressedSize(48_000_000))
        #expect(decodeError(frame(opCode: 2012, body: le32(2013) + le32(-5) + [0] + inner)) == .invalidUncompressedSize(-5))
        #expect(decodeError(frame(opCode: 2012, body: le32(2012) + le32(Int32(inner.count)) + [0] + inner))
            == .invalidCompressedOpCode(2012))
        let wrongSize = decodeError(frame(opCode: 2012, body: le32(2013) + le32(Int32(inner.count + 1)) + [0] + inner))
        guard case .decompressionFailed = wrongSize else { Issue.record("got \(String(describing: wrongSize))"); return }
        let garbage = decodeError(frame(opCode: 2012, body: le32(2013) + le32(100) + [1] + [0xFF, 0xFF, 0xFF, 0xFF]))
        guard case .decompressionFailed = garbage else { Issue.record("got \(String(describing: garbage))"); return }
        // A compressed wrapper around a removed opcode reports that opcode.
        #expect(decodeError(frame(opCode: 2012, body: le32(2002) + le32(4) + [0] + [1, 2, 3, 4])) == .unsupportedOpCode(2002))
    }

    @Test func everyErrorButLostFramingKeepsTheStreamInStep() {
        let inStep: [WireError] = [
            .messageTooLarge(length: 1), .unsupportedOpCode(1), .truncated(field: "x"), .missingBody,
            .checksumMismatch(expected: 1, actual: 2), .illegalFlags(4), .documentTooLarge(size: 1, limit: 0),
        ]
        #expect(inStep.allSatisfy { $0.isStreamInSync })
        let lost: [WireError] = [.messageLengthTooSmall(1), .messageLengthInvalid(1), .truncatedHeader(available: 3)]
        #expect(lost.allSatisfy { !$0.isStreamInSync })
        #expect(WireError.missingDatabase.code == 40571)
        #expect(WireError.missingDatabase.codeName == "Location40571")
        #expect(WireError.missingDatabase.description == "OP_MSG requests require a $db argument")
    }
}
