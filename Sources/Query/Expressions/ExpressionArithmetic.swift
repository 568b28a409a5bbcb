// ExpressionArithmetic: the numeric operators of aggregation expressions ($add, $subtract,
// $multiply, $divide, $mod, $abs, $ceil, $floor, $trunc) with MongoDB's result types (the
// narrowest of int, long, double, decimal that holds the result), date arithmetic, null
// propagation and error codes.

internal import BSON
internal import Documents

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numeric operators of aggregation expressions.
enum ExpressionArithmetic {
    /// The numeric types in widening order.
    enum Width: Int, Comparable {
        case int, long, double, decimal

        init?(_ value: BSONValue?) {
            switch value {
            case .int32?: self = .int
            case .int64?: self = .long
            case .double?: self = .double
            case .decimal128?: self = .decimal
            default: return nil
            }
        }

        static func < (lhs: Width, rhs: Width) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Missing, null or undefined.
    static func isNullish(_ value: BSONValue?) -> Bool {
        switch value {
        case nil, .null?, .undefined?: return true
        default: return false
        }
    }

    /// An int when it fits, else a long (`Value::createIntOrLong`).
    static func intOrLong(_ value: Int64) -> BSONValue {
        if let small = Int32(exactly: value) { return .int32(small) }
        return .int64(value)
    }

    static func doubleValue(_ value: BSONValue) -> Double {
        switch value {
        case .int32(let int): return Double(int)
        case .int64(let long): return Double(long)
        case .double(let double): return double
        case .decimal128(let decimal): return decimal.doubleValue
        default: return 0
        }
    }

    /// `coerceToLong` on a number: doubles truncate.
    static func longValue(_ value: BSONValue) -> Int64 {
        switch value {
        case .int32(let int): return Int64(int)
        case .int64(let long): return long
        case .double(let double):
            return ClientNumber.int64(saturating: double) ?? 0
        case .decimal128(let decimal):
            return DecimalArithmetic.int64(decimal, rounding: .towardZero) ?? 0
        default: return 0
        }
    }

    /// `coerceToDecimal`: integers exactly, doubles to 15 significant digits.
    static func decimalValue(_ value: BSONValue) -> Decimal128 {
        switch value {
        case .int32(let int): return Decimal128(int)
        case .int64(let long): return Decimal128(long)
        case .double(let double): return DecimalArithmetic.fromDouble15(double)
        case .decimal128(let decimal): return decimal
        default: return Decimal128(Int64(0))
        }
    }

    /// The value as an Int32 when it is an integer in range (`Value::integral`).
    static func int32Value(_ value: BSONValue) -> Int? {
        switch value {
        case .int32(let int): return Int(int)
        case .int64(let long): return Int32(exactly: long).map(Int.init)
        case .double(let double): return Int32(exactly: double).map(Int.init)
        case .decimal128(let decimal): return decimal.int64Value.flatMap { Int32(exactly: $0) }.map(Int.init)
        default: return nil
        }
    }

    // MARK: - $add

    /// `$add`'s running sum: long arithmetic until a double, decimal or overflow widens it;
    /// one date makes the result a date.
    struct Sum {
        private var width = Width.int
        private var longTotal: Int64 = 0
        private var doubleTotal: Double = 0
        private var decimalTotal = Decimal128(Int64(0))
        private var isDate = false

        mutating func add(_ operand: BSONValue?) throws(MongoError) {
            guard let operand, operand.isNumeric || operand.type == .datetime else {
                throw MongoError(.typeMismatch, "$add only supports numeric or date types, not \(ServerText.typeName(operand))")
            }
            let oldWidth = width
            let addend: BSONValue
            if case .datetime(let date) = operand {
                if isDate { throw MongoError(.location(16612), "only one date allowed in an $add expression") }
                let previous = value
                longTotal = 0
                try addToDate(previous)
                isDate = true
                addend = .int64(date.millisecondsSinceEpoch)
            } else {
                if let operandWidth = Width(operand), operandWidth > width { width = operandWidth }
                addend = operand
            }
            if isDate {
                try addToDate(addend)
                return
            }
            if oldWidth != width {
                switch width {
                case .double: doubleTotal = Double(longTotal)
                case .decimal: decimalTotal = oldWidth == .double ? DecimalArithmetic.fromDouble15(doubleTotal) : Decimal128(longTotal)
                default: break
                }
            }
            switch width {
            case .int, .long:
                let (sum, overflow) = longTotal.addingReportingOverflow(longValue(addend))
                if overflow {
                    width = .double
                    doubleTotal = Double(longTotal) + doubleValue(addend)
                } else {
                    longTotal = sum
                }
            case .double:
                doubleTotal += doubleValue(addend)
            case .decimal:
                decimalTotal = DecimalArithmetic.add(decimalTotal, decimalValue(addend))
            }
        }

