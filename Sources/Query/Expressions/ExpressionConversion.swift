// ExpressionConversion: `$convert` and its shorthands ($toInt, $toLong, $toDouble,
// $toDecimal, $toString, $toDate, $toObjectId, $toBool): MongoDB's conversion table, with
// ConversionFailure (241) for values that cannot convert and `onError`/`onNull` handling.

internal import BSON
internal import Documents

/// The target types `$convert` knows.
enum ConversionTarget: Sendable {
    case double, string, objectId, bool, date, int, long, decimal

    /// From a type name (`"int"`) or BSON type number (16).
    init(_ value: BSONValue) throws(MongoError) {
        switch value {
        case .string(let name):
            switch name {
            case "double": self = .double
            case "string": self = .string
            case "objectId": self = .objectId
            case "bool": self = .bool
            case "date": self = .date
            case "int": self = .int
            case "long": self = .long
            case "decimal": self = .decimal
            default: throw MongoError(.badValue, "Unknown type name: \(name)")
            }
        case _ where value.isNumeric:
            guard let code = ExpressionArithmetic.int32Value(value) else {
                throw MongoError(.failedToParse, "In $convert, numeric 'to' argument is not an integer")
            }
            switch code {
            case 1: self = .double
            case 2: self = .string
            case 7: self = .objectId
            case 8: self = .bool
            case 9: self = .date
            case 16: self = .int
            case 18: self = .long
            case 19: self = .decimal
            default: throw MongoError(.failedToParse, "In $convert, numeric value for 'to' does not correspond to a BSON type: \(code)")
            }
        default:
            throw MongoError(.failedToParse, "$convert's 'to' argument must be a string or number, but is \(ServerText.typeName(value))")
        }
    }

    var alias: String {
        switch self {
        case .double: "double"
        case .string: "string"
        case .objectId: "objectId"
        case .bool: "bool"
        case .date: "date"
        case .int: "int"
        case .long: "long"
        case .decimal: "decimal"
        }
    }
}

/// Conversions between BSON types as `$convert` performs them.
enum ExpressionConversion {
    /// `$toInt` and friends: `$convert` without `onError` or `onNull` (null stays null).
    static func convertShorthand(_ op: ExpressionOperator, _ value: BSONValue?) throws(MongoError) -> BSONValue? {
        if ExpressionArithmetic.isNullish(value) { return .null }
        let target: ConversionTarget
        switch op {
        case .toInt: target = .int
        case .toLong: target = .long
        case .toDouble: target = .double
        case .toDecimal: target = .decimal
        case .toString: target = .string
        case .toDate: target = .date
        case .toObjectId: target = .objectId
        default: target = .bool
        }
        return try convert(value ?? .null, to: target)
    }

    private static func failure(_ message: String) -> MongoError {
        MongoError(.conversionFailure, message)
    }

    private static func unsupported(_ value: BSONValue, _ target: ConversionTarget) -> MongoError {
        failure("Unsupported conversion from \(value.type.alias) to \(target.alias) in $convert with no onError value")
    }

    private static func overflow(_ value: BSONValue) -> MongoError {
        failure("Conversion would overflow target type in $convert with no onError value: \(ServerText.value(value))")
    }

