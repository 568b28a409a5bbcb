// The BSON encoder: appends documents and values to a growable byte array, patching each
// length prefix once its container is complete. Rejects keys and cstrings holding NUL.

/// Appends BSON encodings to a byte array.
public struct BSONWriter: Sendable {
    /// The bytes written so far.
    public internal(set) var bytes: [UInt8]

    /// A writer with room for `capacity` bytes before it grows.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends `document` as a complete BSON document.
    public mutating func append(_ document: BSONDocument) throws(BSONError) {
        let start = beginFrame()
        for (key, value) in document.elements {
            try appendElement(key: key, value)
        }
        endFrame(start)
    }

    // MARK: Frames and primitives

    @inline(__always) mutating func beginFrame() -> Int {
        let start = bytes.count
        appendInt32(0)
        return start
    }

    @inline(__always) mutating func endFrame(_ start: Int) {
        bytes.append(0)
        patchInt32(Int32(truncatingIfNeeded: bytes.count - start), at: start)
    }

    @inline(__always) mutating func patchInt32(_ value: Int32, at offset: Int) {
        let v = UInt32(bitPattern: value)
        bytes[offset] = UInt8(truncatingIfNeeded: v)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: v >> 24)
    }

    @inline(__always) mutating func appendInt32(_ value: Int32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func appendUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func appendInt64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func appendUInt64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a NUL-terminated string, rejecting one that holds a NUL itself.
    @inline(__always) mutating func appendCString(_ string: String) throws(BSONError) {
        let start = bytes.count
        bytes.append(contentsOf: string.utf8)
        let hasNul = bytes.withUnsafeBufferPointer { buffer in
            buffer[start...].contains(0)
        }
        if hasNul { throw .nulInCString(string) }
        bytes.append(0)
    }

    /// Appends a length-prefixed, NUL-terminated string (NULs inside are allowed).
    @inline(__always) mutating func appendString(_ string: String) {
        let start = beginFrame()
        bytes.append(contentsOf: string.utf8)
        bytes.append(0)
        patchInt32(Int32(truncatingIfNeeded: bytes.count - start - 4), at: start)
    }

    /// Appends an array index as a decimal key ("0", "1", ...) with its terminator.
    @inline(__always) mutating func appendIndexKey(_ index: Int) {
        if index < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(index))
        } else {
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                         UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            var n = index
            withUnsafeMutableBytes(of: &digits) { raw in
                while n > 0 {
                    raw[19 - count] = UInt8(ascii: "0") + UInt8(n % 10)
                    n /= 10
                    count += 1
                }
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
            }
        }
        bytes.append(0)
    }

    // MARK: Elements

    @inline(__always) mutating func appendElement(key: String, _ value: BSONValue) throws(BSONError) {
        bytes.append(value.type.rawValue)
        try appendCString(key)
        try appendValue(value)
    }

    mutating func appendArray(_ array: [BSONValue]) throws(BSONError) {
        let start = beginFrame()
        for (index, element) in array.enumerated() {
            bytes.append(element.type.rawValue)
            appendIndexKey(index)
            try appendValue(element)
        }
        endFrame(start)
    }

    /// Appends the value bytes (no type byte, no key).
    mutating func appendValue(_ value: BSONValue) throws(BSONError) {
        switch value {
        case .double(let v): appendUInt64(v.bitPattern)
        case .string(let v), .javascript(let v), .symbol(let v): appendString(v)
        case .document(let v): try append(v)
        case .array(let v): try appendArray(v)
        case .binary(let v):
            if v.subtype == .binaryOld {
                appendInt32(Int32(truncatingIfNeeded: v.bytes.count + 4))
                bytes.append(v.subtype.rawValue)
                appendInt32(Int32(truncatingIfNeeded: v.bytes.count))
            } else {
                appendInt32(Int32(truncatingIfNeeded: v.bytes.count))
                bytes.append(v.subtype.rawValue)
            }
            bytes.append(contentsOf: v.bytes)
        case .undefined, .null, .minKey, .maxKey: break
        case .objectId(let v): withUnsafeBytes(of: v.bytes) { bytes.append(contentsOf: $0) }
        case .bool(let v): bytes.append(v ? 1 : 0)
        case .datetime(let v): appendInt64(v.millisecondsSinceEpoch)
        case .regex(let v):
            try appendCString(v.pattern)
            try appendCString(v.options)
        case .dbPointer(let v):
            appendString(v.ref)
            withUnsafeBytes(of: v.id.bytes) { bytes.append(contentsOf: $0) }
        case .javascriptWithScope(let v):
            let start = beginFrame()
            appendString(v.code)
            try append(v.scope)
            patchInt32(Int32(truncatingIfNeeded: bytes.count - start), at: start)
        case .int32(let v): appendInt32(v)
        case .timestamp(let v):
            appendUInt32(v.increment)
            appendUInt32(v.timestamp)
        case .int64(let v): appendInt64(v)
        case .decimal128(let v):
            appendUInt64(v.low)
            appendUInt64(v.high)
        }
    }
}

extension BSONDocument {
    /// The BSON encoding of this document.
    ///
    /// Throws ``BSONError/nulInCString(_:)`` when a key, regex pattern or regex options
    /// hold a NUL byte, which BSON cannot represent.
    public func bsonBytes() throws(BSONError) -> [UInt8] {
        var writer = BSONWriter()
        try writer.append(self)
        return writer.bytes
    }
}
