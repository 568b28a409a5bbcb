// DecimalArithmetic: IEEE 754-2008 decimal128 arithmetic (add, subtract, multiply, divide,
// remainder, rounding to an exponent) on BSON's Decimal128, rounding to 34 digits half to
// even as MongoDB's Intel library does. Expressions use it when an operand is a decimal; it
// works on unpacked fields with a small heap big integer, which only these cold paths pay for.

public import BSON

/// Decimal128 arithmetic with MongoDB's results.
public enum DecimalArithmetic {
    /// How a result is rounded to the digits it keeps.
    public enum Rounding: Sendable {
        /// Half to even (the default for arithmetic).
        case toNearestOrEven
        /// Toward zero (`$trunc`).
        case towardZero
        /// Toward +infinity (`$ceil`).
        case up
        /// Toward -infinity (`$floor`).
        case down
    }

    static let precision = 34
    static let minExponent = -6176
    static let maxExponent = 6111
    static let exponentBias = 6176

    // MARK: - Operations

    /// `lhs + rhs`.
    public static func add(_ lhs: Decimal128, _ rhs: Decimal128) -> Decimal128 {
        if lhs.isNaN || rhs.isNaN { return nan }
        if lhs.isInfinite || rhs.isInfinite {
            if lhs.isInfinite && rhs.isInfinite && lhs.isSignMinus != rhs.isSignMinus { return nan }
            return lhs.isInfinite ? lhs : rhs
        }
        var a = parts(lhs)
        var b = parts(rhs)
        if a.exponent < b.exponent { swap(&a, &b) }
        // a has the larger exponent; align it down to b's. Beyond 70 places b only decides
        // rounding, so a unit in its place stands in for it.
        var shift = a.exponent - b.exponent
        var bCoefficient = b.coefficient
        if !a.coefficient.isZero && !b.coefficient.isZero && shift > 70 {
            shift = 70
            bCoefficient = BigNatural(1)
        }
        if b.coefficient.isZero && shift > precision {
            // Adding zero: past 34 places the padding is rounded off again anyway.
            shift = precision
        }
        let exponent = a.coefficient.isZero ? b.exponent : a.exponent - shift
        let aligned = a.coefficient.isZero ? BigNatural(0) : a.coefficient.timesPowerOfTen(shift)
        if a.coefficient.isZero && !b.coefficient.isZero {
            return round(isNegative: b.isNegative, coefficient: bCoefficient, exponent: b.exponent, sticky: false)
        }
        if a.isNegative == b.isNegative {
            return round(isNegative: a.isNegative, coefficient: aligned.plus(bCoefficient), exponent: exponent, sticky: false)
        }
        let order = aligned.compare(bCoefficient)
        if order == 0 {
            // x + (-x) is +0 with the smaller exponent.
            return round(isNegative: false, coefficient: BigNatural(0), exponent: min(a.exponent, b.exponent), sticky: false)
        }
        return order > 0
            ? round(isNegative: a.isNegative, coefficient: aligned.minus(bCoefficient), exponent: exponent, sticky: false)
            : round(isNegative: b.isNegative, coefficient: bCoefficient.minus(aligned), exponent: exponent, sticky: false)
    }

    /// `lhs - rhs`.
    public static func subtract(_ lhs: Decimal128, _ rhs: Decimal128) -> Decimal128 {
        add(lhs, negate(rhs))
    }

    /// `lhs × rhs`.
    public static func multiply(_ lhs: Decimal128, _ rhs: Decimal128) -> Decimal128 {
        if lhs.isNaN || rhs.isNaN { return nan }
        let negative = lhs.isSignMinus != rhs.isSignMinus
        if lhs.isInfinite || rhs.isInfinite {
            if isZero(lhs) || isZero(rhs) { return nan }
            return infinity(negative: negative)
        }
        let a = parts(lhs)
        let b = parts(rhs)
        return round(isNegative: negative, coefficient: a.coefficient.times(b.coefficient), exponent: a.exponent + b.exponent, sticky: false)
    }