    /// `value` (not null) converted to `target`.
    ///
    /// - Throws: `ConversionFailure` (241) when MongoDB's table has no conversion or the value
    ///   does not fit or parse.
    static func convert(_ value: BSONValue, to target: ConversionTarget) throws(MongoError) -> BSONValue {
        switch target {
        case .bool:
            switch value {
            case .bool: return value
            case .int32, .int64, .double, .decimal128: return .bool(Expression.isTruthy(value))
            case .string, .objectId, .datetime, .timestamp, .document, .array, .binary, .regex, .javascript, .symbol,
                 .javascriptWithScope, .dbPointer, .minKey, .maxKey:
                return .bool(true)
            default: throw unsupported(value, target)
            }
        case .double:
            switch value {
            case .double: return value
            case .bool(let bool): return .double(bool ? 1 : 0)
            case .int32, .int64: return .double(ExpressionArithmetic.doubleValue(value))
            case .decimal128(let decimal):
                let double = decimal.doubleValue
                if double.isInfinite && !decimal.isInfinite { throw overflow(value) }
                return .double(double)
            case .datetime(let date): return .double(Double(date.millisecondsSinceEpoch))
            case .string(let string):
                guard let double = parseDouble(string) else {
                    throw failure("Failed to parse number '\(string)' in $convert with no onError value: Did not consume whole string.")
                }
                return .double(double)
            default: throw unsupported(value, target)
            }
        case .int, .long:
            let long: Int64
            switch value {
            case .bool(let bool): long = bool ? 1 : 0
            case .int32(let int): long = Int64(int)
            case .int64(let int): long = int
            case .double(let double):
                guard let truncated = ClientNumber.int64(truncating: double) else {
                    throw failure("Conversion would overflow target type in $convert with no onError value: \(ServerText.value(value))")
                }
                long = truncated
            case .decimal128(let decimal):
                guard let truncated = DecimalArithmetic.int64(decimal, rounding: .towardZero) else { throw overflow(value) }
                long = truncated
            case .datetime(let date) where target == .long:
                long = date.millisecondsSinceEpoch
            case .string(let string):
                guard let parsed = parseInteger(string) else {
                    throw failure("Failed to parse number '\(string)' in $convert with no onError value: Bad digit or out of range")
                }
                long = parsed
            default: throw unsupported(value, target)
            }
            if target == .long { return .int64(long) }
            guard let int = Int32(exactly: long) else { throw overflow(value) }
            return .int32(int)
        case .decimal:
            switch value {
            case .decimal128: return value
            case .bool(let bool): return .decimal128(Decimal128(Int64(bool ? 1 : 0)))
            case .int32, .int64: return .decimal128(ExpressionArithmetic.decimalValue(value))
            case .double(let double): return .decimal128(DecimalArithmetic.fromDouble15(double))
            case .datetime(let date): return .decimal128(Decimal128(date.millisecondsSinceEpoch))
            case .string(let string):
                guard let decimal = Decimal128(string) else {
                    throw failure("Failed to parse number '\(string)' in $convert with no onError value: Failed to parse string to decimal")
                }
                return .decimal128(decimal)
            default: throw unsupported(value, target)
            }
        case .string:
            switch value {
            case .string: return value
            case .bool(let bool): return .string(bool ? "true" : "false")
            case .objectId(let id): return .string(id.hex)
            case .int32, .int64, .double, .decimal128, .datetime: return .string(try Expression.coerceToString(value))
            default: throw unsupported(value, target)
            }
        case .objectId:
            switch value {
            case .objectId: return value
            case .string(let string):
                guard string.utf8.count == 24 else {
                    throw failure("Failed to parse objectId '\(string)' in $convert with no onError value: Invalid string length for parsing to OID, expected 24 but found \(string.utf8.count)")
                }
                guard let id = ObjectId(hex: string) else {
                    throw failure("Failed to parse objectId '\(string)' in $convert with no onError value: Invalid character found in hex string")
                }
                return .objectId(id)
            default: throw unsupported(value, target)
            }
        case .date:
            switch value {
            case .datetime: return value
            case .int64(let long): return .datetime(BSONDateTime(millisecondsSinceEpoch: long))
            case .double(let double):
                guard let milliseconds = ClientNumber.int64(truncating: double) else { throw overflow(value) }
                return .datetime(BSONDateTime(millisecondsSinceEpoch: milliseconds))
            case .decimal128(let decimal):
                guard let long = DecimalArithmetic.int64(decimal, rounding: .towardZero) else { throw overflow(value) }
                return .datetime(BSONDateTime(millisecondsSinceEpoch: long))
            case .objectId(let id):
                return .datetime(BSONDateTime(millisecondsSinceEpoch: Int64(id.timestampSeconds) * 1000))
            case .timestamp(let timestamp):
                return .datetime(BSONDateTime(millisecondsSinceEpoch: Int64(timestamp.timestamp) * 1000))
            case .string(let string):
                do throws(MongoError) {
                    return .datetime(BSONDateTime(millisecondsSinceEpoch: try DateParsing.parse(string, format: nil, timeZone: .utc)))
                } catch {
                    throw failure("Error parsing date string '\(string)' in $convert with no onError value: \(error.message)")
                }
            default: throw unsupported(value, target)
            }
        }
    }

    /// A base-10 integer string (optional sign, digits only) as MongoDB's `parseNumberFromStringWithBase`.
    static func parseInteger(_ string: String) -> Int64? {
        var bytes = string.utf8[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }

    /// A decimal floating-point string (no hex, no surrounding spaces), "Infinity"/"NaN" allowed.
    static func parseDouble(_ string: String) -> Double? {
        guard let first = string.utf8.first, first != UInt8(ascii: " "), string.utf8.last != UInt8(ascii: " ") else { return nil }
        if string.lowercased().hasPrefix("0x") || string.lowercased().hasPrefix("-0x") { return nil }
        return Double(string)
    }
}
