// Malformed filters: each case checks MongoDB's error code and message (from the server's
// expression_parser.cpp, matcher_type_set.cpp, bsonelement.cpp and expression.cpp).

import BSON
import Documents
@testable import Query
import Testing

/// A malformed filter and the error MongoDB returns for it.
struct FilterErrorCase: Sendable, CustomTestStringConvertible {
    let filter: BSONDocument
    let text: String
    let code: Int32
    let message: String
    /// Whether only the message's start is fixed (regex engine texts differ).
    let prefixOnly: Bool

    init(_ text: String, _ code: Int32, _ message: String, prefixOnly: Bool = false) {
        self.filter = doc(text)
        self.text = text
        self.code = code
        self.message = message
        self.prefixOnly = prefixOnly
    }

    init(built filter: BSONDocument, _ text: String, _ code: Int32, _ message: String) {
        self.filter = filter
        self.text = text
        self.code = code
        self.message = message
        self.prefixOnly = false
    }

    var testDescription: String { text }
}

@Suite struct FilterErrorTests {
    static let cases: [FilterErrorCase] = [
        // Unknown operators.
        FilterErrorCase(#"{a: {$foo: 1}}"#, 2, "unknown operator: $foo"),
        FilterErrorCase(#"{$foo: 1}"#, 2, "unknown top level operator: $foo. If you have a field name that starts with a '$' symbol, consider using $getField or $setField."),
        FilterErrorCase(#"{$not: {a: 1}}"#, 2, "unknown top level operator: $not. If you are trying to negate an entire expression, use $nor."),
        FilterErrorCase(#"{a: {$gt: 1, b: 1}}"#, 2, "unknown operator: b"),
        FilterErrorCase(#"{a: {$where: "x"}}"#, 2, "$where cannot be applied to a field"),
        FilterErrorCase(#"{$where: "true"}"#, 2, "$where is not allowed in this context"),
        // $and / $or / $nor.
        FilterErrorCase(#"{$and: []}"#, 2, "$and/$or/$nor must be a nonempty array"),
        FilterErrorCase(#"{$or: 1}"#, 2, "$or must be an array"),
        FilterErrorCase(#"{$nor: [1]}"#, 2, "$or/$and/$nor entries need to be full objects"),
        FilterErrorCase(#"{$or: [{a: {$foo: 1}}]}"#, 2, "unknown operator: $foo"),
        // $in / $nin.
        FilterErrorCase(#"{a: {$in: 1}}"#, 2, "$in needs an array"),
        FilterErrorCase(#"{a: {$nin: "x"}}"#, 2, "$nin needs an array"),
        FilterErrorCase(#"{a: {$in: [{$gt: 1}]}}"#, 2, "cannot nest $ under $in"),
        FilterErrorCase(#"{a: {$in: [{$undefined: true}]}}"#, 2, "InMatchExpression equality cannot be undefined"),
        // Comparisons.
        FilterErrorCase(#"{a: {$ne: /x/}}"#, 2, "Can't have regex as arg to $ne."),
        FilterErrorCase(#"{a: {$gt: /x/}}"#, 2, "Can't have RegEx as arg to predicate over field 'a'."),
        FilterErrorCase(#"{a: {$elemMatch: {$lt: /x/}}}"#, 2, "Can't have RegEx as arg to predicate over field ''."),
        FilterErrorCase(#"{a: {$eq: {$undefined: true}}}"#, 2, "cannot compare to undefined"),
        FilterErrorCase(#"{a: {$undefined: true}}"#, 2, "cannot compare to undefined"),
        // $size.
        FilterErrorCase(#"{a: {$size: "x"}}"#, 2, #"Failed to parse $size. Expected a number in: $size: "x""#),
        FilterErrorCase(#"{a: {$size: -1}}"#, 2, "Failed to parse $size. Expected a non-negative number in: $size: -1"),
        FilterErrorCase(#"{a: {$size: 1.5}}"#, 2, "Failed to parse $size. Expected an integer: $size: 1.5"),
        FilterErrorCase(#"{a: {$size: {$numberLong: "3000000000"}}}"#, 2, "Failed to parse $size. Cannot represent $size: 3000000000 in an int"),
        // $mod.
        FilterErrorCase(#"{a: {$mod: 1}}"#, 2, "malformed mod, needs to be an array"),
        FilterErrorCase(#"{a: {$mod: []}}"#, 2, "malformed mod, not enough elements"),
        FilterErrorCase(#"{a: {$mod: [1]}}"#, 2, "malformed mod, not enough elements"),
        FilterErrorCase(#"{a: {$mod: [1, 2, 3]}}"#, 2, "malformed mod, too many elements"),
        FilterErrorCase(#"{a: {$mod: ["1", 2]}}"#, 2, "malformed mod, divisor not a number"),
        FilterErrorCase(#"{a: {$mod: [1, "2"]}}"#, 2, "malformed mod, remainder not a number"),
        FilterErrorCase(#"{a: {$mod: [null, 3]}}"#, 2, "malformed mod, divisor not a number"),
        FilterErrorCase(#"{a: {$mod: [0, 1]}}"#, 2, "divisor cannot be 0"),
        FilterErrorCase(#"{a: {$mod: [0.5, 1]}}"#, 2, "divisor cannot be 0"),
        FilterErrorCase(#"{a: {$mod: [{$numberDouble: "NaN"}, 1]}}"#, 2, "malformed mod, divisor value is invalid :: caused by :: Unable to coerce NaN/Inf to integral type"),
        FilterErrorCase(#"{a: {$mod: [1, {$numberDouble: "Infinity"}]}}"#, 2, "malformed mod, remainder value is invalid :: caused by :: Unable to coerce NaN/Inf to integral type"),
        FilterErrorCase(#"{a: {$mod: [1, {$numberDouble: "-Infinity"}]}}"#, 2, "malformed mod, remainder value is invalid :: caused by :: Unable to coerce NaN/Inf to integral type"),
        FilterErrorCase(#"{a: {$mod: [1.0e19, 1]}}"#, 2, "malformed mod, divisor value is invalid :: caused by :: Out of bounds coercing to integral value"),
        FilterErrorCase(#"{a: {$mod: [{$numberDecimal: "NaN"}, 1]}}"#, 2, "malformed mod, divisor value is invalid :: caused by :: Unable to coerce NaN/Inf to integral type"),
        // $regex.
        FilterErrorCase(#"{a: {$regex: 1}}"#, 2, "$regex has to be a string"),
        FilterErrorCase(#"{a: {$options: "i"}}"#, 2, "$options needs a $regex"),
        FilterErrorCase(#"{a: {$regex: "x", $options: 1}}"#, 2, "$options has to be a string"),
        FilterErrorCase(
            built: ["a": ["$regex": .regex(BSONRegex(pattern: "x", options: "i")), "$options": "m"]],
            #"{a: {$regex: /x/i, $options: "m"}}"#, 51075, "options set in both $regex and $options"),
        FilterErrorCase(
            built: ["a": ["$options": "m", "$regex": .regex(BSONRegex(pattern: "x", options: "i"))]],
            #"{a: {$options: "m", $regex: /x/i}}"#, 51074, "options set in both $regex and $options"),
        FilterErrorCase(
            built: ["a": ["$regex": "x", "$options": "g"]],
            #"{a: {$regex: "x", $options: "g"}}"#, 51108, " invalid flag in regex options: g"),
        FilterErrorCase(#"{a: /x/q}"#, 51108, " invalid flag in regex options: q"),
        FilterErrorCase(#"{a: {$regex: "(", $exists: true}}"#, 51091, "Regular expression is invalid: ", prefixOnly: true),
        FilterErrorCase(#"{a: {$in: [/[/]}}"#, 51091, "Regular expression is invalid: ", prefixOnly: true),
        FilterErrorCase(#"{a: {$not: /a(/}}"#, 51091, "Regular expression is invalid: ", prefixOnly: true),
        // $type.
        FilterErrorCase(#"{a: {$type: "foo"}}"#, 2, "Unknown type name alias: foo"),
        FilterErrorCase(#"{a: {$type: "missing"}}"#, 2, "'missing' is not a legal type name. To query for non-existence of a field, use {$exists:false}."),
        FilterErrorCase(#"{a: {$type: 100}}"#, 2, "Invalid numerical type code: 100"),
        FilterErrorCase(#"{a: {$type: 0}}"#, 2, "Invalid numerical type code: 0. Instead use {$exists:false}."),
        FilterErrorCase(#"{a: {$type: 1.5}}"#, 2, "Invalid numerical type code: 1.5"),
        FilterErrorCase(#"{a: {$type: true}}"#, 14, "type must be represented as a number or a string"),
        FilterErrorCase(#"{a: {$type: ["string", null]}}"#, 14, "type must be represented as a number or a string"),
        FilterErrorCase(#"{a: {$type: []}}"#, 9, "a must match at least one type"),
        // $all, $elemMatch, $not.
        FilterErrorCase(#"{a: {$all: 1}}"#, 2, "$all needs an array"),
        FilterErrorCase(#"{a: {$all: [{$elemMatch: {b: 1}}, 1]}}"#, 2, "$all/$elemMatch has to be consistent"),
        FilterErrorCase(#"{a: {$all: [{$elemMatch: {b: 1}}, {b: 1}]}}"#, 2, "$all/$elemMatch has to be consistent"),
        FilterErrorCase(#"{a: {$all: [1, {$gt: 1}]}}"#, 2, "no $ expressions in $all"),
        FilterErrorCase(#"{a: {$elemMatch: 1}}"#, 2, "$elemMatch needs an Object"),
        FilterErrorCase(#"{a: {$elemMatch: {$expr: {$eq: [1, 1]}}}}"#, 2, "$expr can only be applied to the top-level document"),
        FilterErrorCase(#"{a: {$elemMatch: {b: {$foo: 1}}}}"#, 2, "unknown operator: $foo"),
        FilterErrorCase(#"{a: {$not: 1}}"#, 2, "$not needs a regex or a document"),
        FilterErrorCase(#"{a: {$not: {}}}"#, 2, "$not cannot be empty"),
        FilterErrorCase(#"{a: {$not: {b: 1}}}"#, 2, "unknown operator: b"),
        // $alwaysTrue / $alwaysFalse.
        FilterErrorCase(#"{$alwaysTrue: 2}"#, 9, "$alwaysTrue must be an integer value of 1"),
        FilterErrorCase(#"{$alwaysFalse: "x"}"#, 9, #"Expected a number in: $alwaysFalse: "x""#),
        FilterErrorCase(#"{$alwaysTrue: 1.5}"#, 9, "Expected an integer: $alwaysTrue: 1.5"),
        // Bitwise operators.
        FilterErrorCase(#"{a: {$bitsAllSet: "x"}}"#, 2, #"a takes an Array, a number, or a BinData but received: $bitsAllSet: "x""#),
        FilterErrorCase(#"{a: {$bitsAllSet: -1}}"#, 9, "Expected a non-negative number in: $bitsAllSet: -1"),
        FilterErrorCase(#"{a: {$bitsAnySet: 1.5}}"#, 9, "Expected an integer: $bitsAnySet: 1.5"),
        FilterErrorCase(#"{a: {$bitsAllClear: [-1]}}"#, 2, "Failed to parse bit position. Expected a non-negative number in: 0: -1"),
        FilterErrorCase(#"{a: {$bitsAnyClear: [1, "x"]}}"#, 2, #"Failed to parse bit position. Expected a number in: 1: "x""#),
        FilterErrorCase(#"{a: {$bitsAllSet: [{$numberLong: "4294967296"}]}}"#, 2, "Failed to parse bit position. Cannot represent 0: 4294967296 in an int"),
        // $expr parse errors.
        FilterErrorCase(#"{$expr: {$foo: 1}}"#, 168, "Unrecognized expression '$foo'"),
        FilterErrorCase(#"{$expr: {$add: 1, $sub: 2}}"#, 15983, "An object representing an expression must have exactly one field: { $add: 1, $sub: 2 }"),
        FilterErrorCase(#"{$expr: {$eq: [1]}}"#, 16020, "Expression $eq takes exactly 2 arguments. 1 were passed in."),
        FilterErrorCase(#"{$expr: {$abs: [1, 2]}}"#, 16020, "Expression $abs takes exactly 1 arguments. 2 were passed in."),
        FilterErrorCase(#"{$expr: {$trunc: [1, 2, 3]}}"#, 28667, "Expression $trunc takes at least 1 arguments, and at most 2, but 3 were passed in."),
        FilterErrorCase(#"{$expr: "$"}"#, 16872, "'$' by itself is not a valid FieldPath"),
        FilterErrorCase(#"{$expr: "$a..b"}"#, 15998, "FieldPath field names may not be empty strings."),
        FilterErrorCase(#"{$expr: "$$foo"}"#, 17276, "Use of undefined variable: foo"),
        FilterErrorCase(#"{$expr: {$cond: {if: true, then: 1}}}"#, 17082, "Missing 'else' parameter to $cond"),
        FilterErrorCase(#"{$expr: {$cond: {if: true, then: 1, else: 2, x: 3}}}"#, 17083, "Unrecognized parameter to $cond: x"),
        FilterErrorCase(#"{$expr: {$ifNull: [1]}}"#, 1_257_300, "$ifNull needs at least two arguments, had: 1"),
    ]

    @Test(arguments: cases)
    func malformedFilterGivesMongoDBError(_ errorCase: FilterErrorCase) {
        guard let error = filterError(errorCase.filter) else {
            Issue.record("\(errorCase.text) parsed without error")
            return
        }
        #expect(error.code.rawValue == errorCase.code, "\(errorCase.text): \(error)")
        if errorCase.prefixOnly {
            #expect(error.message.hasPrefix(errorCase.message), "\(errorCase.text): \(error)")
        } else {
            #expect(error.message == errorCase.message, "\(errorCase.text)")
        }
    }

    @Test func errorCodeNamesFollowMongoDB() {
        #expect(filterError(doc(#"{a: {$foo: 1}}"#))?.code.name == "BadValue")
        #expect(filterError(doc(#"{a: {$type: true}}"#))?.code.name == "TypeMismatch")
        #expect(filterError(doc(#"{$alwaysTrue: 2}"#))?.code.name == "FailedToParse")
        #expect(filterError(doc(#"{a: /x/q}"#))?.code.name == "Location51108")
        #expect(filterError(doc(#"{$expr: {$foo: 1}}"#))?.code.name == "InvalidPipelineOperator")
    }

    @Test func emptyFieldNamesAreLegalPaths() throws {
        let filter = try Filter(doc(#"{"": 1}"#))
        #expect(filter.matches(doc(#"{"": 1}"#)))
        #expect(!filter.matches(doc(#"{a: 1}"#)))
    }
}
