// Aggregation expressions evaluated directly: result values and exact BSON types (MongoDB's
// numeric widening), null and missing propagation, field paths through arrays, and runtime
// errors with MongoDB's codes and messages.

import BSON
import Documents
@testable import Query
import Testing

/// An expression, the document it runs on, and the exact value MongoDB returns (`nil` for
/// missing).
struct ExpressionCase: Sendable, CustomTestStringConvertible {
    let expression: String
    let document: String
    let expected: BSONValue?

    /// `expected` is written as `{v: <value>}` so Extended JSON can carry it; `nil` means the
    /// result is missing.
    init(_ expression: String, on document: String = "{}", _ expected: String?) {
        self.expression = expression
        self.document = document
        self.expected = expected.map { doc("{v: \($0)}")["v"] ?? .null }
    }

    var testDescription: String { "\(expression) on \(document)" }
}

/// An expression that fails at run time, and MongoDB's error.
struct ExpressionErrorCase: Sendable, CustomTestStringConvertible {
    let expression: String
    let document: String
    let code: Int32
    let message: String

    init(_ expression: String, on document: String = "{}", _ code: Int32, _ message: String) {
        self.expression = expression
        self.document = document
        self.code = code
        self.message = message
    }

    var testDescription: String { expression }
}

@Suite struct ExpressionTests {
    static let cases: [ExpressionCase] = [
        // $add: int stays int, widens to long on overflow, long to double on overflow.
        ExpressionCase(#"{$add: [1, 2]}"#, "3"),
        ExpressionCase(#"{$add: [2147483647, 1]}"#, #"{$numberLong: "2147483648"}"#),
        ExpressionCase(#"{$add: [{$numberLong: "9223372036854775807"}, 1]}"#, #"{$numberDouble: "9.223372036854775807e18"}"#),
        ExpressionCase(#"{$add: [{$numberLong: "1"}, 2]}"#, #"{$numberLong: "3"}"#),
        ExpressionCase(#"{$add: [1, 1.5]}"#, "2.5"),
        ExpressionCase(#"{$add: [1, {$numberDecimal: "1.5"}]}"#, #"{$numberDecimal: "2.5"}"#),
        ExpressionCase(#"{$add: [0.1, {$numberDecimal: "1"}]}"#, #"{$numberDecimal: "1.100000000000000"}"#),
        ExpressionCase(#"{$add: [1, null]}"#, "null"),
        ExpressionCase(#"{$add: [1, "$missing"]}"#, "null"),
        ExpressionCase(#"{$add: [{$date: {$numberLong: "1000"}}, 500]}"#, #"{$date: {$numberLong: "1500"}}"#),
        ExpressionCase(#"{$add: [500, {$date: {$numberLong: "1000"}}, 1.6]}"#, #"{$date: {$numberLong: "1502"}}"#),
        ExpressionCase(#"{$add: []}"#, "0"),
        ExpressionCase(#"{$add: "$a"}"#, on: "{a: 4}", "4"),
        // $subtract.
        ExpressionCase(#"{$subtract: [5, 3]}"#, "2"),
        ExpressionCase(#"{$subtract: [5, 3.5]}"#, "1.5"),
        ExpressionCase(#"{$subtract: [{$numberLong: "5"}, 3]}"#, #"{$numberLong: "2"}"#),
        ExpressionCase(#"{$subtract: [{$numberLong: "-9223372036854775808"}, 1]}"#, #"{$numberDouble: "-9.223372036854775808e18"}"#),
        ExpressionCase(#"{$subtract: [{$date: {$numberLong: "5000"}}, {$date: {$numberLong: "2000"}}]}"#, #"{$numberLong: "3000"}"#),
        ExpressionCase(#"{$subtract: [{$date: {$numberLong: "5000"}}, 1000]}"#, #"{$date: {$numberLong: "4000"}}"#),
        ExpressionCase(#"{$subtract: [{$numberDecimal: "1.5"}, 1]}"#, #"{$numberDecimal: "0.5"}"#),
        ExpressionCase(#"{$subtract: [null, 1]}"#, "null"),
        // $multiply.
        ExpressionCase(#"{$multiply: [2, 3]}"#, "6"),
        ExpressionCase(#"{$multiply: [65536, 65536]}"#, #"{$numberLong: "4294967296"}"#),
        ExpressionCase(#"{$multiply: [{$numberLong: "4611686018427387904"}, 4]}"#, #"{$numberDouble: "1.8446744073709552e19"}"#),
        ExpressionCase(#"{$multiply: [2, 1.5]}"#, "3.0"),
        ExpressionCase(#"{$multiply: [{$numberDecimal: "1.5"}, 2]}"#, #"{$numberDecimal: "3.0"}"#),
        ExpressionCase(#"{$multiply: []}"#, "1"),
        ExpressionCase(#"{$multiply: [2, "$missing"]}"#, "null"),
        // $divide always widens to double, or decimal.
        ExpressionCase(#"{$divide: [6, 3]}"#, "2.0"),
        ExpressionCase(#"{$divide: [1, 4]}"#, "0.25"),
        ExpressionCase(#"{$divide: [{$numberDecimal: "1"}, 4]}"#, #"{$numberDecimal: "0.25"}"#),
        ExpressionCase(#"{$divide: [{$numberDecimal: "1"}, 3]}"#, #"{$numberDecimal: "0.3333333333333333333333333333333333"}"#),
        ExpressionCase(#"{$divide: [{$numberDecimal: "2"}, 3]}"#, #"{$numberDecimal: "0.6666666666666666666666666666666667"}"#),
        ExpressionCase(#"{$divide: [{$numberDecimal: "6"}, 2]}"#, #"{$numberDecimal: "3"}"#),
        ExpressionCase(#"{$divide: [null, 0]}"#, "null"),
        // $mod keeps the wider operand type; the sign follows the dividend.
        ExpressionCase(#"{$mod: [7, 3]}"#, "1"),
        ExpressionCase(#"{$mod: [-7, 3]}"#, "-1"),
        ExpressionCase(#"{$mod: [7, -3]}"#, "1"),
        ExpressionCase(#"{$mod: [7.5, 2]}"#, "1.5"),
        ExpressionCase(#"{$mod: [{$numberLong: "7"}, 3]}"#, #"{$numberLong: "1"}"#),
        ExpressionCase(#"{$mod: [{$numberDecimal: "7.5"}, 2]}"#, #"{$numberDecimal: "1.5"}"#),
        ExpressionCase(#"{$mod: [-2147483648, -1]}"#, "0"),
        // $abs, $ceil, $floor, $trunc.
        ExpressionCase(#"{$abs: -5}"#, "5"),
        ExpressionCase(#"{$abs: -2147483648}"#, #"{$numberLong: "2147483648"}"#),
        ExpressionCase(#"{$abs: {$numberLong: "-5"}}"#, #"{$numberLong: "5"}"#),
        ExpressionCase(#"{$abs: -1.5}"#, "1.5"),
        ExpressionCase(#"{$abs: {$numberDecimal: "-1.5"}}"#, #"{$numberDecimal: "1.5"}"#),
        ExpressionCase(#"{$abs: null}"#, "null"),
        ExpressionCase(#"{$ceil: 1.2}"#, "2.0"),
        ExpressionCase(#"{$ceil: -1.2}"#, "-1.0"),
        ExpressionCase(#"{$floor: -1.2}"#, "-2.0"),
        ExpressionCase(#"{$ceil: 5}"#, "5"),
        ExpressionCase(#"{$ceil: {$numberDecimal: "1.2"}}"#, #"{$numberDecimal: "2"}"#),
        ExpressionCase(#"{$floor: {$numberDecimal: "-1.2"}}"#, #"{$numberDecimal: "-2"}"#),
        ExpressionCase(#"{$trunc: 1.7}"#, "1.0"),
        ExpressionCase(#"{$trunc: -1.7}"#, "-1.0"),
        ExpressionCase(#"{$trunc: [1.789, 2]}"#, "1.78"),
        ExpressionCase(#"{$trunc: [1234, -2]}"#, "1200"),
        ExpressionCase(#"{$trunc: [{$numberDecimal: "1.789"}, 1]}"#, #"{$numberDecimal: "1.7"}"#),
        ExpressionCase(#"{$trunc: [5, null]}"#, "null"),
        // Comparison uses the full cross-type order; missing sorts below null.
        ExpressionCase(#"{$cmp: [1, 2]}"#, "-1"),
        ExpressionCase(#"{$cmp: ["a", 1]}"#, "1"),
        ExpressionCase(#"{$cmp: [2, 2.0]}"#, "0"),
        ExpressionCase(#"{$eq: [1, {$numberDecimal: "1.0"}]}"#, "true"),
        ExpressionCase(#"{$eq: ["$missing", null]}"#, "false"),
        ExpressionCase(#"{$lt: ["$missing", null]}"#, "true"),
        ExpressionCase(#"{$gt: [{a: 2}, {a: 1}]}"#, "true"),
        ExpressionCase(#"{$ne: [[1, 2], [1, 2]]}"#, "false"),
        // Boolean operators coerce with aggregation truthiness.
        ExpressionCase(#"{$and: [1, "x", []]}"#, "true"),
        ExpressionCase(#"{$and: [1, 0]}"#, "false"),
        ExpressionCase(#"{$and: []}"#, "true"),
        ExpressionCase(#"{$or: [0, null, "$missing"]}"#, "false"),
        ExpressionCase(#"{$or: [0, {$numberDecimal: "0.1"}]}"#, "true"),
        ExpressionCase(#"{$not: [[]]}"#, "false"),
        ExpressionCase(#"{$not: [{$numberLong: "0"}]}"#, "true"),
        // Conditionals.
        ExpressionCase(#"{$cond: [true, "a", "b"]}"#, #""a""#),
        ExpressionCase(#"{$cond: [null, "a", "b"]}"#, #""b""#),
        ExpressionCase(#"{$cond: {if: 0, then: 1, else: 2}}"#, "2"),
        ExpressionCase(#"{$ifNull: [null, "$missing", 3]}"#, "3"),
        ExpressionCase(#"{$ifNull: ["$a", 1]}"#, on: "{a: 0}", "0"),
        ExpressionCase(#"{$ifNull: ["$a", "$b"]}"#, nil),
        // Arrays and strings.
        ExpressionCase(#"{$in: [2, [1, 2]]}"#, "true"),
        ExpressionCase(#"{$in: ["2", [1, 2]]}"#, "false"),
        ExpressionCase(#"{$in: [1.0, [{$numberLong: "1"}]]}"#, "true"),
        ExpressionCase(#"{$in: ["$a", "$b"]}"#, on: "{a: 3, b: [1, 3]}", "true"),
        ExpressionCase(#"{$size: [[1, 2, 3]]}"#, "3"),
        ExpressionCase(#"{$size: "$a"}"#, on: "{a: []}", "0"),
        ExpressionCase(#"{$arrayElemAt: [[1, 2, 3], 0]}"#, "1"),
        ExpressionCase(#"{$arrayElemAt: [[1, 2, 3], -1]}"#, "3"),
        ExpressionCase(#"{$arrayElemAt: [[1, 2, 3], 5]}"#, nil),
        ExpressionCase(#"{$arrayElemAt: [[1, 2, 3], -4]}"#, nil),
        ExpressionCase(#"{$arrayElemAt: [[1, 2, 3], 1.0]}"#, "2"),
        ExpressionCase(#"{$arrayElemAt: ["$missing", 1]}"#, "null"),
        ExpressionCase(#"{$concat: ["a", "b", "c"]}"#, #""abc""#),
        ExpressionCase(#"{$concat: ["a", null]}"#, "null"),
        ExpressionCase(#"{$concat: []}"#, #""""#),
        ExpressionCase(#"{$toLower: "AbC"}"#, #""abc""#),
        ExpressionCase(#"{$toUpper: "abcé"}"#, #""ABCé""#),
        ExpressionCase(#"{$toLower: null}"#, #""""#),
        ExpressionCase(#"{$toUpper: 5}"#, #""5""#),
        ExpressionCase(#"{$toUpper: 1.5}"#, #""1.5""#),
        ExpressionCase(#"{$toUpper: {$date: {$numberLong: "86400001"}}}"#, #""1970-01-02T00:00:00.001Z""#),
        ExpressionCase(#"{$toUpper: {$date: {$numberLong: "-1"}}}"#, #""1969-12-31T23:59:59.999Z""#),
        ExpressionCase(#"{$type: 1}"#, #""int""#),
        ExpressionCase(#"{$type: 1.5}"#, #""double""#),
        ExpressionCase(#"{$type: "$missing"}"#, #""missing""#),
        ExpressionCase(#"{$type: [[1]]}"#, #""array""#),
        ExpressionCase(#"{$type: {$numberLong: "1"}}"#, #""long""#),
        ExpressionCase(#"{$type: null}"#, #""null""#),
        // Field paths traverse arrays of documents, skipping scalars and nested arrays; a
        // numeric component is a field name, never an index.
        ExpressionCase(#""$a.b""#, on: "{a: [{b: 1}, {c: 2}, {b: 3}, 4]}", "[1, 3]"),
        ExpressionCase(#""$a.b""#, on: "{a: [[{b: 1}]]}", "[]"),
        ExpressionCase(#""$a.0""#, on: "{a: [1, 2]}", "[]"),
        ExpressionCase(#""$a.b.c""#, on: "{a: {b: [{c: 1}, {c: [2]}]}}", "[1, [2]]"),
        ExpressionCase(#""$a.b""#, on: "{a: 1}", nil),
        ExpressionCase(#""$$ROOT""#, on: "{a: 1}", "{a: 1}"),
        ExpressionCase(#""$$CURRENT.a""#, on: "{a: 1}", "1"),
        ExpressionCase(#""$$REMOVE""#, on: "{a: 1}", nil),
        ExpressionCase(#"{$literal: "$a"}"#, on: "{a: 1}", #""$a""#),
        ExpressionCase(#"{$literal: {$add: [1, 2]}}"#, #"{$add: [1, 2]}"#),
        ExpressionCase(#"[1, "$missing", "$a"]"#, on: "{a: 2}", "[1, null, 2]"),
        ExpressionCase(#"{x: "$a", y: "$missing", z: {$add: [1, 1]}}"#, on: "{a: 2}", "{x: 2, z: 2}"),
    ]

    @Test(arguments: cases)
    func expressionEvaluatesLikeMongoDB(_ expressionCase: ExpressionCase) throws {
        let parsed = try Expression.parse(doc("{e: \(expressionCase.expression)}")["e"] ?? .null)
        let value = try parsed.evaluate(root: .document(doc(expressionCase.document)))
        // Structural equality: the BSON type must match too (int vs long vs double).
        #expect(value == expressionCase.expected, "\(expressionCase.expression) gave \(String(describing: value))")
    }

    static let errors: [ExpressionErrorCase] = [
        ExpressionErrorCase(#"{$add: ["$a", 1]}"#, on: #"{a: "x"}"#, 14, "$add only supports numeric or date types, not string"),
        ExpressionErrorCase(#"{$add: [{$date: {$numberLong: "0"}}, {$date: {$numberLong: "0"}}]}"#, 16612, "only one date allowed in an $add expression"),
        ExpressionErrorCase(#"{$add: [{$date: {$numberLong: "9223372036854775807"}}, 1]}"#, 15, "date overflow"),
        ExpressionErrorCase(#"{$subtract: ["x", 1]}"#, 14, "can't $subtract int from string"),
        ExpressionErrorCase(#"{$subtract: [{$date: {$numberLong: "0"}}, "x"]}"#, 14, "can't $subtract string from Date"),
        ExpressionErrorCase(#"{$subtract: [1, {$date: {$numberLong: "0"}}]}"#, 14, "can't $subtract date from int"),
        ExpressionErrorCase(#"{$multiply: [1, "x"]}"#, 14, "$multiply only supports numeric types, not string"),
        ExpressionErrorCase(#"{$divide: [1, 0]}"#, 2, "can't $divide by zero"),
        ExpressionErrorCase(#"{$divide: [{$numberDecimal: "1"}, 0]}"#, 2, "can't $divide by zero"),
        ExpressionErrorCase(#"{$divide: [1, "x"]}"#, 14, "$divide only supports numeric types, not int and string"),
        ExpressionErrorCase(#"{$mod: [1, 0]}"#, 16610, "can't $mod by zero"),
        ExpressionErrorCase(#"{$mod: [{$numberDecimal: "1"}, 0]}"#, 5_733_415, "can't $mod by zero"),
        ExpressionErrorCase(#"{$mod: ["a", 1]}"#, 16611, "$mod only supports numeric types, not string and int"),
        ExpressionErrorCase(#"{$abs: "x"}"#, 28765, "$abs only supports numeric types, not string"),
        ExpressionErrorCase(#"{$abs: {$numberLong: "-9223372036854775808"}}"#, 28680, "can't take $abs of long long min"),
        ExpressionErrorCase(#"{$ceil: "x"}"#, 28765, "$ceil only supports numeric types, not string"),
        ExpressionErrorCase(#"{$floor: [[1]]}"#, 28765, "$floor only supports numeric types, not array"),
        ExpressionErrorCase(#"{$trunc: "x"}"#, 51081, "$trunc only supports numeric types, not string"),
        ExpressionErrorCase(#"{$trunc: [1.5, 0.5]}"#, 51082, "precision argument to  $trunc must be a integral value"),
        ExpressionErrorCase(#"{$trunc: [1.5, 101]}"#, 51083, "cannot apply $trunc with precision value 101 value must be in [-20, 100]"),
        ExpressionErrorCase(#"{$size: 1}"#, 17124, "The argument to $size must be an array. Type of argument was: int"),
        ExpressionErrorCase(#"{$size: "$missing"}"#, 17124, "The argument to $size must be an array. Type of argument was: missing"),
        ExpressionErrorCase(#"{$arrayElemAt: [1, 0]}"#, 28689, "$arrayElemAt's first argument must be an array, but is int"),
        ExpressionErrorCase(#"{$arrayElemAt: [[1], "x"]}"#, 28690, "$arrayElemAt's second argument must be a numeric value, but is string"),
        ExpressionErrorCase(#"{$arrayElemAt: [[1], 1.5]}"#, 28691, "$arrayElemAt's second argument must be representable as a 32-bit integer: 1.5"),
        ExpressionErrorCase(#"{$concat: ["a", 1]}"#, 16702, "$concat only supports strings, not int"),
        ExpressionErrorCase(#"{$toUpper: [[1]]}"#, 16007, "can't convert from BSON type array to String"),
        ExpressionErrorCase(#"{$in: [1, "x"]}"#, 40081, "$in requires an array as a second argument, found: string"),
        ExpressionErrorCase(#"{$in: [1, "$missing"]}"#, 40081, "$in requires an array as a second argument, found: missing"),
    ]

    @Test(arguments: errors)
    func runtimeErrorCarriesMongoDBCode(_ errorCase: ExpressionErrorCase) throws {
        let parsed = try Expression.parse(doc("{e: \(errorCase.expression)}")["e"] ?? .null)
        #expect {
            _ = try parsed.evaluate(root: .document(doc(errorCase.document)))
        } throws: { error in
            guard let error = error as? MongoError else { return false }
            return error.code.rawValue == errorCase.code && error.message == errorCase.message
        }
    }

    @Test func exprErrorFailsEvaluateButNotMatches() throws {
        let filter = try Filter(doc(#"{$expr: {$gt: [{$add: ["$a", 1]}, 0]}}"#))
        #expect(filter.matches(doc("{a: 1}")))
        #expect(!filter.matches(doc(#"{a: "x"}"#)))
        #expect(throws: MongoError(.typeMismatch, "$add only supports numeric or date types, not string")) {
            _ = try filter.evaluate(doc(#"{a: "x"}"#))
        }
    }

    @Test func evaluationDoesNotReparse() throws {
        // The tree is built once; evaluating twice gives the same answers.
        let parsed = try Expression.parse(doc(#"{e: {$add: ["$a", 2]}}"#)["e"] ?? .null)
        guard case .operation(.add, let arguments) = parsed else {
            Issue.record("expected an $add operation, got \(parsed)")
            return
        }
        #expect(arguments.count == 2)
        #expect(try parsed.evaluate(root: .document(doc("{a: 1}"))) == .int32(3))
        #expect(try parsed.evaluate(root: .document(doc("{a: 2}"))) == .int32(4))
    }
}
