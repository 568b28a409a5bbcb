// Decimal128 and binary numbers: Int64/Int32/Double in, Double/Int64 out, exactly or correctly
// rounded. Owns the BID field layout (sign, exponent, coefficient) and the heap-free scratch big
// integer the exact conversions and comparisons use; never parses or formats text.

// MARK: - BID layout

extension Decimal128 {
    /// The exponent bias of the BID encoding: a stored exponent of 0 means 10^-6176.
    static let exponentBias = 6176
    /// The smallest exponent of a finite value (the coefficient is an integer).
    static let minExponent = -6176
    /// The largest exponent of a finite value.
    static let maxExponent = 6111
    /// The largest canonical coefficient, 10^34 - 1.
    static let maxCoefficient: UInt128 = 9_999_999_999_999_999_999_999_999_999_999_999
    /// The number of decimal digits a coefficient holds.
    static let precision = 34

    /// The canonical quiet NaN (positive, no payload).
    static let quietNaN = Decimal128(high: 0x7C00_0000_0000_0000, low: 0)
    /// Positive infinity.
    static let positiveInfinity = Decimal128(high: 0x7800_0000_0000_0000, low: 0)
    /// Negative infinity.
    static let negativeInfinity = Decimal128(high: 0xF800_0000_0000_0000, low: 0)

    /// A finite value from its parts. The coefficient must be at most 10^34 - 1 and the
    /// exponent within `minExponent...maxExponent`.
    init(isNegative: Bool, coefficient: UInt128, exponent: Int) {
        precondition(coefficient <= Self.maxCoefficient, "Decimal128 coefficient out of range")
        precondition(exponent >= Self.minExponent && exponent <= Self.maxExponent, "Decimal128 exponent out of range")
        let biased = UInt64(exponent + Self.exponentBias)
        self.init(
            high: (isNegative ? 1 << 63 : 0) | biased << 49 | UInt64(truncatingIfNeeded: coefficient >> 64),
            low: UInt64(truncatingIfNeeded: coefficient)
        )
    }

    /// The sign, coefficient and unbiased exponent of a finite value (call only when neither
    /// NaN nor infinite). Non-canonical encodings (a coefficient above 10^34 - 1, or the
    /// large-coefficient form) read as a zero coefficient with their exponent, as the spec says.
    @inline(__always)
    var finiteParts: (isNegative: Bool, coefficient: UInt128, exponent: Int) {
        if (high >> 61) & 0b11 == 0b11 {
            return (isSignMinus, 0, Int((high >> 47) & 0x3FFF) - Self.exponentBias)
        }
        let coefficient = UInt128(high & 0x1_FFFF_FFFF_FFFF) << 64 | UInt128(low)
        return (
            isSignMinus,
            coefficient > Self.maxCoefficient ? 0 : coefficient,
            Int((high >> 49) & 0x3FFF) - Self.exponentBias
        )
    }
}

// MARK: - Powers

/// 10^0 ... 10^19, every power of ten that fits in a UInt64.
let powersOfTen64: [UInt64] = [
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
    10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000,
    100_000_000_000_000, 1_000_000_000_000_000, 10_000_000_000_000_000,
    100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
]

/// 5^0 ... 5^27, every power of five that fits in a UInt64.
let powersOfFive64: [UInt64] = [
    1, 5, 25, 125, 625, 3_125, 15_625, 78_125, 390_625, 1_953_125, 9_765_625, 48_828_125,
    244_140_625, 1_220_703_125, 6_103_515_625, 30_517_578_125, 152_587_890_625,
    762_939_453_125, 3_814_697_265_625, 19_073_486_328_125, 95_367_431_640_625,
    476_837_158_203_125, 2_384_185_791_015_625, 11_920_928_955_078_125,
    59_604_644_775_390_625, 298_023_223_876_953_125, 1_490_116_119_384_765_625,
    7_450_580_596_923_828_125,
]

/// 1e0 ... 1e22, the powers of ten a Double holds exactly.
let exactDoublePowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

