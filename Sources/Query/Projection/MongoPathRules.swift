// MongoPathRules: the field-path checks MongoDB's FieldPath applies to projection and sort
// paths (codes 40352, 40353, 15998, 16410, 16411), the "Location<N>" error shape those
// assertions produce, and the shell-style text MongoDB prints values with in messages.

internal import BSON
internal import Documents

/// MongoDB's rules for the field paths of projections and sort keys.
enum MongoPathRules {
    /// `$`-prefixed names MongoDB's FieldPath accepts anyway (DBRef parts and metadata).
    private static let allowedDollarNames: Set<String> = [
        "$id", "$ref", "$db", "$sortKey", "$recordId", "$searchSortValues", "$searchScore",
    ]

    /// Splits and checks `dotted` as MongoDB's `FieldPath` constructor does.
    static func fieldPath(_ dotted: String) throws(MongoError) -> FieldPath {
        guard !dotted.isEmpty else {
            throw MongoError.location(40352, "FieldPath cannot be constructed with empty string")
        }
        guard dotted.utf8.last != UInt8(ascii: ".") else {
            throw MongoError.location(40353, "FieldPath must not end with a '.'.")
        }
        let components = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for name in components {
            try checkFieldName(name)
        }
        return FieldPath(components: components)
    }

    /// Checks one path component.
    static func checkFieldName(_ name: String) throws(MongoError) {
        guard !name.isEmpty else {
            throw MongoError.location(15998, "FieldPath field names may not be empty strings.")
        }
        if name.utf8.first == UInt8(ascii: "$") && !allowedDollarNames.contains(name) {
            throw MongoError.location(
                16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
        }
        guard !name.utf8.contains(0) else {
            throw MongoError.location(16411, "FieldPath field names may not contain '\\0'.")
        }
    }
}

extension MongoError {
    /// An error from one of MongoDB's numbered assertions, whose code name is `Location<N>`.
    static func location(_ code: Int32, _ message: String) -> MongoError {
        MongoError(Code(code, "Location\(code)"), message)
    }
}

/// Values as MongoDB's server prints them in error messages (`a: "x"`, `{ b: 1 }`, `[ 1, 2 ]`).
enum ShellText {
    /// `key: value`, as `BSONElement::toString` prints an element.
    static func element(_ key: String, _ value: BSONValue) -> String {
        "\(key): \(describe(value))"
    }

    /// `{ a: 1, b: "x" }`, or `{}` when empty.
    static func document(_ document: BSONDocument) -> String {
        guard !document.isEmpty else { return "{}" }
        return "{ " + document.map { element($0.key, $0.value) }.joined(separator: ", ") + " }"
    }

    /// One value.
    static func describe(_ value: BSONValue) -> String {
        switch value {
        case .double(let v): return number(v)
        case .string(let s): return "\"\(s)\""
        case .document(let d): return document(d)
        case .array(let a):
            return a.isEmpty ? "[]" : "[ " + a.map(describe).joined(separator: ", ") + " ]"
        case .binary(let b): return "BinData(\(b.subtype.rawValue), \(b.bytes.count) bytes)"
        case .undefined: return "undefined"
        case .objectId(let id): return "ObjectId('\(id)')"
        case .bool(let b): return b ? "true" : "false"
        case .datetime(let d): return "new Date(\(d.millisecondsSinceEpoch))"
        case .null: return "null"
        case .regex(let r): return "/\(r.pattern)/\(r.options)"
        case .dbPointer(let p): return "DBRef('\(p.ref)', \(p.id))"
        case .javascript(let code): return code
        case .symbol(let s): return s
        case .javascriptWithScope(let c): return c.code
        case .int32(let v): return String(v)
        case .timestamp(let t): return "Timestamp(\(t.timestamp), \(t.increment))"
        case .int64(let v): return String(v)
        case .decimal128(let d): return "NumberDecimal(\"\(d)\")"
        case .minKey: return "MinKey"
        case .maxKey: return "MaxKey"
        }
    }

    /// A double as MongoDB prints it: integral values without a fraction.
    static func number(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }  // checked: integral, below 1e15
        return String(v)
    }
}