    /// `lhs ÷ rhs`; `rhs` must not be zero (callers report MongoDB's error first).
    public static func divide(_ lhs: Decimal128, _ rhs: Decimal128) -> Decimal128 {
        if lhs.isNaN || rhs.isNaN { return nan }
        let negative = lhs.isSignMinus != rhs.isSignMinus
        if lhs.isInfinite { return rhs.isInfinite ? nan : infinity(negative: negative) }
        if rhs.isInfinite { return encode(isNegative: negative, coefficient: 0, exponent: 0) }
        let a = parts(lhs)
        let b = parts(rhs)
        if b.coefficient.isZero { return a.coefficient.isZero ? nan : infinity(negative: negative) }
        let idealExponent = a.exponent - b.exponent
        if a.coefficient.isZero {
            return round(isNegative: negative, coefficient: BigNatural(0), exponent: idealExponent, sticky: false)
        }
        // Scale the dividend so the quotient has at least 35 digits: the extra digit and the
        // remainder decide the rounding.
        let scale = max(0, precision + 1 + b.coefficient.digitCount - a.coefficient.digitCount)
        let (quotient, remainder) = a.coefficient.timesPowerOfTen(scale).quotientAndRemainder(dividingBy: b.coefficient)
        var coefficient = quotient
        var exponent = idealExponent - scale
        if remainder.isZero {
            // Exact: give back trailing zeros down to the ideal exponent.
            while exponent < idealExponent {
                let (shorter, digit) = coefficient.quotientAndRemainder(dividingBy: 10)
                if digit != 0 { break }
                coefficient = shorter
                exponent += 1
            }
            return round(isNegative: negative, coefficient: coefficient, exponent: exponent, sticky: false)
        }
        return round(isNegative: negative, coefficient: coefficient, exponent: exponent, sticky: true)
    }

    /// The remainder of `lhs ÷ rhs` truncated toward zero (C's `fmod`): the sign of `lhs`,
    /// exact. `rhs` must not be zero.
    public static func remainder(_ lhs: Decimal128, _ rhs: Decimal128) -> Decimal128 {
        if lhs.isNaN || rhs.isNaN || lhs.isInfinite { return nan }
        if rhs.isInfinite { return lhs }
        let a = parts(lhs)
        let b = parts(rhs)
        if b.coefficient.isZero { return nan }
        let exponent = min(a.exponent, b.exponent)
        if a.coefficient.isZero {
            return round(isNegative: a.isNegative, coefficient: BigNatural(0), exponent: exponent, sticky: false)
        }
        // |lhs| < 10^(digits + exponent) <= |rhs| when the divisor's exponent is that large.
        if a.exponent < b.exponent && a.coefficient.digitCount + a.exponent <= b.exponent {
            return lhs
        }
        let divisor = b.coefficient.timesPowerOfTen(b.exponent - exponent)
        var dividendRemainder: BigNatural
        if a.exponent - exponent <= 80 {
            dividendRemainder = a.coefficient.timesPowerOfTen(a.exponent - exponent).quotientAndRemainder(dividingBy: divisor).remainder
        } else {
            // a.coefficient × 10^k mod divisor, a digit of k at a time.
            dividendRemainder = a.coefficient.quotientAndRemainder(dividingBy: divisor).remainder
            for _ in 0..<(a.exponent - exponent) {
                dividendRemainder = dividendRemainder.timesPowerOfTen(1).quotientAndRemainder(dividingBy: divisor).remainder
            }
        }
        return round(isNegative: a.isNegative, coefficient: dividendRemainder, exponent: exponent, sticky: false)
    }

    /// The value rounded to a multiple of 10^`exponent` (IEEE `quantize` with that
    /// exponent); values already coarser are returned unchanged, as are NaN and infinities.
    public static func rounded(_ value: Decimal128, toExponent exponent: Int, _ rounding: Rounding) -> Decimal128 {
        if value.isNaN || value.isInfinite { return value }
        let p = parts(value)
        if p.exponent >= exponent { return value }
        let (quotient, remainder) = p.coefficient.quotientAndRemainder(dividingBy: BigNatural(0).plusPowerOfTen(exponent - p.exponent))
        let half = BigNatural(0).plusPowerOfTen(exponent - p.exponent)
        let increment = roundsAway(quotient: quotient, remainder: remainder, divisor: half, sticky: false, isNegative: p.isNegative, rounding)
        let coefficient = increment ? quotient.plus(BigNatural(1)) : quotient
        return round(isNegative: p.isNegative, coefficient: coefficient, exponent: exponent, sticky: false)
    }

