// MongoDB's order on numbers of different BSON types (double, int32, int64, decimal128): exact
// mathematical value in every pairing, NaN equal to NaN and below all numbers, and the hash that
// agrees with it. Knows no other BSON type; never allocates, formats text or uses Foundation.

/// Comparison and hashing of BSON numbers by value, across types, as MongoDB orders them.
///
/// Every pairing compares the exact mathematical values: `int64(Int64.max)` is below
/// `double(0x1p63)`, `int64(2^53 + 1)` above `double(0x1p53)`, and `decimal128("0.1")` below
/// `double(0.1)` (whose exact value is 0.1000000000000000055511151231257827…). This is MongoDB's
/// `compareLongToDouble` and `compareDecimalToDouble` (the latter rounds the decimal toward
/// negative and consults the inexact flag, which is exact comparison). Older slot-based-engine
/// code instead rounded the double to a 34-digit decimal; that differs only when a decimal lies
/// within half a 34th digit of a double, and is not what current MongoDB does. `-0.0 == 0`, and
/// a NaN of any type equals every other NaN and sorts below every number, `-Infinity` included.
enum NumericComparison {
    /// Negative, zero or positive as `a` is below, equal to or above `b`; `nil` unless both are
    /// doubles, int32s, int64s or decimal128s.
    static func compare(_ a: BSONValue, _ b: BSONValue) -> Int? {
        guard let left = Operand(a), let right = Operand(b) else { return nil }
        switch (left, right) {
        case let (.integer(x), .integer(y)):
            return x == y ? 0 : (x < y ? -1 : 1)
        case let (.integer(x), .double(y)):
            return compareInteger(x, toDouble: y)
        case let (.double(x), .integer(y)):
            return -compareInteger(y, toDouble: x)
        case let (.double(x), .double(y)):
            return compareDoubles(x, y)
        case let (.integer(x), .decimal(y)):
            return Decimal128.compare(Decimal128(x), y)
        case let (.decimal(x), .integer(y)):
            return Decimal128.compare(x, Decimal128(y))
        case let (.decimal(x), .double(y)):
            return compareDecimal(x, toDouble: y)
        case let (.double(x), .decimal(y)):
            return -compareDecimal(y, toDouble: x)
        case let (.decimal(x), .decimal(y)):
            return Decimal128.compare(x, y)
        }
    }

    /// Feeds `value` to `hasher` so that numbers comparing equal under ``compare(_:_:)`` hash
    /// equally whatever their types. Hashes the canonical value: an integer within Int64's range
    /// as that Int64; otherwise a value a Double holds exactly as the Double's bits (infinities
    /// included); otherwise the decimal with trailing zeros removed; every NaN alike. A value
    /// that is not a number feeds nothing.
    static func hashNumeric(_ value: BSONValue, into hasher: inout Hasher) {
        switch value {
        case let .int32(x): hashInteger(Int64(x), into: &hasher)
        case let .int64(x): hashInteger(x, into: &hasher)
        case let .double(x): hashDouble(x, into: &hasher)
        case let .decimal128(x): hashDecimal(x, into: &hasher)
        default: return
        }
    }
}

// MARK: - Comparison

extension NumericComparison {
    /// A BSON number with int32 widened to int64.
    private enum Operand {
        case integer(Int64)
        case double(Double)
        case decimal(Decimal128)

        init?(_ value: BSONValue) {
            switch value {
            case let .int32(x): self = .integer(Int64(x))
            case let .int64(x): self = .integer(x)
            case let .double(x): self = .double(x)
            case let .decimal128(x): self = .decimal(x)
            default: return nil
            }
        }
    }

    /// IEEE order, with NaN equal to NaN and below everything else.
    private static func compareDoubles(_ x: Double, _ y: Double) -> Int {
        if x < y { return -1 }
        if x > y { return 1 }
        if x == y { return 0 }
        return x.isNaN ? (y.isNaN ? 0 : -1) : 1
    }

    /// MongoDB's `compareLongToDouble`: exact, whatever the magnitudes.
    private static func compareInteger(_ x: Int64, toDouble y: Double) -> Int {
        if y.isNaN { return 1 }
        // Integers up to 2^53 in magnitude convert to Double exactly.
        if x.magnitude <= 1 << 53 { return compareDoubles(Double(x), y) }
        // Beyond that the Double is either outside Int64's range or an integer itself (any
        // fraction would put it below 2^52 in magnitude, so truncation cannot create a tie).
        if y >= 0x1p63 { return -1 }
        if y < -0x1p63 { return 1 }
        let truncated = Int64(y)  // checked: -2^63 <= y < 2^63 (the two guards above)
        return x == truncated ? 0 : (x < truncated ? -1 : 1)
    }