/// 10^n as a UInt128, for 0 ≤ n ≤ 38.
@inline(__always)
func powerOfTen128(_ n: Int) -> UInt128 {
    n <= 19 ? UInt128(powersOfTen64[n]) : UInt128(powersOfTen64[19]) * UInt128(powersOfTen64[n - 19])
}

/// 5^n as a UInt128, for 0 ≤ n ≤ 54.
@inline(__always)
func powerOfFive128(_ n: Int) -> UInt128 {
    n <= 27 ? UInt128(powersOfFive64[n]) : UInt128(powersOfFive64[27]) * UInt128(powersOfFive64[n - 27])
}

/// The number of decimal digits of `value` (1 for zero), for values below 10^38.
func decimalDigitCount(_ value: UInt128) -> Int {
    if value == 0 { return 1 }
    // bits × 1233/4096 (just below log10 2) estimates the count from below, off by at most one.
    let bits = bitLength(value)
    let estimate = (bits * 1233) >> 12
    return estimate + (value >= powerOfTen128(estimate) ? 1 : 0)
}

/// The bit length of `value` (0 for zero).
@inline(__always)
func bitLength(_ value: UInt128) -> Int { 128 - value.leadingZeroBitCount }

// MARK: - Scratch big integer

/// A natural number in caller-provided scratch memory, least significant 64-bit limb first.
///
/// Exact decimal/binary conversion needs at most a few thousand bits, which
/// `withUnsafeTemporaryAllocation` provides on the stack, so conversions and comparisons never
/// touch the heap. Capacity is checked on every growth; exceeding it traps.
struct ScratchNatural {
    private let limbs: UnsafeMutableBufferPointer<UInt64>
    /// Limbs in use; the top one is nonzero unless the value is zero (count 0).
    private(set) var count: Int

    /// `value`, stored in `memory` (at least two limbs).
    init(memory: UnsafeMutableBufferPointer<UInt64>, value: UInt128) {
        precondition(memory.count >= 2)
        limbs = memory
        limbs[0] = UInt64(truncatingIfNeeded: value)
        limbs[1] = UInt64(truncatingIfNeeded: value >> 64)
        count = limbs[1] != 0 ? 2 : (limbs[0] != 0 ? 1 : 0)
    }

    /// Replaces the value.
    mutating func set(_ value: UInt128) {
        limbs[0] = UInt64(truncatingIfNeeded: value)
        limbs[1] = UInt64(truncatingIfNeeded: value >> 64)
        count = limbs[1] != 0 ? 2 : (limbs[0] != 0 ? 1 : 0)
    }

    /// Whether the value is zero.
    var isZero: Bool { count == 0 }

    /// The number of significant bits.
    var bitWidth: Int { count == 0 ? 0 : count * 64 - limbs[count - 1].leadingZeroBitCount }

    /// The value, if it fits in 128 bits.
    var uint128Value: UInt128? {
        switch count {
        case 0: 0
        case 1: UInt128(limbs[0])
        case 2: UInt128(limbs[1]) << 64 | UInt128(limbs[0])
        default: nil
        }
    }

    private mutating func trim() {
        while count > 0 && limbs[count - 1] == 0 { count -= 1 }
    }

    /// Multiplies in place by a 64-bit factor.
    mutating func multiply(by factor: UInt64) {
        var carry: UInt64 = 0
        for index in 0..<count {
            let (high, low) = limbs[index].multipliedFullWidth(by: factor)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            limbs[index] = sum
            carry = high &+ (overflow ? 1 : 0)  // high ≤ 2^64 - 2, so this cannot wrap
        }
        if carry != 0 {
            precondition(count < limbs.count, "ScratchNatural capacity exceeded")
            limbs[count] = carry
            count += 1
        }
    }

    /// Multiplies in place by 5^exponent.
    mutating func multiplyByPowerOfFive(_ exponent: Int) {
        var remaining = exponent
        while remaining >= 27 {
            multiply(by: powersOfFive64[27])
            remaining -= 27
        }
        if remaining > 0 { multiply(by: powersOfFive64[remaining]) }
    }

