// IntegerArgument: MongoDB's rules for reading an integer out of a numeric operator argument
// (`parseIntegerElementToLong` and friends, `tryCoerce`), with the server's messages. Used by
// `$size`, `$bits…`, `$alwaysTrue`, `$type` codes and `$mod`.

internal import BSON
internal import Documents

/// Integer arguments of query operators, read as the server reads them.
enum IntegerArgument {
    /// 2^63 as a Double: the first double above `Int64.max`.
    static let int64UpperBound = 9_223_372_036_854_775_808.0

    /// `parseIntegerElementToLong`: an int, a long, an integral double in range, or a
    /// decimal exactly representable as a long. Errors are `FailedToParse` (9).
    static func long(_ key: String, _ value: BSONValue) -> Result<Int64, MongoError> {
        let shown = ServerText.element(key, value)
        switch value {
        case .int32(let int):
            return .success(Int64(int))
        case .int64(let long):
            return .success(long)
        case .double(let double):
            if double.isNaN {
                return .failure(MongoError(.failedToParse, "Expected an integer, but found NaN in: \(shown)"))
            }
            if double >= int64UpperBound || double < -int64UpperBound {
                return .failure(MongoError(.failedToParse, "Cannot represent as a 64-bit integer: \(shown)"))
            }
            guard let exact = Int64(exactly: double) else {
                return .failure(MongoError(.failedToParse, "Expected an integer: \(shown)"))
            }
            return .success(exact)
        case .decimal128(let decimal):
            guard let exact = decimal.int64Value else {
                return .failure(MongoError(.failedToParse, "Cannot represent as a 64-bit integer: \(shown)"))
            }
            return .success(exact)
        default:
            return .failure(MongoError(.failedToParse, "Expected a number in: \(shown)"))
        }
    }

    /// `parseIntegerElementToNonNegativeLong`.
    static func nonNegativeLong(_ key: String, _ value: BSONValue) -> Result<Int64, MongoError> {
        long(key, value).flatMap { number in
            number < 0
                ? .failure(MongoError(.failedToParse, "Expected a non-negative number in: \(ServerText.element(key, value))"))
                : .success(number)
        }
    }

    /// `parseIntegerElementToInt`.
    static func int(_ key: String, _ value: BSONValue) -> Result<Int, MongoError> {
        long(key, value).flatMap { number in
            guard let small = Int32(exactly: number) else {
                return .failure(MongoError(.failedToParse, "Cannot represent \(ServerText.element(key, value)) in an int"))
            }
            return .success(Int(small))
        }
    }

    /// `parseIntegerElementToNonNegativeInt`.
    static func nonNegativeInt(_ key: String, _ value: BSONValue) -> Result<Int, MongoError> {
        int(key, value).flatMap { number in
            number < 0
                ? .failure(MongoError(.failedToParse, "Expected a non-negative number in: \(ServerText.element(key, value))"))
                : .success(number)
        }
    }

    /// `BSONElement::tryCoerce<long long>` on a number: doubles truncate toward zero,
    /// decimals round half to even; NaN, infinities and values beyond the long range fail
    /// with `BadValue` (2). A double of exactly 2^63 passes and wraps to `Int64.min`, as the
    /// server's unchecked cast does.
    static func coerce(_ value: BSONValue) -> Result<Int64, MongoError> {
        switch value {
        case .int32(let int):
            return .success(Int64(int))
        case .int64(let long):
            return .success(long)
        case .double(let double):
            guard double.isFinite else {
                return .failure(MongoError(.badValue, "Unable to coerce NaN/Inf to integral type"))
            }
            if double > int64UpperBound || double < -int64UpperBound {
                return .failure(MongoError(.badValue, "Out of bounds coercing to integral value"))
            }
            if double == int64UpperBound { return .success(.min) }
            return .success(ClientNumber.int64(truncating: double) ?? .min)
        case .decimal128(let decimal):
            guard !decimal.isNaN, !decimal.isInfinite else {
                return .failure(MongoError(.badValue, "Unable to coerce NaN/Inf to integral type"))
            }
            guard let rounded = DecimalArithmetic.int64(decimal, rounding: .toNearestOrEven) else {
                return .failure(MongoError(.badValue, "Out of bounds coercing to integral value"))
            }
            return .success(rounded)
        default:
            return .failure(MongoError(.badValue, "Unable to coerce value to integral type"))
        }
    }
}
