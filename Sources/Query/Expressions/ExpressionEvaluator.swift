// ExpressionEvaluator: evaluates a parsed Expression against a document with aggregation
// semantics: missing is distinct from null, comparisons use the full cross-type order,
// arithmetic widens int → long → double → decimal, null and missing propagate, and errors
// carry MongoDB's codes. Values are `BSONValue?` (nil = missing).

public import BSON
public import Collation
import Documents

extension Expression {
    /// The value of the expression for `root` (`$$ROOT` and `$$CURRENT`); `nil` when missing.
    public func evaluate(root: BSONValue) throws(MongoError) -> BSONValue? {
        try evaluate(ExpressionScope(root: root, now: WallClock.now()))
    }

    /// The value of the expression in `scope` (its document, variables and `$$NOW`).
    public func evaluate(in scope: ExpressionScope) throws(MongoError) -> BSONValue? {
        try evaluate(scope)
    }

    /// Aggregation truthiness (`Value::coerceToBool`): missing, null, undefined, false and
    /// numeric zero are false; everything else, empty arrays and strings included, is true.
    public static func isTruthy(_ value: BSONValue?) -> Bool {
        switch value {
        case nil, .null?, .undefined?: return false
        case .bool(let bool)?: return bool
        case .int32(let int)?: return int != 0
        case .int64(let long)?: return long != 0
        case .double(let double)?: return double != 0
        case .decimal128(let decimal)?: return !DecimalArithmetic.isZero(decimal)
        default: return true
        }
    }

    /// Aggregation's comparison: MongoDB's order with missing sorting as undefined does.
    public static func compare(_ lhs: BSONValue?, _ rhs: BSONValue?) -> Int {
        BSONValue.compare(lhs ?? .undefined, rhs ?? .undefined)
    }

