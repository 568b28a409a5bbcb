// CollationRequest: a collation document as a client wrote it, checked against MongoDB's
// `Collation` IDL struct (field types, enumerations, the strength range, unknown and missing
// fields) with MongoDB's codes and messages. Knows nothing of ICU: the locale and the options
// left out are resolved by Collator.

internal import BSON

/// How upper and lower case order at the tertiary level (`caseFirst`).
public enum CollationCaseFirst: String, Sendable, Hashable, CaseIterable {
    case upper, lower, off
}

/// Whether whitespace and punctuation are base characters (`alternate`).
public enum CollationAlternate: String, Sendable, Hashable, CaseIterable {
    case nonIgnorable = "non-ignorable"
    case shifted
}

/// Up to which characters are ignorable under `alternate: "shifted"` (`maxVariable`).
public enum CollationMaxVariable: String, Sendable, Hashable, CaseIterable {
    case punct, space
}

/// The fields of a collation document, each `nil` when the client left it out.
struct CollationRequest: Sendable, Hashable {
    var locale: String
    var caseLevel: Bool?
    var caseFirst: CollationCaseFirst?
    var strength: Int?
    var numericOrdering: Bool?
    var alternate: CollationAlternate?
    var maxVariable: CollationMaxVariable?
    var normalization: Bool?
    var backwards: Bool?
    var version: String?

    /// The locale that means binary comparison.
    static let simpleLocale = "simple"

    /// Parses `document` as MongoDB's IDL parser does (context "collation").
    ///
    /// - Throws: `Location40415` for an unknown field, `Location40413` for a repeated one,
    ///   `Location40414` without `locale`, `TypeMismatch` (14) for a field of the wrong type,
    ///   `BadValue` (2) for a value outside an enumeration (strength 0 included),
    ///   `Location51024` for a strength outside 0...5, `BadValue` for a locale holding a NUL.
    init(_ document: BSONDocument) throws(MongoError) {
        var seen: Set<String> = []
        var locale: String?
        for (name, value) in document {
            guard seen.insert(name).inserted else {
                throw MongoError(.location(40413), "BSON field 'collation.\(name)' is a duplicate field")
            }
            switch name {
            case "locale": locale = try Self.string(name, value)
            case "caseLevel": caseLevel = try Self.bool(name, value)
            case "caseFirst": caseFirst = try Self.enumeration(name, value, CollationCaseFirst.self)
            case "strength": strength = try Self.strength(value)
            case "numericOrdering": numericOrdering = try Self.bool(name, value)
            case "alternate": alternate = try Self.enumeration(name, value, CollationAlternate.self)
            case "maxVariable": maxVariable = try Self.enumeration(name, value, CollationMaxVariable.self)
            case "normalization": normalization = try Self.bool(name, value)
            case "backwards": backwards = try Self.bool(name, value)
            case "version": version = try Self.string(name, value)
            default: throw MongoError(.location(40415), "BSON field 'collation.\(name)' is an unknown field.")
            }
        }
        guard let locale else {
            throw MongoError(.location(40414), "BSON field 'collation.locale' is missing but a required field")
        }
        if locale.utf8.contains(0) {
            throw MongoError(.badValue, "Field 'locale' cannot contain null byte. Collation spec: \(Self.describe(document))")
        }
        self.locale = locale
    }

    /// Whether this is `{locale: "simple"}` (other fields, validated, do not matter: MongoDB
    /// returns the binary comparator for any simple-locale document).
    var isSimple: Bool { locale == Self.simpleLocale }

    private static func wrongType(_ name: String, _ value: BSONValue, expected: String) -> MongoError {
        MongoError(.typeMismatch, "BSON field 'collation.\(name)' is the wrong type '\(value.type.alias)', expected \(expected)")
    }

    private static func string(_ name: String, _ value: BSONValue) throws(MongoError) -> String {
        guard case let .string(text) = value else { throw wrongType(name, value, expected: "type 'string'") }
        return text
    }

    private static func bool(_ name: String, _ value: BSONValue) throws(MongoError) -> Bool {
        guard case let .bool(flag) = value else { throw wrongType(name, value, expected: "type 'bool'") }
        return flag
    }

    private static func enumeration<Value: RawRepresentable<String>>(
        _ name: String, _ value: BSONValue, _: Value.Type
    ) throws(MongoError) -> Value {
        let text = try string(name, value)
        guard let parsed = Value(rawValue: text) else {
            throw MongoError(.badValue, "Enumeration value '\(text)' for field 'collation.\(name)' is not a valid value.")
        }
        return parsed
    }

    /// `strength`: any number (MongoDB's `safeInt`: truncated, saturated, NaN as 0), within
    /// 0...5 by the IDL validator, then one of the five strengths.
    private static func strength(_ value: BSONValue) throws(MongoError) -> Int {
        guard value.isNumeric else {
            throw wrongType("strength", value, expected: "types '[long, int, decimal, double]'")
        }
        let number = ClientNumber.saturatedInteger(value) ?? 0
        let clamped = min(max(number, Int64(Int32.min)), Int64(Int32.max))
        guard clamped >= 0 else {
            throw MongoError(.location(51024), "BSON field 'strength' value must be >= 0, actual value '\(clamped)'")
        }
        guard clamped <= 5 else {
            throw MongoError(.location(51024), "BSON field 'strength' value must be <= 5, actual value '\(clamped)'")
        }
        guard clamped >= 1 else {
            throw MongoError(.badValue, "Enumeration value '0' for field 'collation.strength' is not a valid value.")
        }
        return Int(clamped)
    }

    /// A collation document as it appears in messages; long documents are cut short so an
    /// error about a hostile locale stays small.
    static func describe(_ document: BSONDocument) -> String {
        let text = BSONValue.document(document).extendedJSON()
        guard text.utf8.count > 1024 else { return text }
        return String(decoding: text.utf8.prefix(1024), as: UTF8.self) + "…"
    }
}