        private mutating func addToDate(_ addend: BSONValue) throws(MongoError) {
            let milliseconds: Int64
            switch addend {
            case .int32, .int64:
                milliseconds = longValue(addend)
            case .double(let double):
                guard let rounded = ClientNumber.int64(rounding: double, .toNearestOrAwayFromZero) else {
                    throw MongoError(.overflow, "date overflow")
                }
                milliseconds = rounded
            case .decimal128(let decimal):
                guard let rounded = DecimalArithmetic.int64(decimal, rounding: .toNearestOrEven) else {
                    throw MongoError(.overflow, "date overflow")
                }
                milliseconds = rounded
            default:
                milliseconds = 0
            }
            let (sum, overflow) = longTotal.addingReportingOverflow(milliseconds)
            if overflow { throw MongoError(.overflow, "date overflow") }
            longTotal = sum
        }

        var value: BSONValue {
            if isDate { return .datetime(BSONDateTime(millisecondsSinceEpoch: longTotal)) }
            switch width {
            case .int: return intOrLong(longTotal)
            case .long: return .int64(longTotal)
            case .double: return .double(doubleTotal)
            case .decimal: return .decimal128(decimalTotal)
            }
        }
    }

    // MARK: - $multiply

    /// `$multiply`'s running product, tracked as long and double side by side.
    struct Product {
        private var width = Width.int
        private var longProduct: Int64 = 1
        private var doubleProduct: Double = 1
        private var decimalProduct = Decimal128(Int64(1))

        mutating func multiply(by operand: BSONValue?) throws(MongoError) {
            guard let operand, let operandWidth = Width(operand) else {
                throw MongoError(.typeMismatch, "$multiply only supports numeric types, not \(ServerText.typeName(operand))")
            }
            let oldWidth = width
            if operandWidth > width { width = operandWidth }
            if width == .decimal {
                if oldWidth != .decimal {
                    decimalProduct = oldWidth == .double ? DecimalArithmetic.fromDouble15(doubleProduct) : Decimal128(longProduct)
                }
                decimalProduct = DecimalArithmetic.multiply(decimalProduct, decimalValue(operand))
                return
            }
            doubleProduct *= doubleValue(operand)
            if width != .double {
                let (product, overflow) = longProduct.multipliedReportingOverflow(by: longValue(operand))
                if !doubleValue(operand).isFinite || overflow {
                    width = .double
                } else {
                    longProduct = product
                }
            }
        }

        var value: BSONValue {
            switch width {
            case .int: return intOrLong(longProduct)
            case .long: return .int64(longProduct)
            case .double: return .double(doubleProduct)
            case .decimal: return .decimal128(decimalProduct)
            }
        }
    }

    // MARK: - Binary operators

    /// `$subtract`: numbers, date minus date (milliseconds), date minus number (a date).
    static func subtract(_ lhs: BSONValue?, _ rhs: BSONValue?) throws(MongoError) -> BSONValue? {
        if let lhs, let rhs, let left = Width(lhs), let right = Width(rhs) {
            switch max(left, right) {
            case .decimal:
                return .decimal128(DecimalArithmetic.subtract(decimalValue(lhs), decimalValue(rhs)))
            case .double:
                return .double(doubleValue(lhs) - doubleValue(rhs))
            case .long:
                let (difference, overflow) = longValue(lhs).subtractingReportingOverflow(longValue(rhs))
                return overflow ? .double(doubleValue(lhs) - doubleValue(rhs)) : .int64(difference)
            case .int:
                return intOrLong(longValue(lhs) - longValue(rhs))
            }
        }
        if isNullish(lhs) || isNullish(rhs) { return .null }
        guard case .datetime(let date)? = lhs, let rhs else {
            throw MongoError(.typeMismatch, "can't $subtract \(ServerText.typeName(rhs)) from \(ServerText.typeName(lhs))")
        }
        let milliseconds = date.millisecondsSinceEpoch
        let subtrahend: Int64
        switch rhs {
        case .datetime(let other):
            return .int64(milliseconds &- other.millisecondsSinceEpoch)
        case .int32, .int64:
            subtrahend = longValue(rhs)
        case .double(let double):
            guard let rounded = ClientNumber.int64(rounding: double, .toNearestOrAwayFromZero) else {
                throw MongoError(.overflow, "date overflow")
            }
            subtrahend = rounded
        case .decimal128(let decimal):
            guard let rounded = DecimalArithmetic.int64(decimal, rounding: .toNearestOrEven) else {
                throw MongoError(.overflow, "date overflow")
            }
            subtrahend = rounded
        default:
            throw MongoError(.typeMismatch, "can't $subtract \(ServerText.typeName(rhs)) from Date")
        }
        let (difference, overflow) = milliseconds.subtractingReportingOverflow(subtrahend)
        if overflow { throw MongoError(.overflow, "date overflow") }
        return .datetime(BSONDateTime(millisecondsSinceEpoch: difference))
    }