    /// The exact order of a decimal and a double.
    private static func compareDecimal(_ x: Decimal128, toDouble y: Double) -> Int {
        if x.isNaN { return y.isNaN ? 0 : -1 }
        if y.isNaN { return 1 }
        if x.isInfinite || y.isInfinite {
            let xRank = x.isInfinite ? (x.isSignMinus ? -1 : 1) : 0
            let yRank = y.isInfinite ? (y < 0 ? -1 : 1) : 0
            return xRank == yRank ? 0 : (xRank < yRank ? -1 : 1)
        }
        let (isNegative, coefficient, exponent) = x.finiteParts
        let xSign = coefficient == 0 ? 0 : (isNegative ? -1 : 1)
        let ySign = y == 0 ? 0 : (y < 0 ? -1 : 1)
        if xSign != ySign { return xSign < ySign ? -1 : 1 }
        if xSign == 0 { return 0 }
        let (significand, binaryExponent) = oddBinaryParts(y)
        let magnitude = compareMagnitudes(
            coefficient: coefficient, exponent: exponent, significand: significand, binaryExponent: binaryExponent)
        return xSign > 0 ? magnitude : -magnitude
    }

    /// -1, 0 or 1 as `coefficient × 10^exponent` is below, equal to or above
    /// `significand × 2^binaryExponent` (both nonzero; the significand at most 53 bits).
    static func compareMagnitudes(coefficient: UInt128, exponent: Int, significand: UInt64, binaryExponent: Int) -> Int {
        // Binary orders of magnitude first: the decimal lies in [2^dLow, 2^(dLow + 1)) with
        // dLow = bits(coefficient) - 1 + exponent × log2 10, the double in [2^bLow, 2^(bLow + 1)).
        // The margin covers the rounding of the estimate many times over.
        let decimalLow = Double(bitLength(coefficient) - 1) + Double(exponent) * 3.321_928_094_887_362
        let binaryLow = Double(64 - significand.leadingZeroBitCount - 1 + binaryExponent)
        if decimalLow + 1 + 1e-6 <= binaryLow { return -1 }
        if binaryLow + 1 + 1e-6 <= decimalLow { return 1 }

        // Within a factor of four: compare integers. With k = -exponent,
        //   c × 10^e  vs  m × 2^b   ⟺  c × 5^e × 2^(e - b)  vs  m            (e ≥ 0)
        //                           ⟺  c  vs  m × 5^k × 2^(b + k)            (e < 0)
        // moving any negative power of two to the other side. Small cases fit in UInt128.
        let shift: Int
        if exponent >= 0 {
            shift = exponent - binaryExponent
            if exponent <= 54 {
                let (scaled, overflow) = coefficient.multipliedReportingOverflow(by: powerOfFive128(exponent))
                if !overflow, let result = compareShifted(scaled, UInt128(significand), shift: shift) {
                    return result
                }
            }
        } else {
            shift = binaryExponent - exponent
            if -exponent <= 54 {
                let (scaled, overflow) = UInt128(significand).multipliedReportingOverflow(by: powerOfFive128(-exponent))
                if !overflow, let result = compareShifted(coefficient, scaled, shift: -shift) {
                    return result
                }
            }
        }
        // The factor-of-four window bounds both sides below 2^900 (the decimal is within the
        // double range, so |exponent| ≤ 358): 20 limbs are ample.
        return withScratchNaturals(limbs: 20) { decimalSide, binarySide in
            decimalSide.set(coefficient)
            binarySide.set(UInt128(significand))
            if exponent >= 0 {
                decimalSide.multiplyByPowerOfFive(exponent)
                if shift >= 0 { decimalSide.shiftLeft(by: shift) } else { binarySide.shiftLeft(by: -shift) }
            } else {
                binarySide.multiplyByPowerOfFive(-exponent)
                if shift >= 0 { binarySide.shiftLeft(by: shift) } else { decimalSide.shiftLeft(by: -shift) }
            }
            return decimalSide.compare(binarySide)
        }
    }

    /// Compares `left × 2^shift` with `right` (a negative shift scales `right` instead), or
    /// `nil` when the shifted operand would not fit in 128 bits.
    private static func compareShifted(_ left: UInt128, _ right: UInt128, shift: Int) -> Int? {
        var left = left
        var right = right
        if shift >= 0 {
            guard bitLength(left) + shift <= 128 else { return nil }
            left <<= shift
        } else {
            guard bitLength(right) - shift <= 128 else { return nil }
            right <<= -shift
        }
        return left == right ? 0 : (left < right ? -1 : 1)
    }
}

// MARK: - Hashing

extension NumericComparison {
    private enum HashTag: UInt8 {
        case integer, double, nan, decimal
    }

    private static func hashInteger(_ value: Int64, into hasher: inout Hasher) {
        hasher.combine(HashTag.integer.rawValue)
        hasher.combine(value)
    }

    private static func hashDouble(_ value: Double, into hasher: inout Hasher) {
        if value.isNaN {
            hasher.combine(HashTag.nan.rawValue)
        } else if let integer = Int64(exactly: value) {
            hashInteger(integer, into: &hasher)  // -0.0 included
        } else {
            hasher.combine(HashTag.double.rawValue)
            hasher.combine(value.bitPattern)
        }
    }

