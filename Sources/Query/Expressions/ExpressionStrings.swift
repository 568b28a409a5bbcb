// ExpressionStrings: the positional string operators ($strcasecmp, $substr, $substrBytes,
// $substrCP, $strLenCP, $strLenBytes, $split, $indexOfBytes, $indexOfCP) over UTF-8 bytes
// and code points as MongoDB counts them, with its error codes.

internal import BSON
internal import Documents

/// Positional string operators.
enum ExpressionStrings {
    static func apply(_ op: ExpressionOperator, _ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        switch op {
        case .strcasecmp:
            let lhs = Expression.asciiUppercased(try Expression.coerceToString(values[0]))
            let rhs = Expression.asciiUppercased(try Expression.coerceToString(values[1]))
            let order = lhs.utf8.lexicographicallyPrecedes(rhs.utf8) ? -1 : (lhs.utf8.elementsEqual(rhs.utf8) ? 0 : 1)
            return .int32(Int32(order))
        case .strLenCP, .strLenBytes:
            guard case .string(let string)? = values[0] else {
                throw MongoError(.location(op == .strLenCP ? 34471 : 34473),
                                 "\(op.rawValue) requires a string argument, found: \(ServerText.typeName(values[0]))")
            }
            return ExpressionArithmetic.intOrLong(Int64(op == .strLenCP ? string.unicodeScalars.count : string.utf8.count))
        case .substr, .substrBytes:
            return try substrBytes(op, values)
        case .substrCP:
            return try substrCP(values)
        case .split:
            if ExpressionArithmetic.isNullish(values[0]) { return .null }
            guard case .string(let string)? = values[0] else {
                throw MongoError(.location(40085), "$split requires an expression that evaluates to a string as a first argument, found: \(ServerText.typeName(values[0]))")
            }
            guard case .string(let separator)? = values[1] else {
                throw MongoError(.location(40086), "$split requires an expression that evaluates to a string as a second argument, found: \(ServerText.typeName(values[1]))")
            }
            guard !separator.isEmpty else { throw MongoError(.location(40087), "$split requires a non-empty separator") }
            return .array(split(string, by: separator).map { .string($0) })
        default:
            return try indexOf(op, values)
        }
    }

    /// Splits on every occurrence of `separator`, keeping empty pieces (as MongoDB does).
    static func split(_ string: String, by separator: String) -> [String] {
        let bytes = Array(string.utf8)
        let needle = Array(separator.utf8)
        var pieces: [String] = []
        var start = 0
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index..<index + needle.count].elementsEqual(needle) {
                pieces.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += needle.count
                start = index
            } else {
                index += 1
            }
        }
        pieces.append(String(decoding: bytes[start...], as: UTF8.self))
        return pieces
    }

    static func substrBytes(_ op: ExpressionOperator, _ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        let string = try Expression.coerceToString(values[0])
        guard let startValue = values[1], startValue.isNumeric else {
            throw MongoError(.location(16034), "\(op.rawValue): starting index must be a numeric type (is BSON type \(ServerText.typeName(values[1])))")
        }
        guard let lengthValue = values[2], lengthValue.isNumeric else {
            throw MongoError(.location(16035), "\(op.rawValue): length must be a numeric type (is BSON type \(ServerText.typeName(values[2])))")
        }
        let bytes = Array(string.utf8)
        let start = ExpressionArithmetic.longValue(startValue)
        let length = ExpressionArithmetic.longValue(lengthValue)
        guard start >= 0, start < bytes.count else { return .string("") }
        let lower = Int(start)
        if lower < bytes.count, bytes[lower] & 0xC0 == 0x80 {
            throw MongoError(.location(28656), "\(op.rawValue):  Invalid range, starting index is a UTF-8 continuation byte.")
        }
        // start < bytes.count here, so the subtraction cannot overflow; start + length can.
        let upper = length < 0 || length >= Int64(bytes.count) - start ? bytes.count : Int(start + length)
        if upper < bytes.count, bytes[upper] & 0xC0 == 0x80 {
            throw MongoError(.location(28657), "\(op.rawValue):  Invalid range, ending index is in the middle of a UTF-8 character.")
        }
        return .string(String(decoding: bytes[lower..<upper], as: UTF8.self))
    }

    static func substrCP(_ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        let string = try Expression.coerceToString(values[0])
        guard let startValue = values[1], startValue.isNumeric else {
            throw MongoError(.location(34450), "$substrCP: starting index must be a numeric type (is BSON type \(ServerText.typeName(values[1])))")
        }
        guard let start = ExpressionArithmetic.int32Value(startValue) else {
            throw MongoError(.location(34451), "$substrCP: starting index cannot be represented as a 32-bit integral value: \(ServerText.value(startValue))")
        }
        guard let lengthValue = values[2], lengthValue.isNumeric else {
            throw MongoError(.location(34452), "$substrCP: length must be a numeric type (is BSON type \(ServerText.typeName(values[2])))")
        }
        guard let length = ExpressionArithmetic.int32Value(lengthValue) else {
            throw MongoError(.location(34453), "$substrCP: length cannot be represented as a 32-bit integral value: \(ServerText.value(lengthValue))")
        }
        guard length >= 0 else { throw MongoError(.location(34454), "$substrCP: length must be a nonnegative integer.") }
        guard start >= 0 else { throw MongoError(.location(34455), "$substrCP: the starting index must be nonnegative integer.") }
        let scalars = Array(string.unicodeScalars)
        guard start < scalars.count else { return .string("") }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[start..<min(scalars.count, start + length)])
        return .string(String(result))
    }

    static func indexOf(_ op: ExpressionOperator, _ values: [BSONValue?]) throws(MongoError) -> BSONValue? {
        let codePoints = op == .indexOfCP
        if ExpressionArithmetic.isNullish(values[0]) { return .null }
        guard case .string(let string)? = values[0] else {
            throw MongoError(.location(codePoints ? 40093 : 40091), "\(op.rawValue) requires a string as the first argument, found: \(ServerText.typeName(values[0]))")
        }
        guard case .string(let token)? = values[1] else {
            throw MongoError(.location(codePoints ? 40094 : 40092), "\(op.rawValue) requires a string as the second argument, found: \(ServerText.typeName(values[1]))")
        }
        let haystack: [UInt32] = codePoints ? string.unicodeScalars.map(\.value) : string.utf8.map { UInt32($0) }
        let needle: [UInt32] = codePoints ? token.unicodeScalars.map(\.value) : token.utf8.map { UInt32($0) }
        var bounds: [Int] = []
        for (position, value) in values.dropFirst(2).enumerated() {
            guard let value, let int = ExpressionArithmetic.int32Value(value) else {
                throw MongoError(.location(40096), "\(op.rawValue) requires an integral \(position == 0 ? "starting" : "ending") index, found a value of type: \(ServerText.typeName(value)), with value: \(value.map { ServerText.value($0) } ?? "missing")")
            }
            guard int >= 0 else {
                throw MongoError(.location(40097), "\(op.rawValue) requires a nonnegative \(position == 0 ? "start" : "ending") index, found: \(int)")
            }
            bounds.append(int)
        }
        let start = bounds.first ?? 0
        let end = min(bounds.count > 1 ? bounds[1] : haystack.count, haystack.count)
        guard start <= end else { return .int32(-1) }
        var index = start
        while index + needle.count <= end {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return .int32(Int32(index)) }
            index += 1
        }
        return .int32(-1)
    }
}