    /// Multiplies in place by 10^exponent.
    mutating func multiplyByPowerOfTen(_ exponent: Int) {
        var remaining = exponent
        while remaining >= 19 {
            multiply(by: powersOfTen64[19])
            remaining -= 19
        }
        if remaining > 0 { multiply(by: powersOfTen64[remaining]) }
    }

    /// Multiplies in place by 2^bits.
    mutating func shiftLeft(by bits: Int) {
        guard count > 0, bits > 0 else { return }
        let limbShift = bits / 64
        let bitShift = bits % 64
        let newCount = count + limbShift + (bitShift == 0 ? 0 : 1)
        precondition(newCount <= limbs.count, "ScratchNatural capacity exceeded")
        if bitShift == 0 {
            for index in stride(from: count - 1, through: 0, by: -1) {
                limbs[index + limbShift] = limbs[index]
            }
        } else {
            limbs[count + limbShift] = limbs[count - 1] >> (64 - bitShift)
            for index in stride(from: count - 1, to: 0, by: -1) {
                limbs[index + limbShift] = limbs[index] << bitShift | limbs[index - 1] >> (64 - bitShift)
            }
            limbs[limbShift] = limbs[0] << bitShift
        }
        for index in 0..<limbShift { limbs[index] = 0 }
        count = newCount
        trim()
    }

    /// Divides in place by 2, dropping the remainder.
    mutating func halve() {
        guard count > 0 else { return }
        for index in 0..<(count - 1) {
            limbs[index] = limbs[index] >> 1 | limbs[index + 1] << 63
        }
        limbs[count - 1] >>= 1
        trim()
    }

    /// Divides in place by a nonzero 64-bit divisor and returns the remainder.
    mutating func divide(by divisor: UInt64) -> UInt64 {
        var remainder: UInt64 = 0
        for index in stride(from: count - 1, through: 0, by: -1) {
            (limbs[index], remainder) = divisor.dividingFullWidth((remainder, limbs[index]))
        }
        trim()
        return remainder
    }

    /// Subtracts `other`, which must not exceed `self`.
    mutating func subtract(_ other: ScratchNatural) {
        var borrow = false
        for index in 0..<count {
            let subtrahend = index < other.count ? other.limbs[index] : 0
            let (first, overflow1) = limbs[index].subtractingReportingOverflow(subtrahend)
            let (second, overflow2) = first.subtractingReportingOverflow(borrow ? 1 : 0)
            limbs[index] = second
            borrow = overflow1 || overflow2
        }
        precondition(!borrow, "ScratchNatural subtraction underflow")
        trim()
    }

    /// -1, 0 or 1 as `self` is below, equal to or above `other`.
    func compare(_ other: ScratchNatural) -> Int {
        if count != other.count { return count < other.count ? -1 : 1 }
        for index in stride(from: count - 1, through: 0, by: -1) where limbs[index] != other.limbs[index] {
            return limbs[index] < other.limbs[index] ? -1 : 1
        }
        return 0
    }

    /// The 64 bits starting at the top set bit, and whether any bit below them is set.
    /// Requires a value of at least 64 bits.
    func leadingBits() -> (bits: UInt64, sticky: Bool) {
        let shift = bitWidth - 64
        let limbIndex = shift / 64
        let bitOffset = shift % 64
        var bits = limbs[limbIndex] >> bitOffset
        if bitOffset > 0 && limbIndex + 1 < count { bits |= limbs[limbIndex + 1] << (64 - bitOffset) }
        var sticky = bitOffset > 0 && limbs[limbIndex] & ((1 << bitOffset) - 1) != 0
        var index = 0
        while !sticky && index < limbIndex {
            sticky = limbs[index] != 0
            index += 1
        }
        return (bits, sticky)
    }
}

