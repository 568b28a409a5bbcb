// Exact numeric conversions for decoding: which BSON numbers (int32, int64, double,
// decimal128) become a requested Swift number without changing value. Never rounds, except
// where `Float` documents that it does.

extension BSONValue {
    /// This number as `T` if it is a BSON number whose value `T` holds exactly.
    func exactInteger<T: FixedWidthInteger>(_: T.Type) throws(BSONDecodingFailure) -> T {
        let converted: T?
        switch self {
        case .int32(let v): converted = T(exactly: v)
        case .int64(let v): converted = T(exactly: v)
        case .double(let v): converted = T(exactly: v)
        case .decimal128(let v): converted = v.exactInteger(T.self)
        default: throw .unexpected(type)
        }
        guard let converted else { throw .inexact(inexactMessage(for: T.self)) }
        return converted
    }

    /// This number as a `Double` if it is a BSON number a `Double` holds exactly.
    func exactDouble() throws(BSONDecodingFailure) -> Double {
        let converted: Double?
        switch self {
        case .int32(let v): converted = Double(v)
        case .int64(let v): converted = Double(exactly: v)
        case .double(let v): converted = v
        case .decimal128(let v): converted = v.exactDouble
        default: throw .unexpected(type)
        }
        guard let converted else { throw .inexact(inexactMessage(for: Double.self)) }
        return converted
    }

    /// This number as a `Float`. Integers must convert exactly; a double (or decimal that
    /// is exactly a double) within `Float`'s range is rounded to the nearest `Float`, since
    /// BSON has no 32-bit float and other clients' doubles are rarely exact floats.
    func nearestFloat() throws(BSONDecodingFailure) -> Float {
        switch self {
        case .int32(let v):
            if let exact = Float(exactly: v) { return exact }
        case .int64(let v):
            if let exact = Float(exactly: v) { return exact }
        case .double(let double):
            let rounded = Float(double)
            if rounded.isFinite || !double.isFinite { return rounded }
        case .decimal128(let decimal):
            if let double = decimal.exactDouble {
                let rounded = Float(double)
                if rounded.isFinite || !double.isFinite { return rounded }
            }
        default:
            throw .unexpected(type)
        }
        throw .inexact(inexactMessage(for: Float.self))
    }

    private func inexactMessage(for target: Any.Type) -> String {
        let shown: String
        switch self {
        case .int32(let v): shown = String(v)
        case .int64(let v): shown = String(v)
        case .double(let v): shown = String(v)
        case .decimal128(let v): shown = v.description
        default: shown = ""
        }
        return "BSON \(type.alias) \(shown) does not fit exactly in \(target)"
    }
}

extension Decimal128 {
    /// Sign, coefficient and exponent of a finite value; `nil` for NaN and infinities.
    private var partsIfFinite: (isNegative: Bool, coefficient: UInt128, exponent: Int)? {
        isNaN || isInfinite ? nil : finiteParts
    }

    /// The value as `T` when it is an integer `T` holds exactly (`-0` is `0`).
    func exactInteger<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard let (negative, coefficient, exponent) = partsIfFinite else { return nil }
        let magnitude: UInt128
        if coefficient == 0 {
            return 0
        } else if exponent >= 0 {
            guard exponent <= 38 else { return nil }
            let product = coefficient.multipliedReportingOverflow(by: powerOfTen128(exponent))
            guard !product.overflow else { return nil }
            magnitude = product.partialValue
        } else {
            guard -exponent <= 38 else { return nil }
            let (quotient, remainder) = coefficient.quotientAndRemainder(dividingBy: powerOfTen128(-exponent))
            guard remainder == 0 else { return nil }
            magnitude = quotient
        }
        guard negative else { return T(exactly: magnitude) }
        guard magnitude <= UInt128(1) << 127 else { return nil }
        let signed = magnitude == UInt128(1) << 127 ? Int128.min : -Int128(magnitude)
        return T(exactly: signed)
    }

    /// The value as a `Double` when a `Double` holds it exactly (NaN and infinities map to
    /// their `Double` counterparts).
    var exactDouble: Double? {
        if isNaN { return .nan }
        if isInfinite { return isSignMinus ? -.infinity : .infinity }
        guard let (negative, coefficient, exponent) = partsIfFinite else { return nil }
        guard coefficient != 0 else { return negative ? -0.0 : 0.0 }
        // value = odd · 2^twos · 10^exponent = odd · 5^exponent · 2^(twos + exponent)
        let twos = coefficient.trailingZeroBitCount
        var odd = coefficient >> twos
        if exponent >= 0 {
            guard exponent <= 54 else { return nil }
            let product = odd.multipliedReportingOverflow(by: powerOfFive128(exponent))
            guard !product.overflow else { return nil }
            odd = product.partialValue
        } else {
            guard -exponent <= 54 else { return nil }
            let (quotient, remainder) = odd.quotientAndRemainder(dividingBy: powerOfFive128(-exponent))
            guard remainder == 0 else { return nil }
            odd = quotient
        }
        guard odd < UInt128(1) << (Double.significandBitCount + 1) else { return nil }
        let magnitude = Double(sign: .plus, exponent: twos + exponent, significand: Double(odd))
        return negative ? -magnitude : magnitude
    }
}
