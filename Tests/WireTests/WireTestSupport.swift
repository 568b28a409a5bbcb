// Byte-building helpers for the wire tests: hand-assembled little-endian frames, so expected
// bytes come from the protocol's layout rather than from the encoder under test.

import BSON
import NIOCore
@testable import Wire

/// Little-endian bytes of an Int32.
func le32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
/// Little-endian bytes of a UInt32.
func le32u(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
/// Little-endian bytes of an Int64.
func le64(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
/// A cstring's bytes.
func cstring(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
/// A document's BSON bytes.
func bson(_ document: BSONDocument) -> [UInt8] { (try? document.bsonBytes()) ?? [] }

/// A whole frame: header (length computed) followed by `body`.
func frame(requestID: Int32 = 7, responseTo: Int32 = 0, opCode: Int32, body: [UInt8]) -> [UInt8] {
    le32(Int32(16 + body.count)) + le32(requestID) + le32(responseTo) + le32(opCode) + body
}

/// Decodes one whole frame from bytes.
func decodeFrame(_ bytes: [UInt8]) throws(WireError) -> InboundMessage? {
    var buffer = ByteBuffer(bytes: bytes)
    return try WireMessage.decode(from: &buffer)
}

/// The error decoding `bytes` throws, or nil when it decodes.
func decodeError(_ bytes: [UInt8]) -> WireError? {
    do {
        _ = try decodeFrame(bytes)
        return nil
    } catch {
        return error
    }
}

/// Encodes `message` and returns the bytes.
func encoded(_ message: WireMessage, requestID: Int32 = 7, responseTo: Int32 = 0, compressor: Compressor? = nil) throws -> [UInt8] {
    var buffer = ByteBuffer()
    try message.encode(requestID: requestID, responseTo: responseTo, compressor: compressor, into: &buffer)
    return Array(buffer.readableBytesView)
}
