// MessageFramer: messages split at any byte boundary come out whole and in order, an
// oversized message is skipped in step without being buffered, an untrustworthy length stops
// the stream, and leftover bytes at the end are reported. Frames are hand-assembled
// (WireTestSupport), so expectations follow from the protocol's layout.

import NIOCore
import Testing
@testable import Wire

@Suite struct MessageFramerTests {
    /// Appends `bytes` to `buffer` and takes out every frame the framer then has.
    func feed(_ bytes: some Sequence<UInt8>, to framer: inout MessageFramer, buffer: inout ByteBuffer) -> [InboundFrame] {
        buffer.writeBytes(Array(bytes))
        var frames: [InboundFrame] = []
        while let frame = framer.nextFrame(from: &buffer) { frames.append(frame) }
        return frames
    }

    @Test func messagesFedOneByteAtATimeComeOutWholeAndInOrder() {
        let first = frame(requestID: 7, opCode: 2013, body: le32u(0) + [0] + bson(["ping": .int32(1), "$db": "admin"]))
        let second = frame(requestID: 8, opCode: 2013, body: le32u(0) + [0] + bson(["hello": .int32(1), "$db": "admin"]))
        let stream = first + second
        var framer = MessageFramer()
        var buffer = ByteBuffer()
        var frames: [InboundFrame] = []
        var boundaries: [Int] = []
        for (index, byte) in stream.enumerated() {
            frames += feed([byte], to: &framer, buffer: &buffer)
            if !framer.isInsideMessage(buffer) { boundaries.append(index + 1) }
        }
        #expect(boundaries == [first.count, stream.count])
        #expect(frames == [
            .message(MessageHeader(messageLength: Int32(first.count), requestID: 7, responseTo: 0, opCode: 2013),
                     ByteBuffer(bytes: first.dropFirst(MessageHeader.size))),
            .message(MessageHeader(messageLength: Int32(second.count), requestID: 8, responseTo: 0, opCode: 2013),
                     ByteBuffer(bytes: second.dropFirst(MessageHeader.size))),
        ])
    }

    @Test func oversizedMessageIsSkippedInStepAsItArrives() {
        let length = maximumMessageSize + 1
        let header = MessageHeader(messageLength: Int32(length), requestID: 3, responseTo: 0, opCode: .msg)
        var framer = MessageFramer()
        var buffer = ByteBuffer()
        var headerBytes = ByteBuffer()
        header.encode(into: &headerBytes)
        #expect(feed(headerBytes.readableBytesView, to: &framer, buffer: &buffer).isEmpty)
        // The body arrives in 1 MiB chunks; none is kept once the framer has seen it.
        let chunk = [UInt8](repeating: 0xAB, count: 1 << 20)
        var remaining = length - MessageHeader.size
        while remaining > chunk.count {
            #expect(feed(chunk, to: &framer, buffer: &buffer).isEmpty)
            #expect(buffer.readableBytes == 0)
            #expect(framer.isInsideMessage(buffer))
            remaining -= chunk.count
        }
        let next = frame(requestID: 4, opCode: 2013, body: le32u(0) + [0] + bson(["ping": .int32(1), "$db": "admin"]))
        let frames = feed(chunk.prefix(remaining) + next, to: &framer, buffer: &buffer)
        #expect(frames == [
            .rejected(header, .messageTooLarge(length: length)),
            .message(MessageHeader(messageLength: Int32(next.count), requestID: 4, responseTo: 0, opCode: 2013),
                     ByteBuffer(bytes: next.dropFirst(MessageHeader.size))),
        ])
        #expect(!framer.isInsideMessage(buffer))
    }

    @Test func untrustworthyLengthStopsTheStream() {
        var framer = MessageFramer()
        var buffer = ByteBuffer()
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let frames = feed(request, to: &framer, buffer: &buffer)
        // "GET ", "/ HT", "TP/1", ".1\r\n" read as four little-endian int32s.
        let header = MessageHeader(messageLength: 0x2054_4547, requestID: 0x5448_202F, responseTo: 0x312F_5054,
                                   opCode: 0x0A0D_312E)
        #expect(frames == [.unframeable(header, .messageLengthInvalid(0x2054_4547))])
        // A well-formed message after it is never read: the stream is out of step.
        let ping = frame(opCode: 2013, body: le32u(0) + [0] + bson(["ping": .int32(1), "$db": "admin"]))
        #expect(feed(ping, to: &framer, buffer: &buffer).isEmpty)
        #expect(buffer.readableBytes == 0)
        #expect(!framer.isInsideMessage(buffer))
        #expect(framer.frameAtEndOfStream(&buffer) == nil)
    }

    @Test func leftoverBytesShorterThanAHeaderAreReportedAtTheEnd() {
        var framer = MessageFramer()
        var buffer = ByteBuffer()
        #expect(feed([1, 2, 3], to: &framer, buffer: &buffer).isEmpty)
        #expect(framer.isInsideMessage(buffer))
        #expect(framer.frameAtEndOfStream(&buffer) == .unframeable(nil, .truncatedHeader(available: 3)))
        #expect(buffer.readableBytes == 0)
    }

    @Test func partBodyAtTheEndIsDroppedWithoutAFrame() {
        var framer = MessageFramer()
        var buffer = ByteBuffer()
        let ping = frame(opCode: 2013, body: le32u(0) + [0] + bson(["ping": .int32(1), "$db": "admin"]))
        #expect(feed(ping.dropLast(), to: &framer, buffer: &buffer).isEmpty)
        #expect(framer.isInsideMessage(buffer))
        #expect(framer.frameAtEndOfStream(&buffer) == nil)
    }
}
