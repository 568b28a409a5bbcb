// Shared helpers for tests that read ../shared/conformance in place: locating the corpus,
// reading its JSON files, hex decoding, and normalising Extended JSON text for comparison.

import Foundation

enum Conformance {
    /// The shared conformance directory, found relative to this source file.
    static let root: URL = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // BSONTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repository root
            .deletingLastPathComponent()  // its parent, which holds shared/
            .appendingPathComponent("shared/conformance")
    }()

    /// The BSON corpus files, sorted by name.
    static func bsonCorpusFiles() throws -> [URL] {
        let directory = root.appendingPathComponent("bson-corpus")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// A corpus file's top-level JSON object.
    static func readJSONObject(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }
}

/// Decodes a hex string (either case) into bytes; `nil` on odd length or a bad digit.
func bytes(fromHex hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var result: [UInt8] = []
    result.reserveCapacity(digits.count / 2)
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }
    var index = 0
    while index < digits.count {
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        result.append(high << 4 | low)
        index += 2
    }
    return result
}

/// Uppercase hex of `bytes`, as the corpus writes it.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02X", $0) }.joined()
}

/// JSON text in a normal form: whitespace between tokens removed, and `\uXXXX` escapes of
/// printable characters (other than `"` and `\\`) replaced by the characters themselves, so
/// two serialisations of the same JSON that differ only in spacing or escaping compare equal.
func normalizedJSON(_ text: String) -> String {
    let input = Array(text.utf8)
    var out: [UInt8] = []
    var inString = false
    var index = 0
    func hexValue(at position: Int) -> UInt32? {
        guard position + 4 <= input.count else { return nil }
        return UInt32(String(decoding: input[position..<(position + 4)], as: UTF8.self), radix: 16)
    }
    while index < input.count {
        let byte = input[index]
        if inString {
            if byte == UInt8(ascii: "\\"), index + 1 < input.count {
                if input[index + 1] == UInt8(ascii: "u"), var scalar = hexValue(at: index + 2) {
                    var consumed = 6
                    if (0xD800...0xDBFF).contains(scalar), index + 12 <= input.count,
                       input[index + 6] == UInt8(ascii: "\\"), input[index + 7] == UInt8(ascii: "u"),
                       let low = hexValue(at: index + 8), (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        consumed = 12
                    }
                    if scalar >= 0x20, scalar != 0x22, scalar != 0x5C, let character = Unicode.Scalar(scalar) {
                        out.append(contentsOf: Array(String(Character(character)).utf8))
                        index += consumed
                        continue
                    }
                }
                out.append(byte)
                out.append(input[index + 1])
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = false }
            out.append(byte)
        } else if byte == UInt8(ascii: "\"") {
            inString = true
            out.append(byte)
        } else if byte != 0x20, byte != 0x0A, byte != 0x0D, byte != 0x09 {
            out.append(byte)
        }
        index += 1
    }
    return String(decoding: out, as: UTF8.self)
}
