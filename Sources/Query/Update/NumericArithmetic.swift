// MongoDB's SafeNum rules for $inc, $mul and $bit: int32 results that overflow widen to
// int64, int64 overflow is an error, any double makes a double and any decimal a decimal.
// Also SafeNum's "identical" test that decides whether an arithmetic update is a no-op.

internal import BSON

/// Arithmetic over BSON numbers with MongoDB's type promotion.
enum NumericArithmetic {
    /// `a + b`, or `nil` when an int64 result overflows.
    static func add(_ a: BSONValue, _ b: BSONValue) -> BSONValue? {
        switch (a, b) {
        case let (.int32(x), .int32(y)):
            let (sum, overflow) = x.addingReportingOverflow(y)
            return overflow ? .int64(Int64(x) + Int64(y)) : .int32(sum)
        default:
            break
        }
        if a.type == .decimal128 || b.type == .decimal128 {
            return .decimal128(DecimalArithmetic.add(decimal(a), decimal(b)))
        }
        if a.type == .double || b.type == .double {
            return .double(double(a) + double(b))
        }
        guard let x = integer(a), let y = integer(b) else { return nil }
        let (sum, overflow) = x.addingReportingOverflow(y)
        return overflow ? nil : .int64(sum)
    }

    /// `a × b`, or `nil` when an int64 result overflows.
    static func multiply(_ a: BSONValue, _ b: BSONValue) -> BSONValue? {
        switch (a, b) {
        case let (.int32(x), .int32(y)):
            let (product, overflow) = x.multipliedReportingOverflow(by: y)
            return overflow ? .int64(Int64(x) * Int64(y)) : .int32(product)
        default:
            break
        }
        if a.type == .decimal128 || b.type == .decimal128 {
            return .decimal128(DecimalArithmetic.multiply(decimal(a), decimal(b)))
        }
        if a.type == .double || b.type == .double {
            return .double(double(a) * double(b))
        }
        guard let x = integer(a), let y = integer(b) else { return nil }
        let (product, overflow) = x.multipliedReportingOverflow(by: y)
        return overflow ? nil : .int64(product)
    }

    /// The bitwise operations of `$bit` on int32 and int64 (an int32 with an int64 widens).
    static func bitwise(_ operation: BitOperation, _ a: BSONValue, _ b: BSONValue) -> BSONValue? {
        switch (a, b) {
        case let (.int32(x), .int32(y)):
            return .int32(operation.apply(x, y))
        default:
            guard let x = integer(a), let y = integer(b),
                  a.type != .double, b.type != .double else { return nil }
            return .int64(operation.apply(x, y))
        }
    }

    /// SafeNum's `isIdentical`: the same numeric type and the same value (decimals compare
    /// numerically, so `1.0` and `1.00` are identical; NaN is identical to nothing).
    static func isIdentical(_ a: BSONValue, _ b: BSONValue) -> Bool {
        switch (a, b) {
        case let (.int32(x), .int32(y)): x == y
        case let (.int64(x), .int64(y)): x == y
        case let (.double(x), .double(y)): x == y
        case let (.decimal128(x), .decimal128(y)): !x.isNaN && !y.isNaN && Decimal128.compare(x, y) == 0
        default: false
        }
    }

    private static func integer(_ value: BSONValue) -> Int64? {
        switch value {
        case .int32(let v): Int64(v)
        case .int64(let v): v
        default: nil
        }
    }

    private static func double(_ value: BSONValue) -> Double {
        switch value {
        case .int32(let v): Double(v)
        case .int64(let v): Double(v)
        case .double(let v): v
        case .decimal128(let v): v.doubleValue
        default: 0
        }
    }

    private static func decimal(_ value: BSONValue) -> Decimal128 {
        switch value {
        case .int32(let v): Decimal128(v)
        case .int64(let v): Decimal128(v)
        case .double(let v): DecimalArithmetic.fromDouble15(v)
        case .decimal128(let v): v
        default: Decimal128(Int64(0))
        }
    }
}

/// One of `$bit`'s operations.
enum BitOperation: Sendable {
    case and, or, xor

    func apply<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        switch self {
        case .and: a & b
        case .or: a | b
        case .xor: a ^ b
        }
    }
}