    /// The value rounded to an integer by `rounding`, if that integer is an `Int64`.
    public static func int64(_ value: Decimal128, rounding: Rounding) -> Int64? {
        rounded(value, toExponent: 0, rounding).int64Value
    }

    /// MongoDB's `Decimal128(double, kRoundTo15Digits)`: the double rounded half to even to
    /// 15 significant digits, keeping trailing zeros (`0.1` is `0.100000000000000`).
    public static func fromDouble15(_ double: Double) -> Decimal128 {
        let exact = Decimal128(double)
        if double == 0 || !double.isFinite { return exact }
        let p = parts(exact)
        let magnitudeExponent = p.coefficient.digitCount + p.exponent - 1
        let quantized = quantize(exact, to: magnitudeExponent - 14)
        if parts(quantized).coefficient.digitCount > 15 {
            return quantize(exact, to: magnitudeExponent - 13)
        }
        return quantized
    }

    /// The value with its sign flipped (NaN unchanged).
    public static func negate(_ value: Decimal128) -> Decimal128 {
        if value.isNaN { return value }
        return Decimal128(high: value.high ^ (1 << 63), low: value.low)
    }

    /// The absolute value.
    public static func magnitude(_ value: Decimal128) -> Decimal128 {
        Decimal128(high: value.high & ~(1 << 63), low: value.low)
    }

    /// Whether the value is a zero of either sign and any exponent.
    public static func isZero(_ value: Decimal128) -> Bool {
        !value.isNaN && !value.isInfinite && parts(value).coefficient.isZero
    }

    // MARK: - Encoding

    static let nan = Decimal128(high: 0x7C00_0000_0000_0000, low: 0)

    static func infinity(negative: Bool) -> Decimal128 {
        Decimal128(high: (negative ? 1 << 63 : 0) | 0x7800_0000_0000_0000, low: 0)
    }

    /// Sign, coefficient and unbiased exponent of a finite value; non-canonical encodings
    /// read as zero, as the specification requires.
    static func parts(_ value: Decimal128) -> (isNegative: Bool, coefficient: BigNatural, exponent: Int) {
        let high = value.high
        if (high >> 61) & 0b11 == 0b11 {
            return (value.isSignMinus, BigNatural(0), Int((high >> 47) & 0x3FFF) - exponentBias)
        }
        let coefficient = UInt128(high & 0x1_FFFF_FFFF_FFFF) << 64 | UInt128(value.low)
        let canonical = coefficient > maxCoefficient ? 0 : coefficient
        return (value.isSignMinus, BigNatural(canonical), Int((high >> 49) & 0x3FFF) - exponentBias)
    }

    static let maxCoefficient: UInt128 = 9_999_999_999_999_999_999_999_999_999_999_999

    static func encode(isNegative: Bool, coefficient: UInt128, exponent: Int) -> Decimal128 {
        let biased = UInt64(exponent + exponentBias)
        return Decimal128(
            high: (isNegative ? 1 << 63 : 0) | biased << 49 | UInt64(truncatingIfNeeded: coefficient >> 64),
            low: UInt64(truncatingIfNeeded: coefficient)
        )
    }