    func evaluate(_ scope: ExpressionScope) throws(MongoError) -> BSONValue? {
        switch self {
        case .constant(let value):
            return value
        case .fieldPath(let components):
            return ExpressionScope.resolve(scope.current, components)
        case .variable(let variable, let components):
            switch variable {
            case .root: return ExpressionScope.resolve(scope.root, components)
            case .current: return ExpressionScope.resolve(scope.current, components)
            case .remove: return nil
            case .now: return ExpressionScope.resolve(.datetime(scope.now), components)
            case .user(let slot, _):
                guard slot < scope.variables.count, let value = scope.variables[slot] else { return nil }
                return ExpressionScope.resolve(value, components)
            }
        case .array(let elements):
            var values: [BSONValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try element.evaluate(scope) ?? .null) }
            return .array(values)
        case .object(let fields):
            var document = BSONDocument()
            for field in fields {
                if let value = try field.value.evaluate(scope) { document.append(field.name, value) }
            }
            return .document(document)
        case .operation(let op, let arguments):
            return try Expression.apply(op, arguments, scope)
        case .named(let named):
            return try named.evaluate(scope)
        }
    }

    static func apply(_ op: ExpressionOperator, _ arguments: [Expression], _ scope: ExpressionScope) throws(MongoError) -> BSONValue? {
        switch op {
        case .eq, .ne, .gt, .gte, .lt, .lte:
            let order = scope.compare(try arguments[0].evaluate(scope), try arguments[1].evaluate(scope))
            switch op {
            case .eq: return .bool(order == 0)
            case .ne: return .bool(order != 0)
            case .gt: return .bool(order > 0)
            case .gte: return .bool(order >= 0)
            case .lt: return .bool(order < 0)
            default: return .bool(order <= 0)
            }
        case .cmp:
            let order = scope.compare(try arguments[0].evaluate(scope), try arguments[1].evaluate(scope))
            return .int32(order < 0 ? -1 : (order > 0 ? 1 : 0))
        case .and:
            for argument in arguments where !isTruthy(try argument.evaluate(scope)) { return .bool(false) }
            return .bool(true)
        case .or:
            for argument in arguments where isTruthy(try argument.evaluate(scope)) { return .bool(true) }
            return .bool(false)
        case .not:
            return .bool(!isTruthy(try arguments[0].evaluate(scope)))
        case .add:
            var sum = ExpressionArithmetic.Sum()
            for argument in arguments {
                let value = try argument.evaluate(scope)
                if ExpressionArithmetic.isNullish(value) { return .null }
                try sum.add(value)
            }
            return sum.value
        case .multiply:
            var product = ExpressionArithmetic.Product()
            for argument in arguments {
                let value = try argument.evaluate(scope)
                if ExpressionArithmetic.isNullish(value) { return .null }
                try product.multiply(by: value)
            }
            return product.value
        case .subtract:
            return try ExpressionArithmetic.subtract(try arguments[0].evaluate(scope), try arguments[1].evaluate(scope))
        case .divide:
            return try ExpressionArithmetic.divide(try arguments[0].evaluate(scope), try arguments[1].evaluate(scope))
        case .mod:
            return try ExpressionArithmetic.mod(try arguments[0].evaluate(scope), try arguments[1].evaluate(scope))
        case .abs, .ceil, .floor:
            return try ExpressionArithmetic.unary(op, try arguments[0].evaluate(scope))
        case .round, .pow, .sqrt, .exp, .ln, .log, .log10:
            return try ExpressionMath.apply(op, try evaluateAll(arguments, scope))
        case .trunc:
            let number = try arguments[0].evaluate(scope)
            let place = arguments.count > 1 ? try arguments[1].evaluate(scope) : BSONValue.int32(0)
            return try ExpressionArithmetic.trunc(number, place: place)
        case .cond:
            return isTruthy(try arguments[0].evaluate(scope)) ? try arguments[1].evaluate(scope) : try arguments[2].evaluate(scope)
        case .ifNull:
            for argument in arguments.dropLast() {
                let value = try argument.evaluate(scope)
                if !ExpressionArithmetic.isNullish(value) { return value }
            }
            return try arguments[arguments.count - 1].evaluate(scope)
        case .in:
            let needle = try arguments[0].evaluate(scope)
            let haystack = try arguments[1].evaluate(scope)
            guard case .array(let elements)? = haystack else {
                throw MongoError(.location(40081), "$in requires an array as a second argument, found: \(ServerText.typeName(haystack))")
            }
            return .bool(elements.contains { scope.compare($0, needle) == 0 })
        case .size:
            let value = try arguments[0].evaluate(scope)
            guard case .array(let elements)? = value else {
                throw MongoError(
                    .location(17124),
                    "The argument to $size must be an array. Type of argument was: \(ServerText.typeName(value))"
                )
            }
            return ExpressionArithmetic.intOrLong(Int64(elements.count))
        case .arrayElemAt:
            return try arrayElement(try arguments[0].evaluate(scope), try arguments[1].evaluate(scope))
        case .concat:
            var result = ""
            for argument in arguments {
                let value = try argument.evaluate(scope)
                if ExpressionArithmetic.isNullish(value) { return .null }
                guard case .string(let string)? = value else {
                    throw MongoError(.location(16702), "$concat only supports strings, not \(ServerText.typeName(value))")
                }
                try ValueLimits.checkString(bytes: result.utf8.count + string.utf8.count, "$concat")
                result += string
            }
            return .string(result)
        case .toLower, .toUpper:
            let text = try coerceToString(try arguments[0].evaluate(scope))
            return .string(op == .toLower ? asciiLowercased(text) : asciiUppercased(text))
        case .type:
            return .string(ServerText.typeName(try arguments[0].evaluate(scope)))
        case .isNumber:
            return .bool(try arguments[0].evaluate(scope)?.isNumeric ?? false)
        case .rand:
            if let argument = arguments.first, try argument.evaluate(scope) != .document(BSONDocument()) {
                throw MongoError(.location(10065), "invalid parameter: expected an object ($rand)")
            }
            return .double(Double.random(in: 0..<1))
        case .concatArrays, .slice, .range, .reverseArray, .isArray, .first, .last, .indexOfArray,
             .allElementsTrue, .anyElementTrue, .setUnion, .setIntersection, .setDifference, .setEquals, .setIsSubset,
             .sum, .avg, .min, .max, .stdDevPop, .stdDevSamp:
            return try ExpressionArrays.apply(op, try evaluateAll(arguments, scope), collator: scope.collator)
        case .strcasecmp, .substr, .substrBytes, .substrCP, .strLenCP, .strLenBytes, .split, .indexOfBytes, .indexOfCP:
            return try ExpressionStrings.apply(op, try evaluateAll(arguments, scope))
        case .toInt, .toLong, .toDouble, .toDecimal, .toString, .toDate, .toObjectId, .toBool:
            return try ExpressionConversion.convertShorthand(op, try arguments[0].evaluate(scope))
        case .mergeObjects, .objectToArray, .arrayToObject:
            return try ExpressionObjects.apply(op, try evaluateAll(arguments, scope))
        }
    }

    /// Every argument's value, in order (nil for missing).
    static func evaluateAll(_ arguments: [Expression], _ scope: ExpressionScope) throws(MongoError) -> [BSONValue?] {
        var values: [BSONValue?] = []
        values.reserveCapacity(arguments.count)
        for argument in arguments { values.append(try argument.evaluate(scope)) }
        return values
    }

    /// `$arrayElemAt`: negative indexes count from the end; out of range is missing.
    static func arrayElement(_ array: BSONValue?, _ index: BSONValue?) throws(MongoError) -> BSONValue? {
        if ExpressionArithmetic.isNullish(array) || ExpressionArithmetic.isNullish(index) { return .null }
        guard case .array(let elements)? = array else {
            throw MongoError(.location(28689), "$arrayElemAt's first argument must be an array, but is \(ServerText.typeName(array))")
        }
        guard let index, index.isNumeric else {
            throw MongoError(.location(28690), "$arrayElemAt's second argument must be a numeric value, but is \(ServerText.typeName(index))")
        }
        guard let position = ExpressionArithmetic.int32Value(index) else {
            throw MongoError(
                .location(28691),
                "$arrayElemAt's second argument must be representable as a 32-bit integer: \(ServerText.shortDouble(ExpressionArithmetic.doubleValue(index)))"
            )
        }
        let resolved = position < 0 ? elements.count + position : position
        guard resolved >= 0, resolved < elements.count else { return nil }
        return elements[resolved]
    }

    /// `Value::coerceToString`.
    static func coerceToString(_ value: BSONValue?) throws(MongoError) -> String {
        switch value {
        case nil, .null?, .undefined?: return ""
        case .string(let string)?, .symbol(let string)?, .javascript(let string)?: return string
        case .int32(let int)?: return String(int)
        case .int64(let long)?: return String(long)
        case .double(let double)?: return ServerText.shortDouble(double)
        case .decimal128(let decimal)?: return decimal.description
        case .datetime(let date)?: return ISODateText.string(millisecondsSinceEpoch: date.millisecondsSinceEpoch)
        default:
            throw MongoError(.location(16007), "can't convert from BSON type \(ServerText.typeName(value)) to String")
        }
    }

    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    static func asciiUppercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
    }
}

