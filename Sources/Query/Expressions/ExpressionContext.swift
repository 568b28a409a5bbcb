// ExpressionContext: the user variables in scope while an expression is parsed (`$let`,
// `$map`, `$filter`, `$reduce`, a pipeline's `let`, `$lookup`'s `let`), each given a slot so
// evaluation reads variables by index, never by name. Also MongoDB's variable-name rules.

public import BSON
public import Collation
import Documents

/// Parse-time scope of user variables: names visible now and the slots they occupy.
public struct ExpressionContext: Sendable {
    private var visible: [String: Int] = [:]
    /// How many slots have been handed out (the size evaluation's variable array needs).
    public private(set) var slotCount = 0
    /// The operation's collation, for the filters and sorts parsed in this context
    /// (`$match`, `$sort`); `nil` for the simple one.
    public var collator: Collator?

    /// A context with no user variables, under `collator`.
    public init(collator: Collator? = nil) {
        self.collator = collator
    }

    /// The slot of the visible variable `name`.
    public func slot(for name: String) -> Int? {
        visible[name]
    }

    /// The names visible now and their slots.
    public var visibleVariables: [String: Int] { visible }

    /// Declares `name` (visible until `restore(_:)` is given an earlier ``visibleVariables``)
    /// and returns its new slot.
    ///
    /// - Throws: MongoDB's errors for names users may not define (16866, 16867, 16868).
    public mutating func declare(_ name: String) throws(MongoError) -> Int {
        try Self.validateNameForWrite(name)
        return declareUnchecked(name)
    }

    /// Declares `name` without validating it (internal names such as `$$this`).
    mutating func declareUnchecked(_ name: String) -> Int {
        let slot = slotCount
        slotCount += 1
        visible[name] = slot
        return slot
    }

    /// Makes exactly `variables` visible again (leaving a `$let` or `$map` body).
    public mutating func restore(_ variables: [String: Int]) {
        visible = variables
    }

    /// `variableValidation::validateNameForUserWrite`.
    static func validateNameForWrite(_ name: String) throws(MongoError) {
        try validate(name, empty: 16866, start: 16867, contains: 16868, noun: "a user variable name")
    }

    /// `variableValidation::validateNameForUserRead`.
    static func validateNameForRead(_ name: String) throws(MongoError) {
        try validate(name, empty: 16869, start: 16870, contains: 16871, noun: "a user variable name")
    }

    private static func validate(_ name: String, empty: Int32, start: Int32, contains: Int32, noun: String) throws(MongoError) {
        guard let first = name.unicodeScalars.first else {
            throw MongoError(.location(empty), "empty variable names are not allowed")
        }
        guard (first >= "a" && first <= "z") || !first.isASCII else {
            throw MongoError(.location(start), "'\(name)' starts with an invalid character for \(noun)")
        }
        for scalar in name.unicodeScalars.dropFirst() {
            let valid = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "_" || !scalar.isASCII
            if !valid {
                throw MongoError(.location(contains), "'\(name)' contains an invalid character for a variable name: '\(scalar)'")
            }
        }
    }
}