/// Runs `body` with two scratch naturals of `limbs` limbs each, both starting at zero, in
/// stack memory.
@inline(__always)
func withScratchNaturals<R>(limbs: Int, _ body: (inout ScratchNatural, inout ScratchNatural) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * limbs) { memory in
        var first = ScratchNatural(memory: UnsafeMutableBufferPointer(rebasing: memory[0..<limbs]), value: 0)
        var second = ScratchNatural(memory: UnsafeMutableBufferPointer(rebasing: memory[limbs...]), value: 0)
        return body(&first, &second)
    }
}

// MARK: - Rounding of dropped digits

/// How the decimal digits dropped so far compare with half a unit of the last digit kept;
/// enough to round half to even. Push the dropped chunks least significant first.
struct DroppedDigits {
    private enum Relation { case zero, belowHalf, half, aboveHalf }
    private var relation = Relation.zero

    /// Records `value`, a chunk of `digits` dropped digits above everything pushed before.
    mutating func push(_ value: UInt64, digits: Int) {
        let half = 5 * powersOfTen64[digits - 1]
        if value > half {
            relation = .aboveHalf
        } else if value == half {
            relation = relation == .zero ? .half : .aboveHalf
        } else {
            relation = value == 0 && relation == .zero ? .zero : .belowHalf
        }
    }

    /// Whether rounding half to even adds one to a kept value whose last digit is odd or even.
    func roundsUp(keptIsOdd: Bool) -> Bool {
        relation == .aboveHalf || (relation == .half && keptIsOdd)
    }
}

// MARK: - Integers

extension Decimal128 {
    /// The exact decimal value of an integer (exponent 0).
    public init(_ value: Int64) {
        self.init(isNegative: value < 0, coefficient: UInt128(value.magnitude), exponent: 0)
    }

    /// The exact decimal value of an integer (exponent 0).
    public init(_ value: Int32) {
        self.init(Int64(value))
    }

    /// The value as an Int64 when it is an integer within Int64's range (any exponent: `1.00`
    /// and `1E+2` qualify, `-0` is 0); `nil` for fractions, out-of-range values, NaN and
    /// infinities.
    public var int64Value: Int64? {
        if isNaN || isInfinite { return nil }
        let (isNegative, coefficient, exponent) = finiteParts
        if coefficient == 0 { return 0 }
        var magnitude: UInt128
        if exponent >= 0 {
            if exponent > 18 { return nil }
            let (product, overflow) = coefficient.multipliedReportingOverflow(by: powerOfTen128(exponent))
            if overflow { return nil }
            magnitude = product
        } else {
            if exponent < -(Self.precision - 1) { return nil }
            if coefficient >> 64 == 0 && exponent >= -19 {
                let (quotient, remainder) = UInt64(truncatingIfNeeded: coefficient)
                    .quotientAndRemainder(dividingBy: powersOfTen64[-exponent])
                if remainder != 0 { return nil }
                magnitude = UInt128(quotient)
            } else {
                let (quotient, remainder) = coefficient.quotientAndRemainder(dividingBy: powerOfTen128(-exponent))
                if remainder != 0 { return nil }
                magnitude = quotient
            }
        }
        if isNegative {
            if magnitude > UInt128(Int64.min.magnitude) { return nil }
            return Int64(truncatingIfNeeded: 0 &- UInt64(truncatingIfNeeded: magnitude))
        }
        if magnitude > UInt128(Int64.max) { return nil }
        return Int64(magnitude)
    }
}

// MARK: - Double to decimal

/// A finite nonzero Double as `significand × 2^exponent` with an odd significand.
@inline(__always)
func oddBinaryParts(_ value: Double) -> (significand: UInt64, exponent: Int) {
    var significand = value.significandBitPattern
    var exponent: Int
    if value.exponentBitPattern == 0 {
        exponent = -1074
    } else {
        significand |= 1 << 52
        exponent = Int(value.exponentBitPattern) - 1075  // checked: an 11-bit field
    }
    let zeros = significand.trailingZeroBitCount
    significand >>= zeros
    exponent += zeros
    return (significand, exponent)
}

