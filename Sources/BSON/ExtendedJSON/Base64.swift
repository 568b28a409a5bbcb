// Base64 (RFC 4648, standard alphabet, padded) for Extended JSON's `$binary`: encoding
// writes straight into the caller's buffer; decoding is strict and returns nil on bad input.

/// The RFC 4648 base64 codec with the standard alphabet and `=` padding.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Maps an ASCII byte to its six-bit value, or 0xFF when it is not in the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The length of the padded encoding of `count` bytes.
    @inline(__always)
    static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the padded base64 encoding of `input` to `output`, which must have room for
    /// ``encodedCount(_:)`` bytes; returns that count.
    static func encode(_ input: UnsafeRawBufferPointer, to output: UnsafeMutablePointer<UInt8>) -> Int {
        let count = input.count
        var o = 0
        alphabet.withUnsafeBufferPointer { table in
            var i = 0
            while i + 3 <= count {
                let chunk = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                output[o] = table[Int(chunk >> 18)]
                output[o + 1] = table[Int(chunk >> 12 & 0x3F)]
                output[o + 2] = table[Int(chunk >> 6 & 0x3F)]
                output[o + 3] = table[Int(chunk & 0x3F)]
                i += 3
                o += 4
            }
            let rest = count - i
            guard rest > 0 else { return }
            let chunk = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
            output[o] = table[Int(chunk >> 18)]
            output[o + 1] = table[Int(chunk >> 12 & 0x3F)]
            output[o + 2] = rest == 2 ? table[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "=")
            output[o + 3] = UInt8(ascii: "=")
            o += 4
        }
        return o
    }

    /// Decodes padded base64; `nil` if the length is not a multiple of four, a byte is outside
    /// the alphabet, or `=` appears anywhere but the last one or two positions.
    static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { source -> [UInt8]? in
            let count = source.count
            guard count % 4 == 0 else { return nil }
            guard count > 0 else { return [] }
            let equals = UInt8(ascii: "=")
            let padding = source[count - 1] != equals ? 0 : source[count - 2] != equals ? 1 : 2
            var output: [UInt8] = []
            output.reserveCapacity(count / 4 * 3 - padding)
            return decodeTable.withUnsafeBufferPointer { table -> [UInt8]? in
                var i = 0
                while i < count {
                    let isLast = i + 4 == count
                    let a = table[Int(source[i])], b = table[Int(source[i + 1])]
                    let c = isLast && padding == 2 ? 0 : table[Int(source[i + 2])]
                    let d = isLast && padding >= 1 ? 0 : table[Int(source[i + 3])]
                    guard a < 64, b < 64, c < 64, d < 64 else { return nil }
                    let chunk = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output.append(UInt8(truncatingIfNeeded: chunk >> 16))
                    if !(isLast && padding == 2) { output.append(UInt8(truncatingIfNeeded: chunk >> 8)) }
                    if !(isLast && padding >= 1) { output.append(UInt8(truncatingIfNeeded: chunk)) }
                    i += 4
                }
                return output
            }
        }
    }
}
