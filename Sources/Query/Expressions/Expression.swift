// Expression: MongoDB aggregation expressions (field paths, variables, literals and the
// operator families of ExpressionOperator and NamedExpression) as a tree parsed once from
// BSON, with MongoDB's parse errors. User variables are resolved to slots at parse time
// (ExpressionContext). Evaluation lives in ExpressionEvaluator.swift and its siblings.

public import BSON
import Documents

/// A parsed aggregation expression.
public indirect enum Expression: Sendable {
    /// A constant: a literal value, or `$literal`'s operand taken as is.
    case constant(BSONValue)
    /// `"$a.b"`: a path into the current document (`$$CURRENT`), through arrays.
    case fieldPath([String])
    /// `"$$ROOT"`, `"$$CURRENT.a"`, `"$$REMOVE"`: a variable and an optional path into it.
    case variable(ExpressionVariable, [String])
    /// `[e1, e2]`: an array of expressions; missing values become null.
    case array([Expression])
    /// `{a: e1, b: e2}`: a document of expressions; fields whose value is missing are left out.
    case object([ExpressionField])
    /// `{$op: args}`: an operator applied to its arguments.
    case operation(ExpressionOperator, [Expression])
    /// An operator with named arguments or its own variables (`$let`, `$map`, `$filter`,
    /// `$switch`, `$convert`, the date operators...).
    case named(NamedExpression)
}

/// One field of an object expression.
public struct ExpressionField: Sendable {
    /// The field name.
    public var name: String
    /// Its value.
    public var value: Expression

    /// A field.
    public init(name: String, value: Expression) {
        self.name = name
        self.value = value
    }
}

/// The variables an expression may name.
public enum ExpressionVariable: Sendable, Equatable {
    /// `$$ROOT`: the top-level document.
    case root
    /// `$$CURRENT`: the document field paths start from (the root, in `$expr`).
    case current
    /// `$$REMOVE`: evaluates to missing.
    case remove
    /// `$$NOW`: the time the operation started, the same for every document.
    case now
    /// A user variable (`$let`, `$map`, `let` options), by the slot it was given at parse time.
    case user(slot: Int, name: String)

    /// The system variable named `name`, if there is one.
    init?(systemName name: String) {
        switch name {
        case "ROOT": self = .root
        case "CURRENT": self = .current
        case "REMOVE": self = .remove
        case "NOW": self = .now
        default: return nil
        }
    }
}

/// The expression operators with positional arguments, by MongoDB name.
public enum ExpressionOperator: String, Sendable, CaseIterable {
    /// Comparisons in MongoDB's full cross-type order: booleans, or an int for `$cmp`.
    case eq = "$eq", ne = "$ne", gt = "$gt", gte = "$gte", lt = "$lt", lte = "$lte", cmp = "$cmp"
    /// Boolean operators over aggregation truthiness.
    case and = "$and", or = "$or", not = "$not"
    /// Arithmetic with MongoDB's numeric widening and date arithmetic.
    case add = "$add", subtract = "$subtract", multiply = "$multiply", divide = "$divide", mod = "$mod"
    /// Numeric functions of one number (`$trunc` and `$round` take an optional number of places).
    case abs = "$abs", ceil = "$ceil", floor = "$floor", trunc = "$trunc", round = "$round"
    /// Powers and logarithms.
    case pow = "$pow", sqrt = "$sqrt", exp = "$exp", ln = "$ln", log = "$log", log10 = "$log10"
    /// Conditionals.
    case cond = "$cond", ifNull = "$ifNull"
    /// Array operators.
    case `in` = "$in", size = "$size", arrayElemAt = "$arrayElemAt", concatArrays = "$concatArrays"
    case slice = "$slice", range = "$range", reverseArray = "$reverseArray", isArray = "$isArray"
    case first = "$first", last = "$last", indexOfArray = "$indexOfArray"
    case allElementsTrue = "$allElementsTrue", anyElementTrue = "$anyElementTrue"
    case setUnion = "$setUnion", setIntersection = "$setIntersection", setDifference = "$setDifference"
    case setEquals = "$setEquals", setIsSubset = "$setIsSubset"
    /// Array reductions (`{$sum: [a, b]}` or `{$sum: "$array"}`).
    case sum = "$sum", avg = "$avg", min = "$min", max = "$max"
    case stdDevPop = "$stdDevPop", stdDevSamp = "$stdDevSamp"
    /// String operators.
    case concat = "$concat", toLower = "$toLower", toUpper = "$toUpper", strcasecmp = "$strcasecmp"
    case substr = "$substr", substrBytes = "$substrBytes", substrCP = "$substrCP"
    case strLenCP = "$strLenCP", strLenBytes = "$strLenBytes", split = "$split"
    case indexOfBytes = "$indexOfBytes", indexOfCP = "$indexOfCP"
    /// Type operators and conversions.
    case type = "$type", isNumber = "$isNumber"
    /// `$rand: {}`: a double in [0, 1), drawn per evaluation.
    case rand = "$rand"
    case toInt = "$toInt", toLong = "$toLong", toDouble = "$toDouble", toDecimal = "$toDecimal"
    case toString = "$toString", toDate = "$toDate", toObjectId = "$toObjectId", toBool = "$toBool"
    /// Object operators.
    case mergeObjects = "$mergeObjects", objectToArray = "$objectToArray", arrayToObject = "$arrayToObject"

