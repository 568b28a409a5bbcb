// HexText: bytes as lowercase hexadecimal text, as MongoDB prints digests (SCRAM-SHA-1's
// password digest, dbHash's MD5s).

/// Lowercase hexadecimal text.
enum HexText {
    /// `bytes` as two lowercase hex digits each.
    static func lowercase<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