extension Decimal128 {
    /// The Double's exact binary value rounded half to even to 34 significant digits, like
    /// MongoDB's `Decimal128(double, kRoundTo34Digits)`. Values that need no rounding keep
    /// the smallest exponent that is exact (`0.5` is `5E-1`, `1e20` is `100000000000000000000`);
    /// ±0 is ±0 with exponent 0; NaN maps to NaN and ±infinity to ±Infinity.
    public init(_ value: Double) {
        if value.isNaN {
            self = Self.quietNaN
            return
        }
        if value.isInfinite {
            self = value < 0 ? Self.negativeInfinity : Self.positiveInfinity
            return
        }
        let isNegative = value.sign == .minus
        if value == 0 {
            self.init(isNegative: isNegative, coefficient: 0, exponent: 0)
            return
        }
        let (significand, exponent) = oddBinaryParts(value)
        // Exact results that fit the coefficient need no big arithmetic.
        if exponent >= 0 {
            if exponent + (64 - significand.leadingZeroBitCount) <= 113 {
                let coefficient = UInt128(significand) << exponent
                if coefficient <= Self.maxCoefficient {
                    self.init(isNegative: isNegative, coefficient: coefficient, exponent: 0)
                    return
                }
            }
        } else if -exponent <= 48 {
            let (coefficient, overflow) = UInt128(significand).multipliedReportingOverflow(by: powerOfFive128(-exponent))
            if !overflow && coefficient <= Self.maxCoefficient {
                self.init(isNegative: isNegative, coefficient: coefficient, exponent: exponent)
                return
            }
        }
        self = Self.rounded(isNegative: isNegative, significand: significand, binaryExponent: exponent)
    }

    /// `significand × 2^binaryExponent` rounded half to even to 34 digits, through a big integer.
    private static func rounded(isNegative: Bool, significand: UInt64, binaryExponent: Int) -> Decimal128 {
        // The largest integer formed is 2^53 × 5^1074 < 2^2548: 40 limbs.
        withScratchNaturals(limbs: 40) { value, _ in
            value.set(UInt128(significand))
            var exponent = 0
            if binaryExponent >= 0 {
                value.shiftLeft(by: binaryExponent)
            } else {
                value.multiplyByPowerOfFive(-binaryExponent)
                exponent = binaryExponent
            }
            // A value of b bits has at least floor((b - 1) log10 2) + 1 digits (1233/4096 is just
            // below log10 2); drop all but 34 of those, then at most two more below.
            var dropping = (((value.bitWidth - 1) * 1233) >> 12) + 1 - precision
            var dropped = DroppedDigits()
            if dropping > 0 {
                exponent += dropping
                while dropping >= 19 {
                    dropped.push(value.divide(by: powersOfTen64[19]), digits: 19)
                    dropping -= 19
                }
                if dropping > 0 { dropped.push(value.divide(by: powersOfTen64[dropping]), digits: dropping) }
            }
            guard var coefficient = value.uint128Value else {
                preconditionFailure("Decimal128(Double): coefficient estimate was wrong")
            }
            while coefficient > maxCoefficient {
                let (quotient, remainder) = coefficient.quotientAndRemainder(dividingBy: 10)
                dropped.push(UInt64(remainder), digits: 1)
                coefficient = quotient
                exponent += 1
            }
            if dropped.roundsUp(keptIsOdd: coefficient & 1 == 1) {
                coefficient += 1
                if coefficient > maxCoefficient {
                    coefficient /= 10
                    exponent += 1
                }
            }
            return Decimal128(isNegative: isNegative, coefficient: coefficient, exponent: exponent)
        }
    }
}

// MARK: - Decimal to double

extension Decimal128 {
    /// The Double nearest to the value (ties to even); ±0 for magnitudes below half the smallest
    /// subnormal, ±infinity beyond the largest finite Double, NaN for NaN. `-0` gives `-0.0`.
    public var doubleValue: Double {
        if isNaN { return .nan }
        if isInfinite { return isSignMinus ? -.infinity : .infinity }
        let (isNegative, coefficient, exponent) = finiteParts
        let magnitude = coefficient == 0 ? 0 : Self.nearestDouble(coefficient: coefficient, exponent: exponent)
        return isNegative ? -magnitude : magnitude
    }