    private static func hashDecimal(_ value: Decimal128, into hasher: inout Hasher) {
        if value.isNaN {
            hasher.combine(HashTag.nan.rawValue)
            return
        }
        if value.isInfinite {
            hashDouble(value.isSignMinus ? -.infinity : .infinity, into: &hasher)
            return
        }
        let (isNegative, rawCoefficient, rawExponent) = value.finiteParts
        if rawCoefficient == 0 {
            hashInteger(0, into: &hasher)
            return
        }
        let (coefficient, exponent) = removingTrailingZeros(rawCoefficient, rawExponent)
        // With no trailing zeros the value is an integer exactly when the exponent is ≥ 0.
        if exponent >= 0 && exponent <= 18 {
            let (magnitude, overflow) = coefficient.multipliedReportingOverflow(by: powerOfTen128(exponent))
            if !overflow && magnitude <= (isNegative ? UInt128(Int64.min.magnitude) : UInt128(Int64.max)) {
                let bits = UInt64(truncatingIfNeeded: magnitude)
                hashInteger(Int64(bitPattern: isNegative ? 0 &- bits : bits), into: &hasher)
                return
            }
        }
        if let magnitude = exactDouble(coefficient: coefficient, exponent: exponent) {
            hasher.combine(HashTag.double.rawValue)
            hasher.combine((isNegative ? -magnitude : magnitude).bitPattern)
            return
        }
        // Tag, sign and exponent in one word, then the coefficient's two halves.
        hasher.combine(
            UInt64(truncatingIfNeeded: exponent) << 16 | (isNegative ? 1 << 8 : 0) | UInt64(HashTag.decimal.rawValue))  // checked: a UInt8 tag
        hasher.combine(UInt64(truncatingIfNeeded: coefficient))
        hasher.combine(UInt64(truncatingIfNeeded: coefficient >> 64))
    }

    /// The same value with the fewest coefficient digits (coefficient nonzero).
    private static func removingTrailingZeros(_ coefficient: UInt128, _ exponent: Int) -> (UInt128, Int) {
        var exponent = exponent
        if coefficient >> 64 == 0 {
            // Most coefficients fit in 64 bits, where dividing by a constant is cheap.
            var small = UInt64(truncatingIfNeeded: coefficient)
            while small % 10 == 0 {
                small /= 10
                exponent += 1
            }
            return (UInt128(small), exponent)
        }
        var coefficient = coefficient
        // At most 33 trailing zeros: take sixteens, then 8, 4, 2, 1 once each.
        while coefficient % powerOfTen128(16) == 0 {
            coefficient /= powerOfTen128(16)
            exponent += 16
        }
        var places = 8
        while places > 0 {
            let (quotient, remainder) = coefficient.quotientAndRemainder(dividingBy: UInt128(powersOfTen64[places]))
            if remainder == 0 {
                coefficient = quotient
                exponent += places
            }
            places /= 2
        }
        return (coefficient, exponent)
    }

    /// `coefficient × 10^exponent` as a Double when a Double holds it exactly, else `nil`.
    /// The coefficient must be nonzero with no trailing decimal zeros.
    private static func exactDouble(coefficient: UInt128, exponent: Int) -> Double? {
        // The value is odd × 2^twos for an odd integer that must fit in 53 bits.
        var odd: UInt128
        var twos: Int
        if exponent >= 0 {
            // c × 5^e × 2^e: 5^23 alone exceeds 2^53.
            guard exponent <= 22 else { return nil }
            twos = coefficient.trailingZeroBitCount
            let (scaled, overflow) = (coefficient >> twos).multipliedReportingOverflow(by: powerOfFive128(exponent))
            guard !overflow else { return nil }
            odd = scaled
            twos += exponent
        } else {
            // c / (5^k × 2^k): 5^k must divide c, so 5^k ≤ c < 2^113 and k ≤ 48.
            let places = -exponent
            guard places <= 48 else { return nil }
            let quotient: UInt128
            if coefficient >> 64 == 0 && places <= 27 {
                let (small, remainder) = UInt64(truncatingIfNeeded: coefficient)
                    .quotientAndRemainder(dividingBy: powersOfFive64[places])
                guard remainder == 0 else { return nil }
                quotient = UInt128(small)
            } else {
                let (large, remainder) = coefficient.quotientAndRemainder(dividingBy: powerOfFive128(places))
                guard remainder == 0 else { return nil }
                quotient = large
            }
            twos = quotient.trailingZeroBitCount - places
            odd = quotient >> quotient.trailingZeroBitCount
        }
        guard odd < 1 << 53 else { return nil }
        // |twos| ≤ 113 + 22, far inside the normal range, so this is exact.
        return Double(sign: .plus, exponent: twos, significand: Double(UInt64(odd)))
    }
}
