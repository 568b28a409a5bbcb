// ValueText: BSON values printed the way mongod prints them inside error messages
// (`{a: [ 1, 2 ]}`, `_id: "x"`, `(NumberLong)5`). Only error text uses it; never a hot path.

internal import BSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// mongod's `BSONElement::toString` / `BSONObj::toString` rendering, used verbatim in the
/// messages of update errors so they read exactly as MongoDB's.
enum ValueText {
    /// `name: value`, as `BSONElement::toString()` prints an element with its field name.
    static func element(_ name: String, _ value: BSONValue) -> String {
        "\(name): \(text(value))"
    }

    /// `{ a: 1, b: "x" }`; `{}` when empty.
    static func document(_ document: BSONDocument) -> String {
        if document.isEmpty { return "{}" }
        return "{ " + document.elements.map { element($0.key, $0.value) }.joined(separator: ", ") + " }"
    }

    /// `[ 1, 2 ]`; `[]` when empty.
    static func array(_ values: [BSONValue]) -> String {
        if values.isEmpty { return "[]" }
        return "[ " + values.map(text).joined(separator: ", ") + " ]"
    }

    /// A value without a field name.
    static func text(_ value: BSONValue) -> String {
        switch value {
        case .double(let d): return double(d)
        case .string(let s): return quoted(s)
        case .symbol(let s): return quoted(s)
        case .document(let d): return document(d)
        case .array(let a): return array(a)
        case .binary(let b): return "BinData(\(b.subtype.rawValue), \(hex(b.bytes)))"
        case .undefined: return "undefined"
        case .objectId(let o): return "ObjectId('\(o.hex)')"
        case .bool(let b): return b ? "true" : "false"
        case .datetime(let d): return "new Date(\(d.millisecondsSinceEpoch))"
        case .null: return "null"
        case .regex(let r): return "/\(r.pattern)/\(r.options)"
        case .dbPointer(let p): return "DBRef('\(p.ref)',\(p.id.hex))"
        case .javascript(let code): return code
        case .javascriptWithScope(let c): return "CodeWScope( \(c.code), \(document(c.scope)))"
        case .int32(let i): return String(i)
        case .timestamp(let t): return "Timestamp(\(t.timestamp), \(t.increment))"
        case .int64(let i): return String(i)
        case .decimal128(let d): return "NumberDecimal(\"\(d.description)\")"
        case .minKey: return "MinKey"
        case .maxKey: return "MaxKey"
        }
    }

    /// SafeNum's `debugString`: `(NumberInt)42`, `(NumberLong)7`, `(NumberDouble)1.5`.
    static func number(_ value: BSONValue) -> String {
        switch value {
        case .int32(let i): return "(NumberInt)\(i)"
        case .int64(let i): return "(NumberLong)\(i)"
        case .double(let d): return "(NumberDouble)\(double(d))"
        case .decimal128(let d): return "(NumberDecimal)\(d.description)"
        default: return "(EOO)"
        }
    }

    /// mongod's `appendDoubleNice`: `%.16g`, with `.0` added when the text has no `.`, `E`
    /// or `N`.
    static func double(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 40)
        let count = withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, 40, "%.16g", arguments) }
        }
        let bytes = buffer.prefix(Int(max(0, min(count, 39)))).map { UInt8(bitPattern: $0) }
        var text = String(decoding: bytes, as: UTF8.self)
        if !text.contains(".") && !text.contains("E") && !text.contains("N") { text += ".0" }
        return text
    }

    private static func quoted(_ string: String) -> String {
        // mongod abbreviates long strings when not asked for the full text.
        if string.utf8.count > 160 {
            return "\"" + String(decoding: string.utf8.prefix(150), as: UTF8.self) + "...\""
        }
        return "\"" + string + "\""
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }
}
