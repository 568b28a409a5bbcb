// libFuzzer entry point for Wire's message decoding: the framing decision on the 16-byte
// header, OP_MSG (sections, flags, CRC-32C trailer), OP_QUERY, OP_REPLY and OP_COMPRESSED
// (snappy, zlib, zstd). Decoding may throw WireError but never trap; whatever decodes must
// encode and decode back to the same message. Built and run by scripts/fuzz.
//
// Wire's MessageFramer (the server's stream framing) is not driven here: it only acts on the
// framing verdict of MessageHeader, which this harness drives; WireTests cover the framer.

import BSON
import FuzzSupport
import NIOCore
import Wire

/// Called by libFuzzer once per input. The first byte picks how the rest is read:
/// even: as a raw stream of messages, decoded one after the other until bytes run out;
/// odd: as one message body behind a header with the right length and an opcode from the
/// byte (so the body decoders are reached without the fuzzer first learning the framing).
/// The process entry SwiftPM links as `main` (see FuzzSupport/FuzzerMain.swift).
@_cdecl("WireMessageFuzz_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let mode = data[0]
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var buffer = ByteBuffer(bytes: rest)
    if mode & 1 == 0 {
        decodeStream(&buffer)
    } else {
        let opCodes: [Int32] = [2013, 2013, 2012, 2012, 2004, 1, 2010, 0]
        let opCode = opCodes[Int(mode >> 1) & 7]
        let header = MessageHeader(
            messageLength: Int32(truncatingIfNeeded: MessageHeader.size + rest.count),
            requestID: 7, responseTo: 0, opCode: opCode)
        if let message = try? WireMessage.decode(header: header, body: buffer) {
            checkRoundTrip(message)
        }
    }
    return 0
}

/// Decodes whole messages from `buffer` until one needs more bytes or fails.
private func decodeStream(_ buffer: inout ByteBuffer) {
    while true {
        let before = buffer.readerIndex
        let decoded: InboundMessage?
        do {
            decoded = try WireMessage.decode(from: &buffer)
        } catch {
            return
        }
        guard let message = decoded else {
            guard buffer.readerIndex == before else { fatalError("a nil decode consumed bytes") }
            return
        }
        guard buffer.readerIndex > before else { fatalError("a decoded message consumed no bytes") }
        checkRoundTrip(message)
    }
}

/// Encodes `inbound` (with its compressor) and decodes it again: the same message must come back.
private func checkRoundTrip(_ inbound: InboundMessage) {
    // Reading the command body and the documents must not trap either.
    if case let .msg(message) = inbound.message {
        _ = try? message.commandBody()
    }
    var encoded = ByteBuffer()
    do {
        try inbound.message.encode(requestID: inbound.header.requestID, responseTo: inbound.header.responseTo,
                                   compressor: inbound.compressor, into: &encoded)
    } catch {
        return  // e.g. a decompressed message too large to compress again: not a decoding bug
    }
    let again: InboundMessage?
    do {
        again = try WireMessage.decode(from: &encoded)
    } catch {
        fatalError("a re-encoded message failed to decode: \(error)")
    }
    guard let again else { fatalError("a re-encoded message was incomplete") }
    guard again.message == inbound.message, again.compressor == inbound.compressor else {
        fatalError("round trip changed the message")
    }
    guard encoded.readableBytes == 0 else { fatalError("a re-encoded message left bytes behind") }
}
