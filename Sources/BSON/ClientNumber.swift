// ClientNumber: the one checked conversion of a number that came from outside (a client's
// BSON value, a double computed from one) to a Swift integer. Owns the rules for NaN,
// infinities, -0.0, fractions and values beyond the target's range; it never traps. Every
// `Int(…)`/`Int64(…)` of a Double or Decimal128 elsewhere is a defect (`scripts/lint-conversions`).

/// Checked conversions of numbers that arrive from clients. Each returns `nil` where Swift's
/// initialisers would trap; callers turn `nil` into MongoDB's error for their option.
public enum ClientNumber {
    /// 2^63 as a Double: the first double above `Int64.max` (every double below it in
    /// magnitude, and -2^63 itself, fits an Int64).
    public static let int64Bound = 9_223_372_036_854_775_808.0

    /// The integer `value` stands for exactly: an int32 or int64, a double or decimal with an
    /// integral value within Int64's range (`-0.0` is 0). `nil` for NaN, infinities,
    /// fractions, values beyond Int64 and anything not a number.
    public static func exactInteger(_ value: BSONValue) -> Int64? {
        switch value {
        case let .int32(number): return Int64(number)
        case let .int64(number): return number
        case let .double(number): return number.isFinite ? Int64(exactly: number) : nil
        case let .decimal128(number): return number.int64Value
        default: return nil
        }
    }

    /// `value` truncated toward zero: any number whose integral part fits an Int64 (decimals
    /// go through their double value first, as MongoDB's `safeNumberLong` does). `nil` for
    /// NaN, infinities, values beyond Int64 and anything not a number.
    public static func truncatedInteger(_ value: BSONValue) -> Int64? {
        switch value {
        case let .int32(number): return Int64(number)
        case let .int64(number): return number
        case let .double(number): return int64(truncating: number)
        case let .decimal128(number): return number.int64Value ?? int64(truncating: number.doubleValue)
        default: return nil
        }
    }

    /// `value` truncated toward zero, or clamped to Int64's range when it lies beyond it
    /// (MongoDB's `safeNumberLong`, which saturates). `nil` only for NaN and non-numbers.
    public static func saturatedInteger(_ value: BSONValue) -> Int64? {
        switch value {
        case let .int32(number): return Int64(number)
        case let .int64(number): return number
        case let .double(number): return int64(saturating: number)
        case let .decimal128(number): return number.int64Value ?? int64(saturating: number.doubleValue)
        default: return nil
        }
    }

    /// `double` truncated toward zero when the result fits an Int64; `nil` otherwise.
    public static func int64(truncating double: Double) -> Int64? {
        guard double.isFinite else { return nil }
        let truncated = double.rounded(.towardZero)
        guard truncated >= -int64Bound, truncated < int64Bound else { return nil }
        return Int64(exactly: truncated)
    }

    /// `double` rounded by `rule` when the result fits an Int64; `nil` otherwise.
    public static func int64(rounding double: Double, _ rule: FloatingPointRoundingRule) -> Int64? {
        int64(truncating: double.rounded(rule))
    }

    /// `double` truncated toward zero, clamped to Int64's range; `nil` for NaN.
    public static func int64(saturating double: Double) -> Int64? {
        if double.isNaN { return nil }
        if double >= int64Bound { return .max }
        if double <= -int64Bound { return .min }
        return int64(truncating: double)
    }

    /// `value` as an Int32 when it is one exactly; `nil` otherwise.
    public static func int32(exactly value: Int64) -> Int32? {
        Int32(exactly: value)
    }

    /// `value` as an Int, clamped to Int's range (identity on 64-bit platforms).
    public static func int(clamping value: Int64) -> Int {
        Int(clamping: value)
    }

    /// `value` as an Int, clamped to Int's range (`UInt64` magnitudes such as
    /// `Int64.min.magnitude` do not fit an Int).
    public static func int(clamping value: UInt64) -> Int {
        value > UInt64(Int.max) ? .max : Int(truncatingIfNeeded: value)
    }
}
