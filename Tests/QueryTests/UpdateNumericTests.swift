// MongoDB's numeric rules for $inc/$mul/$bit (SafeNum): int32 overflow widens to int64, int64
// overflow is an error, doubles and decimals win; and Decimal128 arithmetic with IEEE 754
// round-half-even at 34 digits, preferred exponents, overflow and signed zeros.

import BSON
import Documents
import Testing
@testable import Query

@Suite struct UpdateNumericTests {
    private func decimal(_ text: String) throws -> Decimal128 {
        try #require(Decimal128(text))
    }

    static let additions: [(String, String, String)] = [
        ("1.5", "2", "3.5"),
        ("0.1", "0.2", "0.3"),
        ("1.50", "-1.5", "0.00"),
        ("1E+10", "1E-10", "10000000000.0000000001"),
        ("9999999999999999999999999999999999", "1", "1.000000000000000000000000000000000E+34"),
        ("9999999999999999999999999999999999", "0.5", "1.000000000000000000000000000000000E+34"),
        ("9999999999999999999999999999999998", "0.5", "9999999999999999999999999999999998"),
        ("9999999999999999999999999999999998", "0.51", "9999999999999999999999999999999999"),
        ("1E+40", "-1E-40", "1.000000000000000000000000000000000E+40"),
        ("1E+40", "1E-40", "1.000000000000000000000000000000000E+40"),
        ("-0", "-0", "-0"),
        ("0", "-0", "0"),
        ("-5", "3", "-2"),
        ("3", "-5", "-2"),
        ("Infinity", "1", "Infinity"),
        ("Infinity", "-Infinity", "NaN"),
        ("NaN", "1", "NaN"),
        ("9.999999999999999999999999999999999E+6144", "9.999999999999999999999999999999999E+6144", "Infinity"),
    ]

    @Test(arguments: additions) func decimalAddition(_ row: (String, String, String)) throws {
        let sum = DecimalArithmetic.add(try decimal(row.0), try decimal(row.1))
        #expect(sum.description == row.2, "\(row.0) + \(row.1)")
    }

    static let products: [(String, String, String)] = [
        ("10.99", "1.25", "13.7375"),
        ("2", "0.5", "1.0"),
        ("-2", "3", "-6"),
        ("-2", "0", "-0"),
        ("1.0", "0", "0.0"),
        ("3333333333333333333333333333333333", "3", "9999999999999999999999999999999999"),
        ("3333333333333333333333333333333333", "4", "1.333333333333333333333333333333333E+34"),
        ("5555555555555555555555555555555555", "3", "1.666666666666666666666666666666666E+34"),
        ("1E-6176", "0.1", "0E-6176"),
        ("1E+6144", "10", "Infinity"),
        ("Infinity", "0", "NaN"),
        ("-Infinity", "2", "-Infinity"),
    ]

    @Test(arguments: products) func decimalMultiplication(_ row: (String, String, String)) throws {
        let product = DecimalArithmetic.multiply(try decimal(row.0), try decimal(row.1))
        #expect(product.description == row.2, "\(row.0) × \(row.1)")
    }

    @Test func doublesMixedWithDecimalsRoundTo15Digits() {
        #expect(DecimalArithmetic.fromDouble15(0.1).description == "0.100000000000000")
        #expect(DecimalArithmetic.fromDouble15(2.5).description == "2.50000000000000")
        #expect(DecimalArithmetic.fromDouble15(1.0 / 3.0).description == "0.333333333333333")
        #expect(DecimalArithmetic.fromDouble15(123456.0).description == "123456.000000000")
    }

    @Test func integerPromotion() {
        #expect(NumericArithmetic.add(.int32(.max), .int32(1)) == .int64(Int64(Int32.max) + 1))
        #expect(NumericArithmetic.add(.int32(1), .int32(2)) == .int32(3))
        #expect(NumericArithmetic.add(.int64(.max), .int32(1)) == nil)
        #expect(NumericArithmetic.add(.int64(1), .double(0.5)) == .double(1.5))
        #expect(NumericArithmetic.multiply(.int32(.max), .int32(2)) == .int64(Int64(Int32.max) * 2))
        #expect(NumericArithmetic.multiply(.int64(.max), .int64(2)) == nil)
        #expect(NumericArithmetic.multiply(.double(-2.5), .int32(0)) == .double(-0.0))
        #expect(NumericArithmetic.bitwise(.or, .int32(1), .int64(4)) == .int64(5))
    }

    @Test func identityIsTypeAndValue() {
        #expect(NumericArithmetic.isIdentical(.int32(1), .int32(1)))
        #expect(!NumericArithmetic.isIdentical(.int32(1), .int64(1)))
        #expect(!NumericArithmetic.isIdentical(.int32(1), .double(1)))
        #expect(NumericArithmetic.isIdentical(.double(-0.0), .double(0.0)))
        #expect(!NumericArithmetic.isIdentical(.double(.nan), .double(.nan)))
    }

    static let incCases: [UpdateCase] = [
        UpdateCase("$inc of a double by NaN gives NaN", #"{"_id": 1, "a": 1.5}"#, #"{"$inc": {"a": {"$numberDouble": "NaN"}}}"#,
                   after: #"{"_id": 1, "a": {"$numberDouble": "NaN"}}"#),
        UpdateCase("$inc of an int64 stays exact beyond 2^53", #"{"_id": 1, "a": {"$numberLong": "9007199254740993"}}"#,
                   #"{"$inc": {"a": 2}}"#, after: #"{"_id": 1, "a": {"$numberLong": "9007199254740995"}}"#),
        UpdateCase("$mul of a decimal by a double", #"{"_id": 1, "a": {"$numberDecimal": "2"}}"#, #"{"$mul": {"a": 0.5}}"#,
                   after: #"{"_id": 1, "a": {"$numberDecimal": "1.000000000000000"}}"#),
        UpdateCase("$mul of a missing field by a decimal", #"{"_id": 1}"#, #"{"$mul": {"a": {"$numberDecimal": "1.5"}}}"#,
                   after: #"{"_id": 1, "a": {"$numberDecimal": "0.0"}}"#),
        UpdateCase("$inc of a missing field by -0.0 keeps the sign", #"{"_id": 1}"#, #"{"$inc": {"a": -0.0}}"#,
                   after: #"{"_id": 1, "a": -0.0}"#),
    ]

    @Test(arguments: incCases) func arithmeticUpdates(_ testCase: UpdateCase) { testCase.check() }

    @Test func errorTextMatchesMongod() {
        #expect(ValueText.element("a", .double(1)) == "a: 1.0")
        #expect(ValueText.element("a", .double(2.5)) == "a: 2.5")
        #expect(ValueText.element("a", .int64(5)) == "a: 5")
        #expect(ValueText.text(.document(document(#"{"a": [1, {"b": "x"}], "c": {}}"#))) == #"{ a: [ 1, { b: "x" } ], c: {} }"#)
        #expect(ValueText.text(.array([])) == "[]")
        #expect(ValueText.number(.int32(42)) == "(NumberInt)42")
        #expect(ValueText.number(.int64(7)) == "(NumberLong)7")
    }
}
