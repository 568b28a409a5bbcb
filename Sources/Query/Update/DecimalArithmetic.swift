// Decimal128 addition and multiplication for $inc and $mul: IEEE 754-2008 decimal128 with
// round-half-even to 34 digits, preferred exponents for exact results, overflow to infinity
// and gradual underflow. The BSON module has conversions and comparison, not arithmetic.

internal import BSON

/// Decimal128 arithmetic as MongoDB's `Decimal128::add` / `multiply` (Intel's BID library)
/// computes it in the default rounding mode.
enum DecimalArithmetic {
    private static let precision = 34
    private static let maxExponent = 6111
    private static let minExponent = -6176
    private static let bias = 6176
    /// 10^34 - 1, the largest coefficient.
    private static let maxCoefficient: UInt128 = power(34) - 1

    private enum Parts {
        case finite(negative: Bool, coefficient: UInt128, exponent: Int)
        case infinity(negative: Bool)
        case nan
    }

    static func add(_ a: Decimal128, _ b: Decimal128) -> Decimal128 {
        switch (parts(a), parts(b)) {
        case (.nan, _), (_, .nan):
            return nan
        case let (.infinity(x), .infinity(y)):
            return x == y ? infinity(negative: x) : nan
        case let (.infinity(x), _), let (_, .infinity(x)):
            return infinity(negative: x)
        case let (.finite(s1, c1, e1), .finite(s2, c2, e2)):
            return addFinite(s1, c1, e1, s2, c2, e2)
        }
    }

    static func multiply(_ a: Decimal128, _ b: Decimal128) -> Decimal128 {
        switch (parts(a), parts(b)) {
        case (.nan, _), (_, .nan):
            return nan
        case let (.infinity(x), .infinity(y)):
            return infinity(negative: x != y)
        case let (.infinity(x), .finite(y, c, _)), let (.finite(y, c, _), .infinity(x)):
            return c == 0 ? nan : infinity(negative: x != y)
        case let (.finite(s1, c1, e1), .finite(s2, c2, e2)):
            let product = c1.multipliedFullWidth(by: c2)
            return round(negative: s1 != s2, high: product.high, low: product.low, exponent: e1 + e2, sticky: false)
        }
    }

    /// Numeric equality (`1.0 == 1.00`); NaN equals nothing.
    static func isEqual(_ a: Decimal128, _ b: Decimal128) -> Bool {
        if a.isNaN || b.isNaN { return false }
        return Decimal128.compare(a, b) == 0
    }

    /// MongoDB's `Decimal128(double, kRoundTo15Digits)`: the double rounded half to even to
    /// exactly 15 significant digits, as SafeNum converts a double it mixes with a decimal.
    static func fromDouble(_ value: Double) -> Decimal128 {
        let wide = Decimal128(value)
        guard case .finite(let negative, let coefficient, let exponent) = parts(wide) else { return wide }
        if coefficient == 0 { return encode(negative: negative, coefficient: 0, exponent: 0) }
        let digits = digitCount(coefficient)
        let magnitude = exponent + digits - 1
        let target = magnitude - 14
        if target >= exponent {
            return round(negative: negative, high: 0, low: coefficient, exponent: exponent, sticky: false,
                         digitsToDrop: target - exponent)
        }
        let scaled = coefficient * power(exponent - target)
        return encode(negative: negative, coefficient: scaled, exponent: target)
    }

    // MARK: - Addition

    private static func addFinite(_ s1: Bool, _ c1: UInt128, _ e1: Int,
                                  _ s2: Bool, _ c2: UInt128, _ e2: Int) -> Decimal128 {
        // Order so that the first operand has the larger exponent.
        var (sa, ca, ea, sb, cb, eb) = (s1, c1, e1, s2, c2, e2)
        if ea < eb { swap(&sa, &sb); swap(&ca, &cb); swap(&ea, &eb) }
        if ca == 0 && cb == 0 {
            return clampedZero(negative: sa && sb, exponent: eb)
        }
        var gap = ea - eb
        var sticky = false
        if ca == 0 {
            // Only b contributes; it is exact at exponent eb = min(ea, eb).
            return round(negative: sb, high: 0, low: cb, exponent: eb, sticky: false)
        }
        if gap > 38 {
            // Scale a to its full 34 digits first; that changes no value.
            let room = precision - digitCount(ca)
            let shift = min(room, gap)
            ca *= power(shift)
            ea -= shift
            gap -= shift
            if gap > 38 {
                // b lies far below a's last digit: it can only break ties, as a sticky bit.
                if cb != 0 { sticky = true }
                cb = 0
                gap = 38
                eb = ea - gap
            }
        }
        let scaled = ca.multipliedFullWidth(by: power(gap))
        var high = scaled.high
        var low = scaled.low
        var negative = sa
        if sa == sb {
            let (sum, carry) = low.addingReportingOverflow(cb)
            low = sum
            if carry { high += 1 }
        } else if high > 0 || low >= cb {
            let (difference, borrow) = low.subtractingReportingOverflow(cb)
            low = difference
            if borrow { high -= 1 }
            if sticky {
                // The true value is a hair below: borrow one unit and let the sticky bit stand
                // for the rest.
                let (less, borrowAgain) = low.subtractingReportingOverflow(1)
                low = less
                if borrowAgain { high -= 1 }
            }
        } else {
            low = cb - low
            negative = sb
        }
        if high == 0 && low == 0 && !sticky {
            return clampedZero(negative: false, exponent: eb)
        }
        return round(negative: negative, high: high, low: low, exponent: eb, sticky: sticky)
    }

