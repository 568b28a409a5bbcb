// OP_QUERY (2004), the legacy request. Drivers still send their first `isMaster`/`hello` this
// way on `admin.$cmd`; the server answers every OP_QUERY with an OP_REPLY.

public import BSON
public import NIOCore

/// An OP_QUERY message.
public struct OpQuery: Sendable, Equatable {
    /// OP_QUERY's flag bits (bit 0 is reserved).
    public struct Flags: OptionSet, Sendable, Hashable {
        /// The raw bits.
        public var rawValue: Int32
        /// A flag set from raw bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// Tailable cursor.
        public static let tailableCursor = Flags(rawValue: 1 << 1)
        /// Reads from a secondary are allowed.
        public static let secondaryOK = Flags(rawValue: 1 << 2)
        /// The cursor should not time out.
        public static let noCursorTimeout = Flags(rawValue: 1 << 4)
        /// Block at the end of a tailable cursor's data.
        public static let awaitData = Flags(rawValue: 1 << 5)
        /// Stream all results (exhaust).
        public static let exhaust = Flags(rawValue: 1 << 6)
        /// Return partial results when shards are down.
        public static let partial = Flags(rawValue: 1 << 7)
    }

    /// The flag bits.
    public var flags: Flags
    /// `database.collection`; `database.$cmd` for commands.
    public var fullCollectionName: String
    /// Documents to skip.
    public var numberToSkip: Int32
    /// Documents to return (commands use 1 or -1).
    public var numberToReturn: Int32
    /// The query, or for `$cmd` the command document.
    public var query: BSONDocument
    /// An optional projection.
    public var returnFieldsSelector: BSONDocument?

    /// A message from its fields.
    public init(
        flags: Flags = [], fullCollectionName: String, numberToSkip: Int32 = 0, numberToReturn: Int32 = -1,
        query: BSONDocument, returnFieldsSelector: BSONDocument? = nil
    ) {
        self.flags = flags
        self.fullCollectionName = fullCollectionName
        self.numberToSkip = numberToSkip
        self.numberToReturn = numberToReturn
        self.query = query
        self.returnFieldsSelector = returnFieldsSelector
    }

    /// For `database.$cmd`, the database; nil for any other namespace.
    public var commandDatabase: String? {
        let suffix = ".$cmd"
        guard fullCollectionName.hasSuffix(suffix), fullCollectionName.count > suffix.count else { return nil }
        return String(fullCollectionName.dropLast(suffix.count))
    }

    /// Writes the message body (everything after the header).
    public func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(flags.rawValue, endianness: .little)
        try buffer.writeCString(fullCollectionName)
        buffer.writeInteger(numberToSkip, endianness: .little)
        buffer.writeInteger(numberToReturn, endianness: .little)
        try buffer.writeBSONDocument(query)
        if let returnFieldsSelector { try buffer.writeBSONDocument(returnFieldsSelector) }
    }

    /// Reads a message body occupying exactly the readable bytes of `buffer`.
    public static func decode(from buffer: inout ByteBuffer) throws(WireError) -> OpQuery {
        let flags = Flags(rawValue: try buffer.readWireInt32("OP_QUERY flags"))
        let name = try buffer.readCString("OP_QUERY fullCollectionName")
        let skip = try buffer.readWireInt32("OP_QUERY numberToSkip")
        let limit = try buffer.readWireInt32("OP_QUERY numberToReturn")
        let query = try buffer.readBSONDocument("OP_QUERY query", limit: maximumCommandBodySize)
        var selector: BSONDocument?
        if buffer.readableBytes > 0 {
            selector = try buffer.readBSONDocument("OP_QUERY returnFieldsSelector", limit: maximumCommandBodySize)
        }
        if buffer.readableBytes > 0 { throw .trailingBytes(count: buffer.readableBytes) }
        return OpQuery(flags: flags, fullCollectionName: name, numberToSkip: skip, numberToReturn: limit,
                       query: query, returnFieldsSelector: selector)
    }
}
