// Decimal128 numeric order: by mathematical value across cohorts (1.0 == 1.00, -0 == 0), with
// MongoDB's placement of NaN (equal to every NaN, below -Infinity). Pure integer arithmetic on
// the unpacked fields; no allocation, no text.

extension Decimal128 {
    /// Compares two decimals by value: negative, zero or positive as `a` is below, equal to or
    /// above `b`.
    ///
    /// Members of a cohort are equal (`1.0` and `1.00`, `-0` and `0E+5`); non-canonical
    /// encodings are zero. Following MongoDB, every NaN (quiet or signaling, any sign or payload)
    /// equals every other NaN and sorts below every number, `-Infinity` included.
    public static func compare(_ a: Decimal128, _ b: Decimal128) -> Int {
        if a.high == b.high && a.low == b.low { return 0 }
        let aIsNaN = a.isNaN
        let bIsNaN = b.isNaN
        if aIsNaN || bIsNaN { return aIsNaN ? (bIsNaN ? 0 : -1) : 1 }
        if a.isInfinite || b.isInfinite {
            // -Infinity < every finite value (rank 0) < +Infinity.
            let aRank = a.isInfinite ? (a.isSignMinus ? -1 : 1) : 0
            let bRank = b.isInfinite ? (b.isSignMinus ? -1 : 1) : 0
            return aRank == bRank ? 0 : (aRank < bRank ? -1 : 1)
        }
        let aParts = a.finiteParts
        let bParts = b.finiteParts
        let aSign = aParts.coefficient == 0 ? 0 : (aParts.isNegative ? -1 : 1)
        let bSign = bParts.coefficient == 0 ? 0 : (bParts.isNegative ? -1 : 1)
        if aSign != bSign { return aSign < bSign ? -1 : 1 }
        if aSign == 0 { return 0 }
        let magnitude = compareMagnitudes(
            aParts.coefficient, aParts.exponent, bParts.coefficient, bParts.exponent)
        return aSign > 0 ? magnitude : -magnitude
    }

    /// -1, 0 or 1 as `a × 10^aExponent` is below, equal to or above `b × 10^bExponent`, for
    /// nonzero coefficients of at most 34 digits.
    @inline(__always)
    static func compareMagnitudes(_ a: UInt128, _ aExponent: Int, _ b: UInt128, _ bExponent: Int) -> Int {
        if aExponent == bExponent { return a == b ? 0 : (a < b ? -1 : 1) }
        // Scale the operand with the larger exponent down to the other's exponent. A shift of 34
        // or more places makes it at least 10^34, above any coefficient.
        if aExponent > bExponent {
            let shift = aExponent - bExponent
            if shift >= precision { return 1 }
            let (scaled, overflow) = a.multipliedReportingOverflow(by: powerOfTen128(shift))
            if overflow { return 1 }
            return scaled == b ? 0 : (scaled < b ? -1 : 1)
        }
        let shift = bExponent - aExponent
        if shift >= precision { return -1 }
        let (scaled, overflow) = b.multipliedReportingOverflow(by: powerOfTen128(shift))
        if overflow { return -1 }
        return a == scaled ? 0 : (a < scaled ? -1 : 1)
    }
}
