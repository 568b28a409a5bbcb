// Telling TLS from MongoDB's wire protocol by a connection's first bytes, without a socket:
// the classification of real message headers (including one whose length starts with 0x16)
// and TLS record headers, and the handler in an EmbeddedChannel — plain bytes handed on
// unchanged, TLS bytes handed to the TLS handlers it inserts, plain clients closed under
// requireTLS — whether the bytes arrive at once or one by one — and its deadline for clients
// that never send enough to decide.

import BSON
import Logging
import NIOCore
import NIOEmbedded
import Testing
import Wire
@testable import Server

@Suite struct TLSDetectorTests {
    /// An encoded OP_MSG `hello` whose body is padded until the message is `length` bytes.
    static func hello(length: Int? = nil) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        var body: BSONDocument = ["hello": 1, "$db": "admin"]
        try WireMessage.msg(OpMsg(body: body)).encode(requestID: 1, responseTo: 0, into: &buffer)
        guard let length else { return buffer }
        // A string element of n characters costs n + 10 bytes (type, "pad\0", length, terminator).
        body.append("pad", .string(String(repeating: "x", count: length - buffer.readableBytes - 10)))
        buffer.clear()
        try WireMessage.msg(OpMsg(body: body)).encode(requestID: 1, responseTo: 0, into: &buffer)
        return buffer
    }

    /// The first bytes of a TLS 1.2 ClientHello record (handshake, version 3.1, length, type 1).
    static let clientHelloStart: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]

    @Test func messageHeadersArePlain() throws {
        let hello = try Self.hello()
        #expect(ConnectionProtocol.of(hello.readableBytesView) == .plain)
        // A 278-byte message: its length 0x116 puts 0x16 first, as a TLS record's type.
        let tricky = try Self.hello(length: 0x116)
        #expect(tricky.readableBytes == 0x116)
        #expect(tricky.getInteger(at: 0, as: UInt8.self) == 0x16)
        #expect(ConnectionProtocol.of(tricky.readableBytesView) == .plain)
    }

    @Test func tlsRecordHeadersAreTLSOnceThreeBytesArrived() {
        #expect(ConnectionProtocol.of(Self.clientHelloStart) == .tls)
        #expect(ConnectionProtocol.of([0x16, 0x03, 0x03]) == .tls)
        #expect(ConnectionProtocol.of([0x16, 0x03, 0x05]) == .plain)
        #expect(ConnectionProtocol.of([0x16, 0x03]) == .undecided)
        #expect(ConnectionProtocol.of([0x16]) == .undecided)
        #expect(ConnectionProtocol.of([UInt8]()) == .undecided)
    }

    /// Where TLS bytes go in the tests: a pass-through handler standing for NIOSSL's.
    final class TLSStandIn: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        var received = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += unwrapInboundIn(data).readableBytes
            context.fireChannelRead(data)
        }
    }

    static func channel(acceptsPlain: Bool) throws -> (EmbeddedChannel, TLSStandIn) {
        let standIn = TLSStandIn()
        let detector = TLSDetector(acceptsPlain: acceptsPlain, logger: Logger(label: "test"), stall: .seconds(30)) {
            [standIn]
        }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(detector)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 27017)).wait()
        return (channel, standIn)
    }

    /// Everything that reached the end of the pipeline.
    static func delivered(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test(arguments: [false, true])
    func plainBytesPassUnchangedWhenPlainIsAllowed(oneByOne: Bool) throws {
        let (channel, standIn) = try Self.channel(acceptsPlain: true)
        let hello = try Self.hello(length: 0x116)
        if oneByOne {
            for byte in hello.readableBytesView { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        } else {
            try channel.writeInbound(hello)
        }
        #expect(try Self.delivered(channel) == Array(hello.readableBytesView))
        #expect(standIn.received == 0)
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: TLSDetector.self) }
        #expect(channel.isActive)
    }

    @Test(arguments: [false, true])
    func tlsBytesGoToTheTLSHandlers(oneByOne: Bool) throws {
        let (channel, standIn) = try Self.channel(acceptsPlain: false)
        if oneByOne {
            for byte in Self.clientHelloStart { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        } else {
            try channel.writeInbound(ByteBuffer(bytes: Self.clientHelloStart))
        }
        #expect(standIn.received == Self.clientHelloStart.count)
        #expect(try Self.delivered(channel) == Self.clientHelloStart)
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: TLSDetector.self) }
        // Later bytes skip the (removed) detector.
        try channel.writeInbound(ByteBuffer(bytes: [1, 2, 3]))
        #expect(standIn.received == Self.clientHelloStart.count + 3)
        #expect(channel.isActive)
    }

    @Test func plainClientIsClosedUnderRequireTLS() throws {
        let (channel, standIn) = try Self.channel(acceptsPlain: false)
        try channel.writeInbound(try Self.hello())
        #expect(!channel.isActive)
        #expect(try Self.delivered(channel).isEmpty)
        #expect(standIn.received == 0)
    }

    @Test func clientThatStallsBeforeDecidingIsClosed() throws {
        let (channel, standIn) = try Self.channel(acceptsPlain: true)
        try channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03]))
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(standIn.received == 0)
    }

    @Test func decidedConnectionOutlivesTheDeadline() throws {
        let (channel, _) = try Self.channel(acceptsPlain: true)
        try channel.writeInbound(try Self.hello())
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
    }
}