/// What an expression sees while it is evaluated: the document (`$$ROOT`, `$$CURRENT`),
/// the user variables by slot, and `$$NOW`.
public struct ExpressionScope: Sendable {
    /// `$$ROOT`.
    public var root: BSONValue
    /// `$$CURRENT`: where field paths start.
    public var current: BSONValue
    /// User variables, indexed by the slots ExpressionContext gave them (nil: unbound).
    public var variables: [BSONValue?]
    /// `$$NOW`.
    public var now: BSONDateTime
    /// The collation comparisons follow (`nil`: simple, binary).
    public var collator: Collator?

    /// A scope over `root` with the given variables.
    public init(root: BSONValue, variables: [BSONValue?] = [], now: BSONDateTime, collator: Collator? = nil) {
        self.root = root
        self.current = root
        self.variables = variables
        self.now = now
        self.collator = collator
    }

    /// Aggregation's comparison (missing as undefined) under this scope's collation.
    func compare(_ lhs: BSONValue?, _ rhs: BSONValue?) -> Int {
        BSONValue.compare(lhs ?? .undefined, rhs ?? .undefined, collator: collator)
    }

    /// This scope with `slot` bound to `value`.
    func binding(_ slot: Int, to value: BSONValue?) -> ExpressionScope {
        var scope = self
        scope.bind(slot, to: value)
        return scope
    }

    /// Binds `slot` to `value` in place.
    mutating func bind(_ slot: Int, to value: BSONValue?) {
        if variables.count <= slot { variables.append(contentsOf: repeatElement(nil, count: slot + 1 - variables.count)) }
        variables[slot] = value
    }

    /// This scope with a different document (same variables and `$$NOW`).
    public func with(root: BSONValue) -> ExpressionScope {
        var scope = self
        scope.root = root
        scope.current = root
        return scope
    }

    /// Aggregation field path semantics: documents by name; through an array, the path is
    /// applied to each embedded document and the found values collected into an array
    /// (scalars and nested arrays are skipped).
    static func resolve(_ base: BSONValue, _ components: [String]) -> BSONValue? {
        if components.isEmpty { return base }
        guard case .document(let document) = base else { return nil }
        return resolve(document, components, 0)
    }

    private static func resolve(_ document: BSONDocument, _ components: [String], _ index: Int) -> BSONValue? {
        let value = document[components[index]]
        if index == components.count - 1 { return value }
        switch value {
        case .document(let inner)?:
            return resolve(inner, components, index + 1)
        case .array(let elements)?:
            return resolveInArray(elements, components, index + 1)
        default:
            return nil
        }
    }

    private static func resolveInArray(_ elements: [BSONValue], _ components: [String], _ index: Int) -> BSONValue {
        var found: [BSONValue] = []
        for element in elements {
            guard case .document(let inner) = element else { continue }
            if let value = resolve(inner, components, index) { found.append(value) }
        }
        return .array(found)
    }
}

/// Dates as MongoDB's default `%Y-%m-%dT%H:%M:%S.%LZ` (UTC), without Foundation.
enum ISODateText {
    static func string(millisecondsSinceEpoch: Int64) -> String {
        let (days, millisOfDay) = CivilTime.floorDivide(millisecondsSinceEpoch, 86_400_000)
        let (year, month, day) = CivilTime.civil(fromDays: days)
        let hours = millisOfDay / 3_600_000
        let minutes = millisOfDay / 60000 % 60
        let seconds = millisOfDay / 1000 % 60
        let millis = millisOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hours, 2)):\(pad(minutes, 2)):\(pad(seconds, 2)).\(pad(millis, 3))Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }
}