    /// `$divide`: a double, or a decimal when either side is one.
    static func divide(_ lhs: BSONValue?, _ rhs: BSONValue?) throws(MongoError) -> BSONValue? {
        if let lhs, let rhs, let left = Width(lhs), let right = Width(rhs) {
            if left == .decimal || right == .decimal {
                let denominator = decimalValue(rhs)
                if DecimalArithmetic.isZero(denominator) { throw MongoError(.badValue, "can't $divide by zero") }
                return .decimal128(DecimalArithmetic.divide(decimalValue(lhs), denominator))
            }
            let denominator = doubleValue(rhs)
            if denominator == 0 { throw MongoError(.badValue, "can't $divide by zero") }
            return .double(doubleValue(lhs) / denominator)
        }
        if isNullish(lhs) || isNullish(rhs) { return .null }
        throw MongoError(
            .typeMismatch,
            "$divide only supports numeric types, not \(ServerText.typeName(lhs)) and \(ServerText.typeName(rhs))"
        )
    }

    /// `$mod`: the remainder truncated toward zero, in the wider operand type.
    static func mod(_ lhs: BSONValue?, _ rhs: BSONValue?) throws(MongoError) -> BSONValue? {
        if let lhs, let rhs, let left = Width(lhs), let right = Width(rhs) {
            if left == .decimal || right == .decimal {
                let divisor = decimalValue(rhs)
                if DecimalArithmetic.isZero(divisor) { throw MongoError(.location(5_733_415), "can't $mod by zero") }
                return .decimal128(DecimalArithmetic.remainder(decimalValue(lhs), divisor))
            }
            if doubleValue(rhs) == 0 { throw MongoError(.location(16610), "can't $mod by zero") }
            if left == .double || right == .double {
                return .double(fmod(doubleValue(lhs), doubleValue(rhs)))
            }
            let dividend = longValue(lhs)
            let divisor = longValue(rhs)
            let remainder = divisor == -1 ? 0 : dividend % divisor
            return left == .long || right == .long ? .int64(remainder) : .int32(Int32(truncatingIfNeeded: remainder))
        }
        if isNullish(lhs) || isNullish(rhs) { return .null }
        throw MongoError(
            .location(16611),
            "$mod only supports numeric types, not \(ServerText.typeName(lhs)) and \(ServerText.typeName(rhs))"
        )
    }

    // MARK: - Unary operators

    /// `$abs`, `$ceil`, `$floor`.
    static func unary(_ op: ExpressionOperator, _ operand: BSONValue?) throws(MongoError) -> BSONValue? {
        if isNullish(operand) { return .null }
        guard let operand, operand.isNumeric else {
            throw MongoError(.location(28765), "\(op.rawValue) only supports numeric types, not \(ServerText.typeName(operand))")
        }
        switch (op, operand) {
        case (.abs, .double(let double)):
            return .double(Swift.abs(double))
        case (.abs, .decimal128(let decimal)):
            return .decimal128(DecimalArithmetic.magnitude(decimal))
        case (.abs, _):
            let long = longValue(operand)
            if long == .min { throw MongoError(.location(28680), "can't take $abs of long long min") }
            if case .int32 = operand { return intOrLong(Swift.abs(long)) }
            return .int64(Swift.abs(long))
        case (_, .double(let double)):
            return .double(op == .ceil ? double.rounded(.up) : double.rounded(.down))
        case (_, .decimal128(let decimal)):
            return .decimal128(DecimalArithmetic.rounded(decimal, toExponent: 0, op == .ceil ? .up : .down))
        default:
            return operand
        }
    }

    /// `$trunc` to `place` decimal places (0 by default, -20...100).
    static func trunc(_ operand: BSONValue?, place: BSONValue?) throws(MongoError) -> BSONValue? {
        if isNullish(operand) { return .null }
        guard let operand, operand.isNumeric else {
            throw MongoError(.location(51081), "$trunc only supports numeric types, not \(ServerText.typeName(operand))")
        }
        if isNullish(place) { return .null }
        guard let place, let places = int32Value(place) else {
            throw MongoError(.location(51082), "precision argument to  $trunc must be a integral value")
        }
        guard (-20...100).contains(places) else {
            throw MongoError(.location(51083), "cannot apply $trunc with precision value \(places) value must be in [-20, 100]")
        }
        switch operand {
        case .decimal128(let decimal):
            if decimal.isInfinite { return operand }
            return .decimal128(DecimalArithmetic.rounded(decimal, toExponent: -places, .towardZero))
        case .double(let double):
            let decimal = Decimal128(double)
            if decimal.isInfinite { return operand }
            return .double(DecimalArithmetic.rounded(decimal, toExponent: -places, .towardZero).doubleValue)
        default:
            if places >= 0 { return operand }
            let long = longValue(operand)
            let truncated = DecimalArithmetic.rounded(Decimal128(long), toExponent: -places, .towardZero).int64Value ?? 0
            if case .int64 = operand { return .int64(truncated) }
            return intOrLong(truncated)
        }
    }
}
