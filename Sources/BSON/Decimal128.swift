// Decimal128: storage of the IEEE 754-2008 128-bit decimal (BID encoding) and its
// bit-level classification. String conversion, conversions from and to binary numbers and
// numeric comparison live in the Decimal128+*.swift files beside this one.

/// An IEEE 754-2008 128-bit decimal floating-point number in the binary integer decimal
/// (BID) encoding that BSON uses.
///
/// `==` and hashing are bit-exact (`1.0` and `1.00` differ, as their encodings do). Numeric
/// comparison is ``Decimal128/compare(_:_:)``.
public struct Decimal128: Sendable, Hashable {
    /// The low 64 bits of the encoding.
    public var low: UInt64
    /// The high 64 bits of the encoding (sign, combination field, high coefficient bits).
    public var high: UInt64

    /// A decimal from its two 64-bit halves.
    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Whether the sign bit is set.
    @inlinable public var isSignMinus: Bool { high >> 63 == 1 }

    /// Whether the value is a NaN (quiet or signaling).
    @inlinable public var isNaN: Bool { (high >> 58) & 0x1F == 0x1F }

    /// Whether the value is positive or negative infinity.
    @inlinable public var isInfinite: Bool { (high >> 58) & 0x1F == 0x1E }
}