    // MARK: - Rounding and encoding

    /// Rounds `high·2^128 + low` × 10^exponent half to even to 34 digits (and up to the
    /// smallest exponent), dropping at least `digitsToDrop` digits.
    private static func round(negative: Bool, high: UInt128, low: UInt128, exponent: Int, sticky: Bool,
                              digitsToDrop: Int = 0) -> Decimal128 {
        let digits = digitCount(high: high, low: low)
        var drop = max(digitsToDrop, digits - precision)
        if exponent + drop < minExponent { drop = minExponent - exponent }
        var resultExponent = exponent
        var coefficient: UInt128
        if drop > 0 {
            var (h, l) = (high, low)
            var lost = sticky
            var remaining = drop - 1
            if remaining >= digits {
                // Every digit goes: the value is below a tenth of the new unit.
                h = 0
                l = 0
                lost = lost || high != 0 || low != 0
                remaining = 0
            }
            while remaining > 0 {
                let step = min(remaining, 38)
                let divided = divide(high: h, low: l, by: power(step))
                (h, l) = (divided.high, divided.low)
                if divided.remainder != 0 { lost = true }
                remaining -= step
            }
            let last = divide(high: h, low: l, by: 10)
            coefficient = last.low
            let digit = last.remainder
            let roundsUp = digit > 5 || (digit == 5 && (lost || coefficient & 1 == 1))
            if roundsUp { coefficient += 1 }
            resultExponent += drop
            if coefficient > maxCoefficient {
                coefficient /= 10
                resultExponent += 1
            }
        } else {
            coefficient = low
        }
        if resultExponent > maxExponent {
            if coefficient == 0 { return clampedZero(negative: negative, exponent: resultExponent) }
            while resultExponent > maxExponent && coefficient <= maxCoefficient / 10 {
                coefficient *= 10
                resultExponent -= 1
            }
            if resultExponent > maxExponent { return infinity(negative: negative) }
        }
        return encode(negative: negative, coefficient: coefficient, exponent: resultExponent)
    }

    private static func clampedZero(negative: Bool, exponent: Int) -> Decimal128 {
        encode(negative: negative, coefficient: 0, exponent: min(max(exponent, minExponent), maxExponent))
    }

    private static func parts(_ value: Decimal128) -> Parts {
        if value.isNaN { return .nan }
        if value.isInfinite { return .infinity(negative: value.isSignMinus) }
        let negative = value.isSignMinus
        if (value.high >> 61) & 0b11 == 0b11 {
            // The large-coefficient form is never canonical for decimal128: the value is zero.
            let exponent = Int((value.high >> 47) & 0x3FFF) - bias
            return .finite(negative: negative, coefficient: 0, exponent: exponent)
        }
        let exponent = Int((value.high >> 49) & 0x3FFF) - bias
        var coefficient = UInt128(value.high & 0x1_FFFF_FFFF_FFFF) << 64 | UInt128(value.low)
        if coefficient > maxCoefficient { coefficient = 0 }
        return .finite(negative: negative, coefficient: coefficient, exponent: exponent)
    }

    private static func encode(negative: Bool, coefficient: UInt128, exponent: Int) -> Decimal128 {
        let sign: UInt64 = negative ? 1 << 63 : 0
        let high = sign | UInt64(exponent + bias) << 49 | UInt64(truncatingIfNeeded: coefficient >> 64)
        return Decimal128(high: high, low: UInt64(truncatingIfNeeded: coefficient))
    }

    private static var nan: Decimal128 { Decimal128(high: 0x7C00_0000_0000_0000, low: 0) }

    private static func infinity(negative: Bool) -> Decimal128 {
        Decimal128(high: (negative ? 1 << 63 : 0) | 0x7800_0000_0000_0000, low: 0)
    }

    // MARK: - Wide integers

    private static func power(_ n: Int) -> UInt128 {
        var result: UInt128 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }

    private static func digitCount(_ value: UInt128) -> Int {
        var count = 1
        var threshold: UInt128 = 10
        while count < 39 && value >= threshold {
            count += 1
            if count < 39 { threshold *= 10 }
        }
        return count
    }

    private static func digitCount(high: UInt128, low: UInt128) -> Int {
        var (h, l) = (high, low)
        var count = 0
        let chunk = power(19)
        while h != 0 {
            let divided = divide(high: h, low: l, by: chunk)
            (h, l) = (divided.high, divided.low)
            count += 19
        }
        return count + digitCount(l)
    }

    /// `(high·2^128 + low) / divisor` for a nonzero divisor below 2^127.
    private static func divide(high: UInt128, low: UInt128, by divisor: UInt128)
        -> (high: UInt128, low: UInt128, remainder: UInt128) {
        let (quotientHigh, remainderHigh) = high.quotientAndRemainder(dividingBy: divisor)
        let (quotientLow, remainder) = divisor.dividingFullWidth((remainderHigh, low))
        return (quotientHigh, quotientLow, remainder)
    }
}
