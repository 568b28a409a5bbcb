// NumberKey: the numeric part of KeyEncoding. int32, int64, double and decimal128 share one
// byte order by exact mathematical value; equal values (1, 1.0, 1.00) share one encoding.
// Decimals that no int64 or double equals sit between their binary neighbours.

internal import BSON

/// Order-preserving keys for BSON numbers of every type.
///
/// Layout after the rank byte: a class byte, then for finite nonzero values a magnitude of
/// 10 bytes — the big-endian biased binary exponent of the leading bit (2 bytes) and the 64
/// bits after it (8 bytes), all inverted for negative values — then always a tie byte.
///
/// Every int64 and double has an exact magnitude (at most 64 significant bits), encoded
/// with tie byte `01`. A decimal128 equal to an int64 or double gets that value's key.
/// Any other decimal `d` is encoded as its *floor* `b` — the largest int64 or double below
/// it — with tie byte `02`, followed by an 18-byte decimal magnitude of `d` (adjusted
/// exponent and 34-digit normalized coefficient, inverted when negative). No int64 or double
/// lies strictly between `b` and `d`, so `d` sorts after `b` and before `b`'s successor,
/// and decimals sharing a floor sort among themselves by value.
enum NumberKey {
    static let nanClass: UInt8 = 0x10
    static let negativeInfinityClass: UInt8 = 0x20
    static let negativeClass: UInt8 = 0x30
    static let zeroClass: UInt8 = 0x40
    static let positiveClass: UInt8 = 0x50
    static let positiveInfinityClass: UInt8 = 0x60

    /// Tie byte of a value an int64 or double holds exactly.
    static let exactTie: UInt8 = 0x01
    /// Tie byte of a decimal strictly above its encoded floor.
    static let aboveTie: UInt8 = 0x02

    /// Biases the binary exponent (at least -1074) into an unsigned 16-bit field.
    private static let binaryExponentBias = 1100
    /// Biases the decimal adjusted exponent (at least -6176) into an unsigned 16-bit field.
    private static let decimalExponentBias = 6200

    static func appendInteger(_ value: Int64, tie: UInt8 = exactTie, to bytes: inout [UInt8]) {
        if value == 0 {
            bytes.append(zeroClass)
        } else {
            let magnitude = value.magnitude
            let zeros = magnitude.leadingZeroBitCount
            // Smart shift: shifting by 64 (magnitude 1) gives 0.
            appendMagnitude(negative: value < 0, exponent: 63 - zeros, fraction: magnitude << (zeros + 1), to: &bytes)
        }
        bytes.append(tie)
    }

    static func appendDouble(_ value: Double, tie: UInt8 = exactTie, to bytes: inout [UInt8]) {
        if value.isNaN {
            bytes.append(nanClass)
        } else if value.isInfinite {
            bytes.append(value < 0 ? negativeInfinityClass : positiveInfinityClass)
        } else if value == 0 {
            bytes.append(zeroClass)
        } else {
            let exponent: Int
            let fraction: UInt64
            if value.exponentBitPattern != 0 {
                exponent = Int(value.exponentBitPattern) - 1023  // checked: an 11-bit field
                fraction = value.significandBitPattern << 12
            } else {
                // Subnormal: the leading bit is inside the stored significand.
                let significand = value.significandBitPattern
                let lead = 63 - significand.leadingZeroBitCount
                exponent = lead - 1074
                fraction = significand << (64 - lead)
            }
            appendMagnitude(negative: value < 0, exponent: exponent, fraction: fraction, to: &bytes)
        }
        bytes.append(tie)
    }

    static func appendDecimal(_ value: Decimal128, to bytes: inout [UInt8]) {
        if value.isNaN {
            bytes.append(nanClass)
            bytes.append(exactTie)
            return
        }
        if let integer = value.int64Value {
            appendInteger(integer, to: &bytes)
            return
        }
        let decimal = BSONValue.decimal128(value)
        let nearest = value.doubleValue
        let order = BSONValue.compare(decimal, .double(nearest))
        if order == 0 {
            appendDouble(nearest, to: &bytes)
            return
        }
        if nearest.magnitude >= 0x1p52, let floor = integerFloor(of: value, near: nearest) {
            // Here every double is an integer, so the integer floor is the floor among
            // int64s and doubles alike.
            appendInteger(floor, tie: aboveTie, to: &bytes)
        } else {
            // Here every int64 is a double (or there are none), so the double floor is it.
            appendDouble(order < 0 ? nearest.nextDown : nearest, tie: aboveTie, to: &bytes)
        }
        appendDecimalMagnitude(value, to: &bytes)
    }

    /// The largest int64 below the non-integral `value`, when `value` lies strictly between
    /// `Int64.min` and 2^63; `nearest` is the double nearest to it.
    private static func integerFloor(of value: Decimal128, near nearest: Double) -> Int64? {
        let decimal = BSONValue.decimal128(value)
        guard BSONValue.compare(decimal, .int64(.min)) > 0, BSONValue.compare(decimal, .double(0x1p63)) < 0 else {
            return nil
        }
        let center: Int64 = ClientNumber.int64(saturating: nearest) ?? 0
        // The nearest double is within half a spacing (at most 1024 below 2^63) of the value.
        var low = center.subtractingReportingOverflow(2048).overflow ? Int64.min : center - 2048
        var high = center.addingReportingOverflow(2048).overflow ? Int64.max : center + 2048
        // Invariant: low <= value, and the floor lies in low ... high.
        guard BSONValue.compare(.int64(low), decimal) < 0 else { return nil }
        while low < high {
            let middle = low + (high - low + 1) / 2
            if BSONValue.compare(.int64(middle), decimal) < 0 { low = middle } else { high = middle - 1 }
        }
        return low
    }

    private static func appendMagnitude(negative: Bool, exponent: Int, fraction: UInt64, to bytes: inout [UInt8]) {
        bytes.append(negative ? negativeClass : positiveClass)
        let biased = UInt16(truncatingIfNeeded: exponent + binaryExponentBias)
        let mask: UInt64 = negative ? ~0 : 0
        KeyEncoding.appendBigEndian(negative ? ~biased : biased, to: &bytes)
        KeyEncoding.appendBigEndian(fraction ^ mask, to: &bytes)
    }

    /// The adjusted exponent and 34-digit normalized coefficient of a finite, nonzero,
    /// canonical decimal, read from its BID encoding; inverted when negative.
    private static func appendDecimalMagnitude(_ value: Decimal128, to bytes: inout [UInt8]) {
        let high = value.high
        // Values reaching here are finite, nonzero and canonical: the coefficient sits in the
        // low 113 bits and the exponent in the 14 bits above it.
        let coefficient = UInt128(high & 0x1_FFFF_FFFF_FFFF) << 64 | UInt128(value.low)
        let exponent = Int((high >> 49) & 0x3FFF) - 6176
        var digits = 1
        var power: UInt128 = 10
        while digits < 34, coefficient >= power {
            digits += 1
            power *= 10
        }
        var normalized = coefficient
        for _ in digits ..< 34 { normalized *= 10 }
        let adjusted = UInt16(truncatingIfNeeded: exponent + digits - 1 + decimalExponentBias)
        let negative = value.isSignMinus
        KeyEncoding.appendBigEndian(negative ? ~adjusted : adjusted, to: &bytes)
        KeyEncoding.appendBigEndian(negative ? ~normalized : normalized, to: &bytes)
    }
}
