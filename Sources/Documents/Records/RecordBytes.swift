// Byte-level primitives of the record format: varints, and little-endian integers of a given
// width (sign-extended for integer slots). Reads check bounds and throw; they never trap.

/// Varint and fixed-width integer encoding used by records and shape definitions.
enum RecordBytes {
    /// Appends `value` as an unsigned LEB128 varint.
    @inline(__always)
    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// The bytes `appendVarint` would write for `value`.
    static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var value = value >> 7
        while value != 0 { size += 1; value >>= 7 }
        return size
    }

    /// Reads a minimal varint of at most 10 bytes at `position` (before `limit`), advancing it.
    @inline(__always)
    static func readVarint(_ raw: UnsafeRawBufferPointer, at position: inout Int, limit: Int) throws(RecordError) -> UInt64 {
        let start = position
        guard position < limit else { throw .truncated(offset: position, needed: 1) }
        let first = raw[position]
        position += 1
        if first < 0x80 { return UInt64(first) }
        var result = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        while true {
            guard position < limit else { throw .truncated(offset: position, needed: 1) }
            let byte = raw[position]
            position += 1
            guard shift < 64, shift < 63 || byte <= 1 else { throw .malformedVarint(offset: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                // A final 0x00 after continuation bytes means a longer-than-needed encoding.
                guard byte != 0 else { throw .malformedVarint(offset: start) }
                return result
            }
            shift += 7
        }
    }

    /// The fewest bytes (0–8) that hold `value` as a sign-extended little-endian integer;
    /// 0 only for 0.
    @inline(__always)
    static func signedWidth(_ value: Int64) -> Int {
        if value == 0 { return 0 }
        let magnitudeBits = 64 - (value ^ (value >> 63)).leadingZeroBitCount
        return (magnitudeBits + 8) >> 3  // one more bit for the sign, rounded up to bytes
    }

    /// The fewest bytes (1–8) that hold `value` unsigned; 1 for 0.
    @inline(__always)
    static func unsignedWidth(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 7) >> 3)
    }

    /// Appends the low `width` bytes of `value`, little-endian.
    @inline(__always)
    static func appendLittleEndian(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        var value = value
        for _ in 0..<width {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    /// Writes the low `width` bytes of `value` little-endian over `bytes[offset...]`.
    @inline(__always)
    static func storeLittleEndian(_ value: UInt64, width: Int, at offset: Int, in bytes: inout [UInt8]) {
        var value = value
        for index in 0..<width {
            bytes[offset + index] = UInt8(truncatingIfNeeded: value)
            value >>= 8
        }
    }

    /// Reads `width` (0–8) little-endian bytes at `offset` unsigned; the caller checked bounds.
    @inline(__always)
    static func loadUnsigned(_ raw: UnsafeRawBufferPointer, at offset: Int, width: Int) -> UInt64 {
        if width == 8 { return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        var value: UInt64 = 0
        var index = width
        while index > 0 {
            index -= 1
            value = value << 8 | UInt64(raw[offset + index])
        }
        return value
    }

    /// Reads `width` (0–8) little-endian bytes at `offset`, sign-extended.
    @inline(__always)
    static func loadSigned(_ raw: UnsafeRawBufferPointer, at offset: Int, width: Int) -> Int64 {
        guard width > 0 else { return 0 }
        let shift = UInt64(64 - 8 * width)
        return Int64(bitPattern: loadUnsigned(raw, at: offset, width: width) << shift) >> shift
    }
}
