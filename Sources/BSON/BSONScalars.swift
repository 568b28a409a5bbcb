// The small BSON payload types: datetime, timestamp, binary, regex, DBPointer and code with
// scope. Each is a plain value type with structural equality; none knows about encoding.

/// A BSON UTC datetime: signed milliseconds since the Unix epoch.
public struct BSONDateTime: Sendable, Hashable, Comparable {
    /// Milliseconds since 1970-01-01T00:00:00Z; negative values are before the epoch.
    public var millisecondsSinceEpoch: Int64

    /// A datetime at the given milliseconds since the epoch.
    @inlinable public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// Orders datetimes chronologically.
    public static func < (lhs: BSONDateTime, rhs: BSONDateTime) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }
}

/// A BSON timestamp: MongoDB's internal (seconds, ordinal) pair used by the oplog.
public struct BSONTimestamp: Sendable, Hashable, Comparable {
    /// Seconds since the Unix epoch (the high 32 bits on the wire).
    public var timestamp: UInt32
    /// Ordinal within the second (the low 32 bits on the wire).
    public var increment: UInt32

    /// A timestamp from its two halves.
    @inlinable public init(timestamp: UInt32, increment: UInt32) {
        self.timestamp = timestamp
        self.increment = increment
    }

    /// Orders by seconds, then increment (an unsigned 64-bit comparison).
    public static func < (lhs: BSONTimestamp, rhs: BSONTimestamp) -> Bool {
        (lhs.timestamp, lhs.increment) < (rhs.timestamp, rhs.increment)
    }
}

/// BSON binary data with its subtype.
public struct BSONBinary: Sendable, Hashable {
    /// The binary subtype byte (0x00 generic, 0x04 UUID, 0x80–0xFF user defined, ...).
    public var subtype: Subtype
    /// The payload bytes. For the legacy subtype 0x02 this excludes the inner length prefix.
    public var bytes: [UInt8]

    /// Binary data with a subtype.
    @inlinable public init(subtype: Subtype = .generic, bytes: [UInt8]) {
        self.subtype = subtype
        self.bytes = bytes
    }

    /// A binary subtype byte; known subtypes have names, any byte is representable.
    public struct Subtype: RawRepresentable, Sendable, Hashable {
        /// The subtype byte.
        public var rawValue: UInt8
        /// The subtype with this byte.
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The subtype with this byte.
        @inlinable public init(_ rawValue: UInt8) { self.rawValue = rawValue }

        /// 0x00: generic binary.
        public static let generic = Subtype(0x00)
        /// 0x01: function.
        public static let function = Subtype(0x01)
        /// 0x02: old generic binary, with a redundant inner length on the wire.
        public static let binaryOld = Subtype(0x02)
        /// 0x03: old UUID with driver-specific byte order.
        public static let uuidOld = Subtype(0x03)
        /// 0x04: RFC 4122 UUID.
        public static let uuid = Subtype(0x04)
        /// 0x05: MD5 digest.
        public static let md5 = Subtype(0x05)
        /// 0x06: encrypted value.
        public static let encrypted = Subtype(0x06)
        /// 0x07: compressed time-series column.
        public static let column = Subtype(0x07)
        /// 0x08: sensitive data.
        public static let sensitive = Subtype(0x08)
        /// 0x09: packed vector.
        public static let vector = Subtype(0x09)
        /// 0x80: first user-defined subtype.
        public static let userDefined = Subtype(0x80)
    }
}

/// A BSON regular expression: a pattern and its option letters.
public struct BSONRegex: Sendable, Hashable {
    /// The pattern, without delimiters.
    public var pattern: String
    /// Option letters (`i`, `m`, `s`, `u`, `x`, `l`). BSON stores them in alphabetical order.
    public var options: String

    /// A regex with the options sorted alphabetically, as the BSON spec requires on output.
    public init(pattern: String, options: String = "") {
        self.pattern = pattern
        self.options = String(options.sorted())
    }

    /// Structural equality: byte-wise pattern and options.
    public static func == (lhs: BSONRegex, rhs: BSONRegex) -> Bool {
        lhs.pattern.utf8BytesEqual(rhs.pattern) && lhs.options.utf8BytesEqual(rhs.options)
    }
}

/// The deprecated DBPointer: a namespace string and an ObjectId.
public struct BSONDBPointer: Sendable, Hashable {
    /// The namespace ("db.collection" or just a collection name).
    public var ref: String
    /// The referenced document's ObjectId.
    public var id: ObjectId

    /// A DBPointer to `id` in `ref`.
    public init(ref: String, id: ObjectId) {
        self.ref = ref
        self.id = id
    }

    /// Structural equality: byte-wise namespace and equal id.
    public static func == (lhs: BSONDBPointer, rhs: BSONDBPointer) -> Bool {
        lhs.ref.utf8BytesEqual(rhs.ref) && lhs.id == rhs.id
    }
}

/// Deprecated JavaScript code with a scope document.
public struct BSONCodeWithScope: Sendable, Hashable {
    /// The JavaScript source.
    public var code: String
    /// The variables in scope.
    public var scope: BSONDocument

    /// Code with its scope.
    public init(code: String, scope: BSONDocument) {
        self.code = code
        self.scope = scope
    }

    /// Structural equality: byte-wise code and structurally equal scope.
    public static func == (lhs: BSONCodeWithScope, rhs: BSONCodeWithScope) -> Bool {
        lhs.code.utf8BytesEqual(rhs.code) && lhs.scope == rhs.scope
    }
}
