// ExpressionMath: `$round`, `$pow`, `$sqrt`, `$exp`, `$ln`, `$log`, `$log10` with MongoDB's
// result types (doubles unless a decimal is involved, `$pow` of integers stays integral when
// exact), null propagation and error codes.

internal import BSON
internal import Documents

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The power and logarithm operators and `$round`.
enum ExpressionMath {
    static func apply(_ op: ExpressionOperator, _ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        if values.contains(where: ExpressionArithmetic.isNullish) { return .null }
        let numbers = values.compactMap { $0 }
        for (position, value) in numbers.enumerated() where !value.isNumeric {
            let type = ServerText.typeName(value)
            switch op {
            case .round:
                throw MongoError(.location(51081), "$round only supports numeric types, not \(type)")
            case .pow:
                if position == 0 { throw MongoError(.location(28762), "$pow's base must be numeric, not \(type)") }
                throw MongoError(.location(28763), "$pow's exponent must be numeric, not \(type)")
            case .log:
                if position == 0 { throw MongoError(.location(28756), "$log's argument must be numeric, not \(type)") }
                throw MongoError(.location(28757), "$log's base must be numeric, not \(type)")
            default:
                throw MongoError(.location(28765), "\(op.rawValue) only supports numeric types, not \(type)")
            }
        }
        switch op {
        case .round:
            return try round(numbers[0], place: numbers.count > 1 ? numbers[1] : .int32(0))
        case .pow:
            return try pow(numbers[0], numbers[1])
        case .sqrt:
            let x = ExpressionArithmetic.doubleValue(numbers[0])
            if x < 0 { throw MongoError(.location(28714), "$sqrt's argument must be greater than or equal to 0") }
            return .double(x.squareRoot())
        case .exp:
            return .double(libmExp(ExpressionArithmetic.doubleValue(numbers[0])))
        case .ln:
            let x = ExpressionArithmetic.doubleValue(numbers[0])
            if x <= 0 { throw MongoError(.location(28766), "$ln's argument must be a positive number, but is \(ServerText.shortDouble(x))") }
            return .double(libmLog(x))
        case .log10:
            let x = ExpressionArithmetic.doubleValue(numbers[0])
            if x <= 0 { throw MongoError(.location(28761), "$log10's argument must be a positive number, but is \(ServerText.shortDouble(x))") }
            return .double(libmLog10(x))
        default:
            let x = ExpressionArithmetic.doubleValue(numbers[0])
            let base = ExpressionArithmetic.doubleValue(numbers[1])
            if x <= 0 { throw MongoError(.location(28758), "$log's argument must be a positive number, but is \(ServerText.shortDouble(x))") }
            if base <= 0 || base == 1 {
                throw MongoError(.location(28759), "$log's base must be a positive number not equal to 1, but is \(ServerText.shortDouble(base))")
            }
            return .double(libmLog(x) / libmLog(base))
        }
    }

    /// `$round` to `place` places, half to even (MongoDB's documented rounding).
    static func round(_ operand: BSONValue, place: BSONValue) throws(MongoError) -> BSONValue? {
        guard let places = ExpressionArithmetic.int32Value(place) else {
            throw MongoError(.location(51082), "precision argument to  $round must be a integral value")
        }
        guard (-20...100).contains(places) else {
            throw MongoError(.location(51083), "cannot apply $round with precision value \(places) value must be in [-20, 100]")
        }
        switch operand {
        case .decimal128(let decimal):
            return .decimal128(DecimalArithmetic.rounded(decimal, toExponent: -places, .toNearestOrEven))
        case .double(let double):
            guard double.isFinite else { return operand }
            return .double(DecimalArithmetic.rounded(Decimal128(double), toExponent: -places, .toNearestOrEven).doubleValue)
        default:
            if places >= 0 { return operand }
            let long = ExpressionArithmetic.longValue(operand)
            let rounded = DecimalArithmetic.rounded(Decimal128(long), toExponent: -places, .toNearestOrEven).int64Value ?? 0
            if case .int64 = operand { return .int64(rounded) }
            return ExpressionArithmetic.intOrLong(rounded)
        }
    }

    /// `$pow`: integers stay integers while exact; a negative exponent of zero fails.
    static func pow(_ base: BSONValue, _ exponent: BSONValue) throws(MongoError) -> BSONValue {
        let baseWidth = ExpressionArithmetic.Width(base) ?? .int
        let exponentWidth = ExpressionArithmetic.Width(exponent) ?? .int
        let width = max(baseWidth, exponentWidth)
        if ExpressionArithmetic.doubleValue(base) == 0 && ExpressionArithmetic.doubleValue(exponent) < 0 && width <= .long {
            throw MongoError(.location(28764), "$pow cannot take a base of 0 and a negative exponent")
        }
        switch width {
        case .decimal:
            return .decimal128(Decimal128(libmPow(ExpressionArithmetic.doubleValue(base), ExpressionArithmetic.doubleValue(exponent))))
        case .double:
            return .double(libmPow(ExpressionArithmetic.doubleValue(base), ExpressionArithmetic.doubleValue(exponent)))
        case .int, .long:
            let b = ExpressionArithmetic.longValue(base)
            let e = ExpressionArithmetic.longValue(exponent)
            if e < 0 {
                if b == 1 { return width == .int ? .int32(1) : .int64(1) }
                if b == -1 { return width == .int ? .int32(e % 2 == 0 ? 1 : -1) : .int64(e % 2 == 0 ? 1 : -1) }
                return .double(libmPow(Double(b), Double(e)))
            }
            var result: Int64 = 1
            var overflow = false
            for _ in 0..<min(e, 64) {
                let (product, didOverflow) = result.multipliedReportingOverflow(by: b)
                if didOverflow { overflow = true; break }
                result = product
            }
            if overflow || (e >= 64 && Swift.abs(b) > 1) {
                return .double(libmPow(Double(b), Double(e)))
            }
            if width == .int, let small = Int32(exactly: result) { return .int32(small) }
            return .int64(result)
        }
    }
}

// The C math library's functions, named apart from ExpressionMath's own `pow`.
private func libmExp(_ x: Double) -> Double { exp(x) }
private func libmLog(_ x: Double) -> Double { log(x) }
private func libmLog10(_ x: Double) -> Double { log10(x) }
private func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
