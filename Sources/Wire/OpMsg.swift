// OP_MSG (2013): flag bits, then sections — exactly one kind-0 body and any number of kind-1
// document sequences, in any order. The optional CRC-32C trailer covers the header too, so
// WireMessage writes and checks it; this type handles everything between header and trailer.

public import BSON
public import NIOCore

/// An OP_MSG message.
public struct OpMsg: Sendable, Equatable {
    /// OP_MSG's flag bits. Bits 0–15 are required: a receiver rejects ones it does not know.
    public struct Flags: OptionSet, Sendable, Hashable {
        /// The raw bits.
        public var rawValue: UInt32
        /// A flag set from raw bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// A CRC-32C trailer follows the sections.
        public static let checksumPresent = Flags(rawValue: 1 << 0)
        /// The sender will send another message without waiting; no reply is wanted.
        public static let moreToCome = Flags(rawValue: 1 << 1)
        /// The client accepts replies with `moreToCome` (exhaust cursors).
        public static let exhaustAllowed = Flags(rawValue: 1 << 16)

        /// Every bit this implementation knows.
        public static let known: Flags = [.checksumPresent, .moreToCome, .exhaustAllowed]
        /// The bits a receiver must understand.
        static let requiredMask: UInt32 = 0xFFFF
    }

    /// One section of the message.
    public enum Section: Sendable, Equatable {
        /// Kind 0: the command document.
        case body(BSONDocument)
        /// Kind 1: documents that belong in the body as an array under `identifier`.
        case documentSequence(identifier: String, documents: [BSONDocument])
    }

    /// The flag bits.
    public var flags: Flags
    /// The sections, in wire order.
    public var sections: [Section]

    /// A message from its flags and sections.
    public init(flags: Flags = [], sections: [Section]) {
        self.flags = flags
        self.sections = sections
    }

    /// A message with only a body.
    public init(flags: Flags = [], body: BSONDocument) {
        self.init(flags: flags, sections: [.body(body)])
    }

    /// The kind-0 section (a decoded message always has exactly one).
    public var body: BSONDocument? {
        for case let .body(document) in sections { return document }
        return nil
    }

    /// The command as Commands sees it: the body with every document sequence appended as
    /// an array under its identifier. A sequence named like a body field is an error.
    public func commandBody() throws(WireError) -> BSONDocument {
        guard var merged = body else { throw .missingBody }
        for case let .documentSequence(identifier, documents) in sections {
            if merged.contains(key: identifier) { throw .duplicateField(identifier) }
            merged.append(identifier, .array(documents.map { .document($0) }))
        }
        return merged
    }

    /// Writes the flags and sections (not the checksum trailer).
    public func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(flags.rawValue, endianness: .little)
        for section in sections {
            switch section {
            case let .body(document):
                buffer.writeInteger(UInt8(0))
                try buffer.writeBSONDocument(document)
            case let .documentSequence(identifier, documents):
                buffer.writeInteger(UInt8(1))
                let sizeAt = buffer.writerIndex
                buffer.writeInteger(Int32(0), endianness: .little)
                try buffer.writeCString(identifier)
                for document in documents { try buffer.writeBSONDocument(document) }
                buffer.setInteger(Int32(buffer.writerIndex - sizeAt), at: sizeAt, endianness: .little)
            }
        }
    }

    /// Reads the flags and sections from exactly the readable bytes of `buffer` (the checksum
    /// trailer, if any, already removed). Fails on unknown required flags, a missing or second
    /// body, an unknown section kind, duplicate sequences and oversized or invalid documents.
    public static func decode(from buffer: inout ByteBuffer) throws(WireError) -> OpMsg {
        let flags = Flags(rawValue: try buffer.readWireUInt32("OP_MSG flagBits"))
        try checkFlags(flags)
        var sections: [Section] = []
        var haveBody = false
        var identifiers: Set<String> = []
        while buffer.readableBytes > 0 {
            guard let kind = buffer.readInteger(as: UInt8.self) else { throw .truncated(field: "section kind") }
            switch kind {
            case 0:
                if haveBody { throw .multipleBodies }
                haveBody = true
                sections.append(.body(try buffer.readBSONDocument("OP_MSG body", limit: maximumCommandBodySize)))
            case 1:
                let size = try buffer.readWireInt32("document sequence size")
                guard size >= 5, Int(size) - 4 <= buffer.readableBytes else { throw .invalidSectionLength(size) }
                guard var sequence = buffer.readSlice(length: Int(size) - 4) else { throw .invalidSectionLength(size) }
                let identifier = try sequence.readCString("document sequence identifier")
                guard identifiers.insert(identifier).inserted else { throw .duplicateDocumentSequence(identifier) }
                var documents: [BSONDocument] = []
                while sequence.readableBytes > 0 {
                    // Each sequence document is a statement (an update's {q, u}, a delete's
                    // {q, limit}) or an insert's document: mongod reads them all with the
                    // command's 16 KiB allowance, so a 16 MiB replacement inside a statement
                    // arrives; commands refuse user documents over 16 MiB themselves.
                    documents.append(try sequence.readBSONDocument("document sequence \(identifier)", limit: maximumCommandBodySize))
                }
                sections.append(.documentSequence(identifier: identifier, documents: documents))
            default:
                throw .unknownSectionKind(kind)
            }
        }
        guard haveBody else { throw .missingBody }
        return OpMsg(flags: flags, sections: sections)
    }

    /// Fails when `flags` sets a required bit this implementation does not know.
    static func checkFlags(_ flags: Flags) throws(WireError) {
        if flags.rawValue & ~Flags.known.rawValue & Flags.requiredMask != 0 { throw .illegalFlags(flags.rawValue) }
    }
}
