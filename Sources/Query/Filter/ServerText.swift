// ServerText: values rendered the way MongoDB's server renders them inside error messages
// (`BSONElement::toString`, `StringBuilder << double`), so our messages match its byte for
// byte. Only error paths use it; nothing here is on a matching hot path.

internal import BSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MongoDB's text forms of BSON values for error messages.
enum ServerText {
    /// `key: value`, as `BSONElement::toString(includeFieldName: true)`.
    static func element(_ key: String, _ value: BSONValue, full: Bool = true) -> String {
        "\(key): \(Self.value(value, full: full))"
    }

    /// A value as `BSONElement::toString` renders it without its name.
    static func value(_ value: BSONValue, full: Bool = true) -> String {
        switch value {
        case .document(let document):
            if document.isEmpty { return "{}" }
            let fields = document.elements.map { element($0.key, $0.value, full: full) }
            return "{ " + fields.joined(separator: ", ") + " }"
        case .array(let elements):
            if elements.isEmpty { return "[]" }
            return "[ " + elements.map { Self.value($0, full: full) }.joined(separator: ", ") + " ]"
        case .datetime(let date):
            return "new Date(\(date.millisecondsSinceEpoch))"
        case .regex(let regex):
            return "/\(regex.pattern)/\(regex.options)"
        case .double(let double):
            return doubleNice(double)
        case .int64(let int):
            return String(int)
        case .int32(let int):
            return String(int)
        case .decimal128(let decimal):
            return decimal.description
        case .bool(let bool):
            return bool ? "true" : "false"
        case .undefined:
            return "undefined"
        case .null:
            return "null"
        case .maxKey:
            return "MaxKey"
        case .minKey:
            return "MinKey"
        case .javascriptWithScope(let code):
            return "CodeWScope( \(code.code), \(Self.value(.document(code.scope), full: full)))"
        case .javascript(let code):
            return code
        case .string(let string), .symbol(let string):
            if !full && string.utf8.count > 160 {
                return "\"" + String(decoding: string.utf8.prefix(150), as: UTF8.self) + "...\""
            }
            return "\"\(string)\""
        case .dbPointer(let pointer):
            return "DBRef('\(pointer.ref)',\(pointer.id.hex))"
        case .objectId(let id):
            return "ObjectId('\(id.hex)')"
        case .binary(let binary):
            if binary.subtype == .uuid && binary.bytes.count == 16 {
                let hex = lowercaseHex(binary.bytes)
                let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
                    String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
                }
                return "UUID(\"\(parts.joined(separator: "-"))\")"
            }
            return "BinData(\(binary.subtype.rawValue), \(lowercaseHex(binary.bytes).uppercased()))"
        case .timestamp(let timestamp):
            return "Timestamp(\(timestamp.timestamp), \(timestamp.increment))"
        }
    }

    /// `StringBuilder::appendDoubleNice`: `%.16g`, plus `.0` when the text has no `.`, `E`
    /// or `N` (so `2` prints `2.0`, and, faithfully, `nan` prints `nan.0`).
    static func doubleNice(_ double: Double) -> String {
        let text = formatted(double, "%.16g")
        if text.contains(".") || text.contains("E") || text.contains("N") { return text }
        return text + ".0"
    }

    /// `StringBuilder << double`: `%g`.
    static func shortDouble(_ double: Double) -> String {
        formatted(double, "%g")
    }

    /// MongoDB's type name (`typeName(BSONType)`), as `$type` returns it.
    static func typeName(_ value: BSONValue?) -> String {
        value?.type.alias ?? "missing"
    }

    private static func formatted(_ double: Double, _ format: String) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let written = withVaList([double]) { arguments in
            buffer.withUnsafeMutableBufferPointer { pointer in
                vsnprintf(pointer.baseAddress, pointer.count, format, arguments)
            }
        }
        let bytes = buffer.prefix(max(0, min(Int(written), 63))).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func lowercaseHex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
