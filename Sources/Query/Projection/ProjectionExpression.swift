// ProjectionExpression: the computed values a find projection may hold since MongoDB 4.4 —
// literals, `$literal`, field-path references (`"$a.b"`, `$$ROOT`), arrays and objects of
// those, the aggregation form of `$slice`, and the `$elemMatch` projection. Parsing and
// evaluation against the pre-image document; no other aggregation operators.

internal import BSON
internal import Documents

/// A computed value of a projection, evaluated against the whole input document.
indirect enum ProjectionExpression: Sendable {
    /// A constant.
    case constant(BSONValue)
    /// `"$a.b"`: the value at a path, with aggregation's array semantics.
    case fieldPath([String])
    /// `$$ROOT` / `$$CURRENT`, optionally followed by a path.
    case root([String])
    /// `$$REMOVE`: always missing.
    case remove
    /// An array whose elements are expressions (missing elements become null).
    case array([ProjectionExpression])
    /// A document whose values are expressions (missing values are left out).
    case object([(String, ProjectionExpression)])
    /// The aggregation `$slice`: `[array, n]` or `[array, position, n]`.
    case slice([ProjectionExpression])
    /// The find `$elemMatch` projection of the top-level array `field`.
    case elemMatch(field: String, filter: Filter)

    // MARK: Parsing

    /// Aggregation expression names: a projection value `{<name>: ...}` is an expression.
    /// Only `$literal` and `$slice` are evaluated here; the others are reported unsupported.
    static let expressionNames: Set<String> = [
        "$abs", "$acos", "$acosh", "$add", "$allElementsTrue", "$and", "$anyElementTrue",
        "$arrayElemAt", "$arrayToObject", "$asin", "$asinh", "$atan", "$atan2", "$atanh",
        "$binarySize", "$bitAnd", "$bitNot", "$bitOr", "$bitXor", "$bsonSize", "$ceil", "$cmp",
        "$concat", "$concatArrays", "$cond", "$convert", "$cos", "$cosh", "$dateAdd",
        "$dateDiff", "$dateFromParts", "$dateFromString", "$dateSubtract", "$dateToParts",
        "$dateToString", "$dateTrunc", "$dayOfMonth", "$dayOfWeek", "$dayOfYear",
        "$degreesToRadians", "$divide", "$eq", "$exp", "$filter", "$first", "$firstN", "$floor",
        "$function", "$getField", "$gt", "$gte", "$hour", "$ifNull", "$in", "$indexOfArray",
        "$indexOfBytes", "$indexOfCP", "$isArray", "$isNumber", "$isoDayOfWeek", "$isoWeek",
        "$isoWeekYear", "$last", "$lastN", "$let", "$literal", "$ln", "$log", "$log10", "$lt",
        "$lte", "$ltrim", "$map", "$max", "$maxN", "$median", "$mergeObjects", "$meta",
        "$millisecond", "$min", "$minN", "$minute", "$mod", "$month", "$multiply", "$ne",
        "$not", "$objectToArray", "$or", "$percentile", "$pow", "$radiansToDegrees", "$rand",
        "$range", "$reduce", "$regexFind", "$regexFindAll", "$regexMatch", "$replaceAll",
        "$replaceOne", "$reverseArray", "$round", "$rtrim", "$second", "$setDifference",
        "$setEquals", "$setField", "$setIntersection", "$setIsSubset", "$setUnion", "$sin",
        "$sinh", "$size", "$slice", "$sortArray", "$split", "$sqrt", "$stdDevPop",
        "$stdDevSamp", "$strLenBytes", "$strLenCP", "$strcasecmp", "$substr", "$substrBytes",
        "$substrCP", "$subtract", "$sum", "$switch", "$tan", "$tanh", "$toBool", "$toDate",
        "$toDecimal", "$toDouble", "$toHashedIndexKey", "$toInt", "$toLong", "$toLower",
        "$toObjectId", "$toString", "$toUpper", "$toUUID", "$trim", "$trunc", "$tsIncrement",
        "$tsSecond", "$type", "$unsetField", "$week", "$year", "$zip", "$avg", "$count",
        "$top", "$topN", "$bottom", "$bottomN", "$stdDevPop", "$accumulator",
    ]

    /// Parses a value in operand position, as aggregation's `parseOperand` does.
    static func operand(_ value: BSONValue) throws(MongoError) -> ProjectionExpression {
        switch value {
        case .string(let s) where s.hasPrefix("$$"):
            return try variable(String(s.dropFirst(2)))
        case .string(let s) where s.hasPrefix("$"):
            let dotted = String(s.dropFirst())
            guard !dotted.isEmpty else {
                throw MongoError.location(16872, "'$' by itself is not a valid FieldPath")
            }
            return .fieldPath(try MongoPathRules.fieldPath(dotted).components)
        case .array(let elements):
            var parsed: [ProjectionExpression] = []
            for element in elements { parsed.append(try operand(element)) }
            return .array(parsed)
        case .document(let document):
            return try object(document)
        default:
            return .constant(value)
        }
    }

    /// `$$NAME[.path]`.
    private static func variable(_ text: String) throws(MongoError) -> ProjectionExpression {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let name = parts.first ?? ""
        let rest = Array(parts.dropFirst())
        for component in rest { try MongoPathRules.checkFieldName(component) }
        switch name {
        case "ROOT", "CURRENT": return .root(rest)
        case "REMOVE": return .remove
        default: throw MongoError.location(17276, "Use of undefined variable: \(name)")
        }
    }

    /// An object in operand position: an operator `{$op: ...}` or an object of expressions.
    static func object(_ document: BSONDocument) throws(MongoError) -> ProjectionExpression {
        if let first = document.first, first.key.hasPrefix("$") {
            guard document.count == 1 else {
                throw MongoError.location(
                    15983, "an expression specification must contain exactly one field, the name of the expression. Found \(document.count) fields in \(ShellText.document(document)), while parsing object \(ShellText.document(document))")
            }
            return try named(first.key, first.value)
        }
        var fields: [(String, ProjectionExpression)] = []
        for (key, value) in document {
            try MongoPathRules.checkFieldName(key)
            guard !key.contains(".") else {
                throw MongoError.location(16412, "FieldPath field names may not contain '.'. Consider using $getField or $setField.")
            }
            fields.append((key, try operand(value)))
        }
        return .object(fields)
    }

    /// `{name: argument}` for an aggregation operator name.
    static func named(_ name: String, _ argument: BSONValue) throws(MongoError) -> ProjectionExpression {
        switch name {
        case "$literal":
            return .constant(argument)
        case "$slice":
            let arguments: [BSONValue]
            if case .array(let a) = argument { arguments = a } else { arguments = [argument] }
            guard (2...3).contains(arguments.count) else {
                throw MongoError.location(
                    28667, "Expression $slice takes at least 2 arguments, and at most 3, but \(arguments.count) were passed in.")
            }
            var parsed: [ProjectionExpression] = []
            for a in arguments { parsed.append(try operand(a)) }
            return .slice(parsed)
        default:
            guard expressionNames.contains(name) else {
                throw MongoError(MongoError.Code(168, "InvalidPipelineOperator"), "Unrecognized expression '\(name)'")
            }
            throw MongoError(MongoError.Code(238, "NotImplemented"), "projection expression \(name) is not supported")
        }
    }

    // MARK: Evaluation

    /// The value for `root`, or `nil` when missing.
    func evaluate(root: BSONDocument) throws(MongoError) -> BSONValue? {
        switch self {
        case .constant(let value):
            return value
        case .fieldPath(let path):
            return Self.value(at: path[...], in: .document(root))
        case .root(let path):
            return Self.value(at: path[...], in: .document(root))
        case .remove:
            return nil
        case .array(let elements):
            var values: [BSONValue] = []
            for element in elements { values.append(try element.evaluate(root: root) ?? .null) }
            return .array(values)
        case .object(let fields):
            var document = BSONDocument()
            for (key, expression) in fields {
                if let value = try expression.evaluate(root: root) { document.append(key, value) }
            }
            return .document(document)
        case .slice(let arguments):
            return try Self.slice(arguments, root: root)
        case .elemMatch(let field, let filter):
            guard case .array(let elements)? = root[field] else { return nil }
            for element in elements where filter.matches(BSONDocument([(field, .array([element]))])) {
                return .array([element])
            }
            return nil
        }
    }

    /// Aggregation's field-path lookup: arrays map over their document and array elements.
    static func value(at path: ArraySlice<String>, in value: BSONValue?) -> BSONValue? {
        guard let name = path.first else { return value }
        switch value {
        case .document(let document)?:
            return Self.value(at: path.dropFirst(), in: document[name])
        case .array(let elements)?:
            var values: [BSONValue] = []
            for element in elements {
                switch element {
                case .document, .array:
                    if let found = Self.value(at: path, in: element) { values.append(found) }
                default:
                    continue
                }
            }
            return .array(values)
        default:
            return nil
        }
    }

    /// `$slice` as an aggregation expression.
    private static func slice(_ arguments: [ProjectionExpression], root: BSONDocument) throws(MongoError) -> BSONValue? {
        let first = try arguments[0].evaluate(root: root)
        guard let first, first != .null, first != .undefined else { return .null }
        guard case .array(let array) = first else {
            throw MongoError.location(28724, "First argument to $slice must be an array, but is of type: \(first.type.alias)")
        }
        let second = try arguments[1].evaluate(root: root)
        guard let second, second != .null, second != .undefined else { return .null }
        guard second.isNumeric else {
            throw MongoError.location(28725, "Second argument to $slice must be a numeric value, but is of type: \(second.type.alias)")
        }
        guard let secondInt = int32Exactly(second) else {
            throw MongoError.location(28726, "Second argument to $slice can't be represented as a 32-bit integer: \(ShellText.describe(second))")
        }
        let size = array.count
        var start: Int
        var end: Int
        if arguments.count == 2 {
            let n = Int(secondInt)
            start = n >= 0 ? 0 : max(0, size + n)
            end = n >= 0 ? min(size, n) : size
        } else {
            let third = try arguments[2].evaluate(root: root)
            guard let third, third != .null, third != .undefined else { return .null }
            guard third.isNumeric else {
                throw MongoError.location(28727, "Third argument to $slice must be numeric, but is of type: \(third.type.alias)")
            }
            guard let length = int32Exactly(third) else {
                throw MongoError.location(28728, "Third argument to $slice can't be represented as a 32-bit integer: \(ShellText.describe(third))")
            }
            guard length > 0 else {
                throw MongoError.location(28729, "Third argument to $slice must be positive: \(length)")
            }
            let position = Int(secondInt)
            start = position < 0 ? max(0, size + position) : min(position, size)
            end = min(start + Int(length), size)
        }
        return .array(Array(array[start..<max(start, end)]))
    }

    /// The value as an Int32 when it is numeric and integral in range.
    private static func int32Exactly(_ value: BSONValue) -> Int32? {
        switch value {
        case .int32(let v): return v
        case .int64(let v): return Int32(exactly: v)
        case .double(let v): return Int32(exactly: v)
        case .decimal128(let d):
            guard let v = d.int64Value else { return nil }
            return Int32(exactly: v)
        default: return nil
        }
    }
}