    /// The Double nearest to `coefficient × 10^exponent` (coefficient nonzero).
    static func nearestDouble(coefficient: UInt128, exponent: Int) -> Double {
        // Both operands exact, so one IEEE operation rounds correctly (Clinger's fast path).
        if coefficient <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            let value = Double(UInt64(coefficient))
            return exponent >= 0 ? value * exactDoublePowersOfTen[exponent] : value / exactDoublePowersOfTen[-exponent]
        }
        let adjusted = exponent + decimalDigitCount(coefficient) - 1
        if adjusted > 308 { return .infinity }  // ≥ 10^309
        if adjusted < -325 { return 0 }  // < 10^-325, below half the smallest subnormal
        if exponent >= 0 {
            // An integer below 10^310 < 2^1030: 17 limbs.
            return withScratchNaturals(limbs: 18) { value, _ in
                value.set(coefficient)
                value.multiplyByPowerOfTen(exponent)
                if value.bitWidth <= 64, let small = value.uint128Value {
                    return roundedDouble(small, binaryExponent: 0, sticky: false)
                }
                let (bits, sticky) = value.leadingBits()
                return roundedDouble(UInt128(bits), binaryExponent: value.bitWidth - 64, sticky: sticky)
            }
        }
        // coefficient / 10^k with k ≤ 358: long division to a 65- or 66-bit quotient.
        // 10^358 < 2^1190; shifted by up to 66 + 44 bits it stays below 2^1300: 21 limbs.
        return withScratchNaturals(limbs: 22) { remainder, divisor in
            divisor.set(1)
            divisor.multiplyByPowerOfTen(-exponent)
            remainder.set(coefficient)
            // Scale so the quotient lies in [2^64, 2^66).
            let scale = 65 - bitLength(coefficient) + divisor.bitWidth
            if scale >= 0 { remainder.shiftLeft(by: scale) } else { divisor.shiftLeft(by: -scale) }
            divisor.shiftLeft(by: 66)
            var quotient: UInt128 = 0
            for bit in stride(from: 66, through: 0, by: -1) {
                if remainder.compare(divisor) >= 0 {
                    remainder.subtract(divisor)
                    quotient |= 1 << bit
                }
                if bit > 0 { divisor.halve() }
            }
            return roundedDouble(quotient, binaryExponent: -scale, sticky: !remainder.isZero)
        }
    }

    /// The Double nearest to `(significand + f) × 2^binaryExponent`, where 0 ≤ f < 1 and `sticky`
    /// says whether f > 0; ties to even, overflow to infinity, underflow through subnormals to 0.
    /// The significand must be nonzero, and at least 64 bits wide whenever `sticky` is set.
    static func roundedDouble(_ significand: UInt128, binaryExponent: Int, sticky: Bool) -> Double {
        let width = bitLength(significand)
        let topExponent = binaryExponent + width - 1
        if topExponent > 1023 { return .infinity }
        let quantumExponent = max(topExponent - 52, -1074)
        let dropping = quantumExponent - binaryExponent
        var kept: UInt128
        if dropping <= 0 {
            kept = significand << -dropping
        } else {
            if dropping > width { return 0 }  // below half the smallest subnormal
            kept = significand >> dropping
            let rest = significand & ~(UInt128.max << dropping)
            let half: UInt128 = 1 << (dropping - 1)
            if rest > half || (rest == half && (sticky || kept & 1 == 1)) { kept += 1 }
        }
        var resultExponent = quantumExponent
        if kept == 1 << 53 {
            kept >>= 1
            resultExponent += 1
        }
        if kept < 1 << 52 { return Double(bitPattern: UInt64(kept)) }  // subnormal
        let biased = resultExponent + 52 + 1023
        if biased >= 2047 { return .infinity }
        return Double(bitPattern: UInt64(biased) << 52 | UInt64(kept) & ((1 << 52) - 1))
    }
}
