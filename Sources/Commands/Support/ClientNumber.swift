// ClientNumber: the one checked conversion of a client's BSON number to an integer. Owns the
// rules for NaN, infinities, -0.0, fractions and values beyond Int64; it never traps.

import BSON

/// Checked conversions of numbers that arrive from clients.
enum ClientNumber {
    /// The integer `value` stands for exactly: an int32 or int64, a double or decimal with an
    /// integral value within Int64's range (`-0.0` is 0). `nil` for NaN, infinities,
    /// fractions, values beyond Int64 and anything not a number.
    static func exactInteger(_ value: BSONValue) -> Int64? {
        switch value {
        case let .int32(number): return Int64(number)
        case let .int64(number): return number
        case let .double(number): return number.isFinite ? Int64(exactly: number) : nil
        case let .decimal128(number): return number.int64Value
        default: return nil
        }
    }
}
