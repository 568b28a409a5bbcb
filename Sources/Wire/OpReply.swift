// OP_REPLY (1), the legacy answer to OP_QUERY: response flags, a cursor id, the starting
// position and the documents. The server sends one document per reply (the command result).

public import BSON
public import NIOCore

/// An OP_REPLY message.
public struct OpReply: Sendable, Equatable {
    /// OP_REPLY's response flags.
    public struct Flags: OptionSet, Sendable, Hashable {
        /// The raw bits.
        public var rawValue: Int32
        /// A flag set from raw bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// The cursor named in a getMore does not exist.
        public static let cursorNotFound = Flags(rawValue: 1 << 0)
        /// The query failed; the one document has `$err`.
        public static let queryFailure = Flags(rawValue: 1 << 1)
        /// Obsolete sharding flag.
        public static let shardConfigStale = Flags(rawValue: 1 << 2)
        /// The server supports awaitData.
        public static let awaitCapable = Flags(rawValue: 1 << 3)
    }

    /// The response flags.
    public var responseFlags: Flags
    /// The cursor id, 0 when there is none.
    public var cursorID: Int64
    /// The position in the cursor of the first document.
    public var startingFrom: Int32
    /// The documents returned (`numberReturned` on the wire is their count).
    public var documents: [BSONDocument]

    /// A reply from its fields.
    public init(responseFlags: Flags = [], cursorID: Int64 = 0, startingFrom: Int32 = 0, documents: [BSONDocument]) {
        self.responseFlags = responseFlags
        self.cursorID = cursorID
        self.startingFrom = startingFrom
        self.documents = documents
    }

    /// Writes the message body (everything after the header).
    public func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(responseFlags.rawValue, endianness: .little)
        buffer.writeInteger(cursorID, endianness: .little)
        buffer.writeInteger(startingFrom, endianness: .little)
        buffer.writeInteger(Int32(documents.count), endianness: .little)
        for document in documents { try buffer.writeBSONDocument(document) }
    }

    /// Reads a message body occupying exactly the readable bytes of `buffer`.
    public static func decode(from buffer: inout ByteBuffer) throws(WireError) -> OpReply {
        let flags = Flags(rawValue: try buffer.readWireInt32("OP_REPLY responseFlags"))
        let cursorID = try buffer.readWireInt64("OP_REPLY cursorID")
        let startingFrom = try buffer.readWireInt32("OP_REPLY startingFrom")
        let count = try buffer.readWireInt32("OP_REPLY numberReturned")
        guard count >= 0, Int(count) <= buffer.readableBytes / 5 else { throw .truncated(field: "OP_REPLY documents") }
        var documents: [BSONDocument] = []
        documents.reserveCapacity(Int(count))
        for _ in 0..<count {
            documents.append(try buffer.readBSONDocument("OP_REPLY documents", limit: maximumCommandBodySize))
        }
        if buffer.readableBytes > 0 { throw .trailingBytes(count: buffer.readableBytes) }
        return OpReply(responseFlags: flags, cursorID: cursorID, startingFrom: startingFrom, documents: documents)
    }
}