    /// How many arguments the operator takes.
    var arity: Arity {
        switch self {
        case .eq, .ne, .gt, .gte, .lt, .lte, .cmp, .subtract, .divide, .mod, .in, .arrayElemAt, .pow, .log,
             .strcasecmp, .split, .setDifference, .setIsSubset:
            .exactly(2)
        case .not, .abs, .ceil, .floor, .size, .toLower, .toUpper, .type, .sqrt, .exp, .ln, .log10,
             .reverseArray, .isArray, .first, .last, .allElementsTrue, .anyElementTrue, .strLenCP, .strLenBytes,
             .isNumber, .toInt, .toLong, .toDouble, .toDecimal, .toString, .toDate, .toObjectId, .toBool,
             .objectToArray, .arrayToObject:
            .exactly(1)
        case .cond, .substr, .substrBytes, .substrCP:
            .exactly(3)
        case .trunc, .round: .range(1, 2)
        case .rand: .range(0, 1)
        case .slice: .range(2, 3)
        case .range: .range(2, 3)
        case .indexOfArray, .indexOfBytes, .indexOfCP: .range(2, 4)
        case .ifNull: .atLeast(2)
        case .setEquals: .atLeast(2)
        case .and, .or, .add, .multiply, .concat, .concatArrays, .sum, .avg, .min, .max, .stdDevPop, .stdDevSamp,
             .setUnion, .setIntersection, .mergeObjects:
            .any
        }
    }

    enum Arity {
        case exactly(Int), range(Int, Int), atLeast(Int), any
    }
}

extension Expression {
    /// Parses an expression (MongoDB's `Expression::parseOperand`): `$`-strings are paths or
    /// variables, arrays and documents are parsed element by element, a document whose first
    /// key starts with `$` is an operator, anything else is a constant. No user variables are
    /// in scope.
    ///
    /// - Throws: `InvalidPipelineOperator` (168) for an unknown operator, MongoDB's location
    ///   codes for wrong argument counts and malformed paths or variables.
    public static func parse(_ value: BSONValue) throws(MongoError) -> Expression {
        var context = ExpressionContext()
        return try parse(value, in: &context)
    }

    /// Parses an expression with the user variables `context` declares in scope.
    public static func parse(_ value: BSONValue, in context: inout ExpressionContext) throws(MongoError) -> Expression {
        switch value {
        case .string(let string) where string.utf8.first == UInt8(ascii: "$"):
            return try parseReference(string, context)
        case .array(let elements):
            var parsed: [Expression] = []
            parsed.reserveCapacity(elements.count)
            for element in elements { parsed.append(try parse(element, in: &context)) }
            return .array(parsed)
        case .document(let document):
            guard let first = document.elements.first else { return .object([]) }
            if first.key.utf8.first == UInt8(ascii: "$") {
                guard document.count == 1 else {
                    throw MongoError(
                        .location(15983),
                        "An object representing an expression must have exactly one field: \(ServerText.value(value))"
                    )
                }
                if first.key == "$meta" { return try TextScoreMetadata.expression(first.value) }
                return try parseOperator(first.key, first.value, &context)
            }
            var fields: [ExpressionField] = []
            var names: Set<String> = []
            for (name, fieldValue) in document.elements {
                try validateFieldName(name)
                guard names.insert(name).inserted else {
                    throw MongoError(.location(16406), "duplicate field name specified in object literal: \(ServerText.value(value))")
                }
                fields.append(ExpressionField(name: name, value: try parse(fieldValue, in: &context)))
            }
            return .object(fields)
        default:
            return .constant(value)
        }
    }