    /// Rounds `coefficient × 10^exponent` (plus a nonzero tail below it when `sticky`) to 34
    /// digits within the exponent range, half to even.
    static func round(isNegative: Bool, coefficient: BigNatural, exponent: Int, sticky: Bool) -> Decimal128 {
        var coefficient = coefficient
        var exponent = exponent
        var drop = max(0, coefficient.digitCount - precision)
        if exponent + drop < minExponent { drop = minExponent - exponent }
        if drop > 0 {
            let divisor = BigNatural(0).plusPowerOfTen(drop)
            let (quotient, remainder) = coefficient.quotientAndRemainder(dividingBy: divisor)
            let increment = roundsAway(quotient: quotient, remainder: remainder, divisor: divisor, sticky: sticky, isNegative: isNegative, .toNearestOrEven)
            coefficient = increment ? quotient.plus(BigNatural(1)) : quotient
            exponent += drop
            if coefficient.digitCount > precision {
                coefficient = coefficient.quotientAndRemainder(dividingBy: 10).quotient
                exponent += 1
            }
        }
        if exponent > maxExponent {
            if coefficient.isZero {
                exponent = maxExponent
            } else {
                while exponent > maxExponent && coefficient.digitCount < precision {
                    coefficient = coefficient.timesPowerOfTen(1)
                    exponent -= 1
                }
                if exponent > maxExponent { return infinity(negative: isNegative) }
            }
        }
        return encode(isNegative: isNegative, coefficient: coefficient.uint128Value, exponent: exponent)
    }

    /// Whether a quotient with this remainder (of `divisor`, a power of ten) rounds away from
    /// zero under `rounding`.
    static func roundsAway(quotient: BigNatural, remainder: BigNatural, divisor: BigNatural, sticky: Bool, isNegative: Bool, _ rounding: Rounding) -> Bool {
        let inexact = !remainder.isZero || sticky
        switch rounding {
        case .towardZero:
            return false
        case .up:
            return inexact && !isNegative
        case .down:
            return inexact && isNegative
        case .toNearestOrEven:
            let twice = remainder.plus(remainder)
            let order = twice.compare(divisor)
            if order > 0 { return true }
            if order < 0 { return false }
            return sticky || quotient.isOdd
        }
    }

    /// Rounds half to even to exponent `exponent`, padding with zeros when the value is
    /// coarser (IEEE `quantize`).
    static func quantize(_ value: Decimal128, to exponent: Int) -> Decimal128 {
        let p = parts(value)
        if p.exponent > exponent {
            return encode(isNegative: p.isNegative, coefficient: p.coefficient.timesPowerOfTen(p.exponent - exponent).uint128Value, exponent: exponent)
        }
        return rounded(value, toExponent: exponent, .toNearestOrEven)
    }
}

/// A non-negative integer of any size, little-endian 32-bit limbs. Only decimal arithmetic
/// uses it; operands are at most a few hundred bits.
struct BigNatural {
    private(set) var limbs: [UInt32]

    init(_ value: UInt128) {
        var limbs: [UInt32] = []
        var rest = value
        while rest != 0 {
            limbs.append(UInt32(truncatingIfNeeded: rest))
            rest >>= 32
        }
        self.limbs = limbs
    }

    init(limbs: [UInt32]) {
        var limbs = limbs
        while limbs.last == 0 { limbs.removeLast() }
        self.limbs = limbs
    }

    var isZero: Bool { limbs.isEmpty }
    var isOdd: Bool { (limbs.first ?? 0) & 1 == 1 }

    /// The value, which must fit in 128 bits.
    var uint128Value: UInt128 {
        var value: UInt128 = 0
        for limb in limbs.reversed() { value = value << 32 | UInt128(limb) }
        return value
    }

    /// The number of decimal digits (0 for zero).
    var digitCount: Int {
        var count = 0
        var rest = self
        while !rest.isZero {
            let (quotient, _) = rest.quotientAndRemainder(dividingBy: 1_000_000_000)
            if quotient.isZero {
                var last = rest.limbs[0]
                while last != 0 {
                    count += 1
                    last /= 10
                }
                return count
            }
            count += 9
            rest = quotient
        }
        return count
    }

    func compare(_ other: BigNatural) -> Int {
        if limbs.count != other.limbs.count { return limbs.count < other.limbs.count ? -1 : 1 }
        for index in stride(from: limbs.count - 1, through: 0, by: -1) where limbs[index] != other.limbs[index] {
            return limbs[index] < other.limbs[index] ? -1 : 1
        }
        return 0
    }

