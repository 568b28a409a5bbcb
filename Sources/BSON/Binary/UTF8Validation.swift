// UTF-8 validation over raw bytes without creating Strings: an ASCII fast path that checks
// eight bytes at a time, and the well-formed byte sequences of Unicode Table 3-7 otherwise.
// Also the one way the layers above make a String from stored or received UTF-8 bytes.

enum UTF8Validation {
    /// Whether `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
    @inline(__always)
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var i = 0
        while i < count {
            // ASCII fast path: eight bytes at a time while none has the high bit set.
            while i + 8 <= count,
                  bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            guard i < count else { return true }
            let lead = bytes[i]
            if lead < 0x80 { i += 1; continue }
            switch lead {
            case 0xC2...0xDF:
                guard i + 1 < count, isContinuation(bytes[i + 1]) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard i + 2 < count else { return false }
                let b1 = bytes[i + 1]
                let lowOK: Bool = switch lead {
                case 0xE0: (0xA0...0xBF).contains(b1)
                case 0xED: (0x80...0x9F).contains(b1)
                default: isContinuation(b1)
                }
                guard lowOK, isContinuation(bytes[i + 2]) else { return false }
                i += 3
            case 0xF0...0xF4:
                guard i + 3 < count else { return false }
                let b1 = bytes[i + 1]
                let lowOK: Bool = switch lead {
                case 0xF0: (0x90...0xBF).contains(b1)
                case 0xF4: (0x80...0x8F).contains(b1)
                default: isContinuation(b1)
                }
                guard lowOK, isContinuation(bytes[i + 2]), isContinuation(bytes[i + 3]) else { return false }
                i += 4
            default:
                return false
            }
        }
        return true
    }

    @inline(__always)
    private static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
}

extension String {
    /// The string of `bytes`, or `nil` when they are not well-formed UTF-8.
    ///
    /// Validates with ``UTF8Validation`` (eight ASCII bytes per step), then builds the string
    /// with `String(decoding:as:)` on a typed buffer, the standard library's specialised
    /// contiguous path. `String(validating:as:)` reaches a generic validator that looks up
    /// type metadata on every call; in a batch insert that cost 14 % of the server's time.
    public init?(wellFormedUTF8 bytes: UnsafeRawBufferPointer) {
        guard UTF8Validation.isValid(bytes) else { return nil }
        self.init(decoding: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
    }
}