    /// `"$a.b"` or `"$$VAR.a"`.
    static func parseReference(_ string: String, _ context: ExpressionContext) throws(MongoError) -> Expression {
        if string.hasPrefix("$$") {
            let body = string.dropFirst(2)
            let parts = body.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            let path = Array(parts.dropFirst())
            for component in path { try validatePathComponent(component) }
            if let variable = ExpressionVariable(systemName: name) { return .variable(variable, path) }
            if let slot = context.slot(for: name) { return .variable(.user(slot: slot, name: name), path) }
            try ExpressionContext.validateNameForRead(name)
            throw MongoError(.location(17276), "Use of undefined variable: \(name)")
        }
        let body = string.dropFirst()
        if body.isEmpty { throw MongoError(.location(16872), "'$' by itself is not a valid FieldPath") }
        let components = body.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for component in components { try validatePathComponent(component) }
        return .fieldPath(components)
    }

    static func validatePathComponent(_ component: String) throws(MongoError) {
        if component.isEmpty {
            throw MongoError(.location(15998), "FieldPath field names may not be empty strings.")
        }
        if component.utf8.first == UInt8(ascii: "$") {
            throw MongoError(.location(16410), "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
        }
    }

    static func validateFieldName(_ name: String) throws(MongoError) {
        try validatePathComponent(name)
        if name.utf8.contains(UInt8(ascii: ".")) {
            throw MongoError(.location(16411), "FieldPath field names may not contain '.'. Consider using $getField or $setField.")
        }
    }

    /// `{$op: args}`.
    static func parseOperator(_ name: String, _ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> Expression {
        if name == "$literal" { return .constant(argument) }
        if let named = try NamedExpression.parse(name, argument, &context) { return .named(named) }
        guard let op = ExpressionOperator(rawValue: name) else {
            throw MongoError(.invalidPipelineOperator, "Unrecognized expression '\(name)'")
        }
        if op == .cond, case .document(let clauses) = argument {
            return try parseCondDocument(clauses, &context)
        }
        var arguments: [Expression] = []
        if case .array(let elements) = argument {
            arguments.reserveCapacity(elements.count)
            for element in elements { arguments.append(try parse(element, in: &context)) }
        } else {
            arguments.append(try parse(argument, in: &context))
        }
        let count = arguments.count
        switch op.arity {
        case .exactly(let expected) where count != expected:
            throw MongoError(.location(16020), "Expression \(name) takes exactly \(expected) arguments. \(count) were passed in.")
        case .range(let low, let high) where count < low || count > high:
            throw MongoError(
                .location(28667),
                "Expression \(name) takes at least \(low) arguments, and at most \(high), but \(count) were passed in."
            )
        case .atLeast(let low) where count < low:
            if op == .setEquals {
                throw MongoError(.location(17045), "$setEquals needs at least two arguments had: \(count)")
            }
            throw MongoError(.location(1_257_300), "\(name) needs at least two arguments, had: \(count)")
        default:
            break
        }
        return .operation(op, arguments)
    }

    /// `{$cond: {if: e, then: e, else: e}}`.
    static func parseCondDocument(_ clauses: BSONDocument, _ context: inout ExpressionContext) throws(MongoError) -> Expression {
        var condition: Expression?
        var then: Expression?
        var otherwise: Expression?
        for (key, value) in clauses.elements {
            switch key {
            case "if": condition = try parse(value, in: &context)
            case "then": then = try parse(value, in: &context)
            case "else": otherwise = try parse(value, in: &context)
            default: throw MongoError(.location(17083), "Unrecognized parameter to $cond: \(key)")
            }
        }
        guard let condition else { throw MongoError(.location(17080), "Missing 'if' parameter to $cond") }
        guard let then else { throw MongoError(.location(17081), "Missing 'then' parameter to $cond") }
        guard let otherwise else { throw MongoError(.location(17082), "Missing 'else' parameter to $cond") }
        return .operation(.cond, [condition, then, otherwise])
    }
}