    func plus(_ other: BigNatural) -> BigNatural {
        var result: [UInt32] = []
        var carry: UInt64 = 0
        for index in 0..<max(limbs.count, other.limbs.count) {
            let sum = UInt64(index < limbs.count ? limbs[index] : 0) + UInt64(index < other.limbs.count ? other.limbs[index] : 0) + carry
            result.append(UInt32(truncatingIfNeeded: sum))
            carry = sum >> 32
        }
        if carry != 0 { result.append(UInt32(carry)) }
        return BigNatural(limbs: result)
    }

    /// `self - other`, which must not be negative.
    func minus(_ other: BigNatural) -> BigNatural {
        var result: [UInt32] = []
        var borrow: Int64 = 0
        for index in 0..<limbs.count {
            var difference = Int64(limbs[index]) - Int64(index < other.limbs.count ? other.limbs[index] : 0) - borrow
            borrow = 0
            if difference < 0 {
                difference += 1 << 32
                borrow = 1
            }
            result.append(UInt32(difference))
        }
        return BigNatural(limbs: result)
    }

    func times(_ other: BigNatural) -> BigNatural {
        if isZero || other.isZero { return BigNatural(0) }
        var result = [UInt32](repeating: 0, count: limbs.count + other.limbs.count)
        for (i, a) in limbs.enumerated() {
            var carry: UInt64 = 0
            for (j, b) in other.limbs.enumerated() {
                let product = UInt64(a) * UInt64(b) + UInt64(result[i + j]) + carry
                result[i + j] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            result[i + other.limbs.count] = UInt32(carry)
        }
        return BigNatural(limbs: result)
    }

    func times(small factor: UInt32) -> BigNatural {
        var result: [UInt32] = []
        var carry: UInt64 = 0
        for limb in limbs {
            let product = UInt64(limb) * UInt64(factor) + carry
            result.append(UInt32(truncatingIfNeeded: product))
            carry = product >> 32
        }
        if carry != 0 { result.append(UInt32(carry)) }
        return BigNatural(limbs: result)
    }

    func timesPowerOfTen(_ power: Int) -> BigNatural {
        var result = self
        var remaining = power
        while remaining >= 9 {
            result = result.times(small: 1_000_000_000)
            remaining -= 9
        }
        if remaining > 0 {
            var factor: UInt32 = 1
            for _ in 0..<remaining { factor *= 10 }
            result = result.times(small: factor)
        }
        return result
    }

    /// `self + 10^power`.
    func plusPowerOfTen(_ power: Int) -> BigNatural {
        plus(BigNatural(1).timesPowerOfTen(power))
    }

    func quotientAndRemainder(dividingBy divisor: UInt32) -> (quotient: BigNatural, remainder: UInt32) {
        var quotient = [UInt32](repeating: 0, count: limbs.count)
        var remainder: UInt64 = 0
        for index in stride(from: limbs.count - 1, through: 0, by: -1) {
            let current = remainder << 32 | UInt64(limbs[index])
            quotient[index] = UInt32(current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        return (BigNatural(limbs: quotient), UInt32(remainder))
    }

    /// Long division, one bit at a time (operands are a few hundred bits).
    func quotientAndRemainder(dividingBy divisor: BigNatural) -> (quotient: BigNatural, remainder: BigNatural) {
        if compare(divisor) < 0 { return (BigNatural(0), self) }
        if divisor.limbs.count == 1 {
            let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor.limbs[0])
            return (quotient, BigNatural(UInt128(remainder)))
        }
        var quotient = [UInt32](repeating: 0, count: limbs.count)
        var remainder = BigNatural(0)
        for bit in stride(from: limbs.count * 32 - 1, through: 0, by: -1) {
            remainder = remainder.plus(remainder)
            if limbs[bit / 32] >> UInt32(bit % 32) & 1 == 1 { remainder = remainder.plus(BigNatural(1)) }
            if remainder.compare(divisor) >= 0 {
                remainder = remainder.minus(divisor)
                quotient[bit / 32] |= 1 << UInt32(bit % 32)
            }
        }
        return (BigNatural(limbs: quotient), remainder)
    }
}
