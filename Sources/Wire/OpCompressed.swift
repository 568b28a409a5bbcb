// OP_COMPRESSED (2012): another message's body, compressed, after the original opcode, the
// uncompressed size and the compressor id. The stated size is bounded before anything is
// allocated for it.

public import NIOCore

/// An OP_COMPRESSED message.
public struct OpCompressed: Sendable, Equatable {
    /// The opcode of the wrapped message.
    public var originalOpCode: Int32
    /// The wrapped body's size before compression (its header excluded).
    public var uncompressedSize: Int32
    /// The compressor that produced ``compressedMessage``.
    public var compressor: Compressor
    /// The compressed body of the wrapped message.
    public var compressedMessage: [UInt8]

    /// A message from its fields.
    public init(originalOpCode: Int32, uncompressedSize: Int32, compressor: Compressor, compressedMessage: [UInt8]) {
        self.originalOpCode = originalOpCode
        self.uncompressedSize = uncompressedSize
        self.compressor = compressor
        self.compressedMessage = compressedMessage
    }

    /// Compresses a message body (the bytes after its header) with `compressor`.
    public init(compressing body: ByteBuffer, originalOpCode: OpCode, with compressor: Compressor) throws(WireError) {
        let result = body.withUnsafeReadableBytes { raw in
            Result { () throws(WireError) in try compressor.compress(raw) }
        }
        self.init(originalOpCode: originalOpCode.rawValue, uncompressedSize: Int32(body.readableBytes),
                  compressor: compressor, compressedMessage: try result.get())
    }

    /// Writes the message body (everything after the header).
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(originalOpCode, endianness: .little)
        buffer.writeInteger(uncompressedSize, endianness: .little)
        buffer.writeInteger(compressor.rawValue)
        buffer.writeBytes(compressedMessage)
    }

    /// Reads a message body occupying exactly the readable bytes of `buffer`, checking the
    /// compressor id, the wrapped opcode and the stated size.
    public static func decode(from buffer: inout ByteBuffer) throws(WireError) -> OpCompressed {
        let original = try buffer.readWireInt32("OP_COMPRESSED originalOpcode")
        let size = try buffer.readWireInt32("OP_COMPRESSED uncompressedSize")
        guard let id = buffer.readInteger(as: UInt8.self) else { throw .truncated(field: "OP_COMPRESSED compressorId") }
        guard let compressor = Compressor(rawValue: id) else { throw .unknownCompressor(id) }
        guard original != OpCode.compressed.rawValue else { throw .invalidCompressedOpCode(original) }
        guard size >= 0, Int(size) <= maximumMessageSize - MessageHeader.size else { throw .invalidUncompressedSize(size) }
        let payload = buffer.readBytes(length: buffer.readableBytes) ?? []
        return OpCompressed(originalOpCode: original, uncompressedSize: size, compressor: compressor, compressedMessage: payload)
    }

    /// The wrapped message's body, decompressed.
    public func decompressedBody() throws(WireError) -> ByteBuffer {
        let size = Int(uncompressedSize)
        let result = compressedMessage.withUnsafeBytes { raw in
            Result { () throws(WireError) in try compressor.decompress(raw, uncompressedSize: size) }
        }
        return ByteBuffer(bytes: try result.get())
    }
}
