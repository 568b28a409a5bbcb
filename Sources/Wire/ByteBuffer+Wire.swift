// Field readers shared by the message decoders: little-endian integers, cstrings and
// length-checked, validated BSON documents, each failing with the WireError that names the field.

import BSON
import NIOCore

extension ByteBuffer {
    /// Reads a little-endian Int32 or fails naming `field`.
    mutating func readWireInt32(_ field: String) throws(WireError) -> Int32 {
        guard let value = readInteger(endianness: .little, as: Int32.self) else { throw .truncated(field: field) }
        return value
    }

    /// Reads a little-endian UInt32 or fails naming `field`.
    mutating func readWireUInt32(_ field: String) throws(WireError) -> UInt32 {
        guard let value = readInteger(endianness: .little, as: UInt32.self) else { throw .truncated(field: field) }
        return value
    }

    /// Reads a little-endian Int64 or fails naming `field`.
    mutating func readWireInt64(_ field: String) throws(WireError) -> Int64 {
        guard let value = readInteger(endianness: .little, as: Int64.self) else { throw .truncated(field: field) }
        return value
    }

    /// Reads a NUL-terminated UTF-8 string.
    mutating func readCString(_ field: String) throws(WireError) -> String {
        guard let nul = readableBytesView.firstIndex(of: 0) else { throw .invalidCString(field: field) }
        let length = nul - readerIndex
        guard let bytes = readBytes(length: length) else { throw .invalidCString(field: field) }
        moveReaderIndex(forwardBy: 1)
        guard let text = bytes.withUnsafeBytes({ String(wellFormedUTF8: $0) }) else { throw .invalidCString(field: field) }
        return text
    }

    /// Writes `text` and its NUL terminator.
    mutating func writeCString(_ text: String) throws(WireError) {
        guard !text.utf8.contains(0) else { throw .invalidBSON(.nulInCString(text)) }
        writeString(text)
        writeInteger(UInt8(0))
    }

    /// Reads one BSON document, rejecting it before decoding when its stated length is over
    /// `limit`, then validating it fully.
    mutating func readBSONDocument(_ field: String, limit: Int) throws(WireError) -> BSONDocument {
        guard let stated = getInteger(at: readerIndex, endianness: .little, as: Int32.self) else {
            throw .truncated(field: field)
        }
        let length = Int(stated)
        if length > limit { throw .documentTooLarge(size: length, limit: limit) }
        guard length >= 5 else {
            throw .invalidBSON(.invalidLength(offset: 0, length: length, reason: "a document is at least 5 bytes"))
        }
        guard length <= readableBytes else { throw .truncated(field: field) }
        let result = withUnsafeReadableBytes { raw in
            Result { () throws(BSONError) in
                try BSONDocument(bsonBytes: UnsafeRawBufferPointer(rebasing: raw[0..<length]))
            }
        }
        switch result {
        case let .success(document):
            moveReaderIndex(forwardBy: length)
            return document
        case let .failure(error):
            throw .invalidBSON(error)
        }
    }

    /// Writes the BSON encoding of `document`.
    mutating func writeBSONDocument(_ document: BSONDocument) throws(WireError) {
        do {
            writeBytes(try document.bsonBytes())
        } catch {
            throw .invalidBSON(error)
        }
    }
}
