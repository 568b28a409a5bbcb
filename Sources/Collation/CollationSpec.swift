// CollationSpec: a collation with every option resolved (the client's values, the locale's
// defaults for the rest, the ICU version), as MongoDB stores it with a collection or index and
// shows it in listCollections and listIndexes.

public import BSON

/// A fully resolved collation.
public struct CollationSpec: Sendable, Hashable {
    /// The locale, as ICU names it.
    public var locale: String
    /// Whether case is compared at strengths 1 and 2.
    public var caseLevel: Bool
    /// Which case sorts first at the tertiary level.
    public var caseFirst: CollationCaseFirst
    /// 1 (base letters) to 5 (identical).
    public var strength: Int
    /// Whether digit sequences compare as numbers.
    public var numericOrdering: Bool
    /// Whether whitespace and punctuation are ignorable.
    public var alternate: CollationAlternate
    /// Up to which characters are ignorable when `alternate` is shifted.
    public var maxVariable: CollationMaxVariable
    /// Whether text is normalized before it is compared.
    public var normalization: Bool
    /// Whether secondary differences (accents) are compared from the end (French).
    public var backwards: Bool
    /// The ICU version.
    public var version: String

    /// The specification as MongoDB writes it: every field, in MongoDB's order.
    public var document: BSONDocument {
        [
            "locale": .string(locale), "caseLevel": .bool(caseLevel), "caseFirst": .string(caseFirst.rawValue),
            "strength": .int32(Int32(clamping: strength)), "numericOrdering": .bool(numericOrdering),
            "alternate": .string(alternate.rawValue), "maxVariable": .string(maxVariable.rawValue),
            "normalization": .bool(normalization), "backwards": .bool(backwards), "version": .string(version),
        ]
    }
}
