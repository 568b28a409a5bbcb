// Decimal128 arithmetic used by expressions: IEEE 754-2008 results (34 digits, half to even,
// preferred exponents, overflow to infinity) written as the decimal's canonical string.

import BSON
@testable import Query
import Testing

@Suite struct ExpressionDecimalTests {
    private func decimal(_ text: String) throws -> Decimal128 {
        try #require(Decimal128(text))
    }

    @Test func additionKeepsThePreferredExponent() throws {
        #expect(DecimalArithmetic.add(try decimal("1.5"), try decimal("2.25")).description == "3.75")
        #expect(DecimalArithmetic.add(try decimal("1.0"), try decimal("2")).description == "3.0")
        // The result takes the smaller exponent: 1E+2 + 0 is 100, 1E+2 + 0E+5 stays 1E+2.
        #expect(DecimalArithmetic.add(try decimal("1E+2"), try decimal("0")).description == "100")
        #expect(DecimalArithmetic.add(try decimal("1E+2"), try decimal("0E+5")).description == "1E+2")
        #expect(DecimalArithmetic.add(try decimal("5"), try decimal("-5")).description == "0")
    }

    @Test func additionRoundsToThirtyFourDigitsHalfToEven() throws {
        #expect(DecimalArithmetic.add(try decimal("1"), try decimal("1E-40")).description == "1.000000000000000000000000000000000")
        #expect(DecimalArithmetic.add(try decimal("1E+100"), try decimal("1")).description == "1.000000000000000000000000000000000E+100")
        #expect(DecimalArithmetic.subtract(try decimal("1"), try decimal("1E-40")).description == "1.000000000000000000000000000000000")
        // 1 + 0.5E-33 is a tie at the 34th digit: half to even keeps 1.000...0.
        #expect(DecimalArithmetic.add(try decimal("1"), try decimal("5E-34")).description == "1.000000000000000000000000000000000")
        #expect(DecimalArithmetic.add(try decimal("1.000000000000000000000000000000001"), try decimal("5E-34")).description == "1.000000000000000000000000000000002")
    }

    @Test func overflowBecomesInfinity() throws {
        let big = try decimal("9.999999999999999999999999999999999E+6144")
        #expect(DecimalArithmetic.add(big, big).description == "Infinity")
        #expect(DecimalArithmetic.multiply(big, try decimal("-10")).description == "-Infinity")
    }

    @Test func multiplicationAndDivision() throws {
        #expect(DecimalArithmetic.multiply(try decimal("1.5"), try decimal("1.5")).description == "2.25")
        #expect(DecimalArithmetic.divide(try decimal("1"), try decimal("8")).description == "0.125")
        #expect(DecimalArithmetic.divide(try decimal("10"), try decimal("4")).description == "2.5")
        #expect(DecimalArithmetic.divide(try decimal("1"), try decimal("7")).description == "0.1428571428571428571428571428571429")
        #expect(DecimalArithmetic.divide(try decimal("-6.0"), try decimal("3")).description == "-2.0")
    }

    @Test func remainderTruncatesTowardZero() throws {
        #expect(DecimalArithmetic.remainder(try decimal("10"), try decimal("3")).description == "1")
        #expect(DecimalArithmetic.remainder(try decimal("-10"), try decimal("3")).description == "-1")
        #expect(DecimalArithmetic.remainder(try decimal("5.5"), try decimal("2")).description == "1.5")
        #expect(DecimalArithmetic.remainder(try decimal("1E+10"), try decimal("7")).description == "4")
        #expect(DecimalArithmetic.remainder(try decimal("1E+200"), try decimal("7")).description == "2")
        #expect(DecimalArithmetic.remainder(try decimal("3"), try decimal("1E+5")).description == "3")
    }

    @Test func roundingToAnExponent() throws {
        #expect(DecimalArithmetic.rounded(try decimal("2.5"), toExponent: 0, .toNearestOrEven).description == "2")
        #expect(DecimalArithmetic.rounded(try decimal("3.5"), toExponent: 0, .toNearestOrEven).description == "4")
        #expect(DecimalArithmetic.rounded(try decimal("-2.5"), toExponent: 0, .down).description == "-3")
        #expect(DecimalArithmetic.rounded(try decimal("-2.5"), toExponent: 0, .up).description == "-2")
        #expect(DecimalArithmetic.rounded(try decimal("-2.5"), toExponent: 0, .towardZero).description == "-2")
        #expect(DecimalArithmetic.int64(try decimal("12.9"), rounding: .towardZero) == 12)
        #expect(DecimalArithmetic.int64(try decimal("1E+30"), rounding: .towardZero) == nil)
    }

    @Test func doublesBecomeFifteenDigitDecimals() {
        #expect(DecimalArithmetic.fromDouble15(0.1).description == "0.100000000000000")
        #expect(DecimalArithmetic.fromDouble15(1.0 / 3.0).description == "0.333333333333333")
        #expect(DecimalArithmetic.fromDouble15(123456789.0).description == "123456789.000000")
        #expect(DecimalArithmetic.fromDouble15(9.9999999999999999).description == "10.0000000000000")
        #expect(DecimalArithmetic.fromDouble15(0).description == "0")
    }
}

/// Decimal arithmetic at the ends of the exponent range: a client can send any of these as a
/// `$densify` step, a `$sum` operand or an `$add` argument; each must give a value, never trap.
@Suite struct DecimalExtremesTests {
    private let extremes = ["1E-6176", "-1E-6176", "9.999999999999999999999999999999999E+6144",
                            "-9.999999999999999999999999999999999E+6144", "0E-6176", "0E+6111", "5", "-5",
                            "1E+40", "9223372036854775808", "1.000000000000000000000000000000001"]

    @Test func everyPairAddsSubtractsMultipliesAndDividesWithoutTrapping() throws {
        for left in extremes {
            for right in extremes {
                let a = try #require(Decimal128(left)), b = try #require(Decimal128(right))
                _ = DecimalArithmetic.add(a, b)
                _ = DecimalArithmetic.subtract(a, b)
                _ = DecimalArithmetic.multiply(a, b)
                _ = DecimalArithmetic.divide(a, b)
            }
        }
    }

    @Test func addingTheSmallestDecimalToAnIntegerRoundsBackToIt() throws {
        let sum = DecimalArithmetic.add(try #require(Decimal128("5")), try #require(Decimal128("1E-6176")))
        #expect(sum.description == "5.000000000000000000000000000000000")
    }
}
