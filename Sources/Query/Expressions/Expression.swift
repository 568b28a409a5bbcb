// Expression: MongoDB aggregation expressions (the `$expr` subset: field paths, variables,
// literals, comparison, boolean, arithmetic, conditional, array and string operators) as a
// tree parsed once from BSON, with MongoDB's parse errors. Evaluation lives in
// ExpressionEvaluator.swift; the aggregation work extends both with more operators.

public import BSON
public import Documents

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
public enum ExpressionVariable: String, Sendable {
    /// `$$ROOT`: the top-level document.
    case root = "ROOT"
    /// `$$CURRENT`: the document field paths start from (the root, in `$expr`).
    case current = "CURRENT"
    /// `$$REMOVE`: evaluates to missing.
    case remove = "REMOVE"
}

/// The expression operators implemented, by MongoDB name.
public enum ExpressionOperator: String, Sendable, CaseIterable {
    /// Comparisons in MongoDB's full cross-type order: booleans, or an int for `$cmp`.
    case eq = "$eq", ne = "$ne", gt = "$gt", gte = "$gte", lt = "$lt", lte = "$lte", cmp = "$cmp"
    /// Boolean operators over aggregation truthiness.
    case and = "$and", or = "$or", not = "$not"
    /// Arithmetic with MongoDB's numeric widening and date arithmetic.
    case add = "$add", subtract = "$subtract", multiply = "$multiply", divide = "$divide", mod = "$mod"
    /// Numeric functions of one number (`$trunc` takes an optional number of places).
    case abs = "$abs", ceil = "$ceil", floor = "$floor", trunc = "$trunc"
    /// Conditionals.
    case cond = "$cond", ifNull = "$ifNull"
    /// Array operators.
    case `in` = "$in", size = "$size", arrayElemAt = "$arrayElemAt"
    /// String and type operators.
    case concat = "$concat", toLower = "$toLower", toUpper = "$toUpper", type = "$type"

    /// How many arguments the operator takes.
    var arity: Arity {
        switch self {
        case .eq, .ne, .gt, .gte, .lt, .lte, .cmp, .subtract, .divide, .mod, .in, .arrayElemAt: .exactly(2)
        case .not, .abs, .ceil, .floor, .size, .toLower, .toUpper, .type: .exactly(1)
        case .cond: .exactly(3)
        case .trunc: .range(1, 2)
        case .ifNull: .atLeast(2)
        case .and, .or, .add, .multiply, .concat: .any
        }
    }

    enum Arity {
        case exactly(Int), range(Int, Int), atLeast(Int), any
    }
}

extension Expression {
    /// Parses an expression (MongoDB's `Expression::parseOperand`): `$`-strings are paths or
    /// variables, arrays and documents are parsed element by element, a document whose first
    /// key starts with `$` is an operator, anything else is a constant.
    ///
    /// - Throws: `InvalidPipelineOperator` (168) for an unknown operator, MongoDB's location
    ///   codes for wrong argument counts and malformed paths or variables.
    public static func parse(_ value: BSONValue) throws(MongoError) -> Expression {
        switch value {
        case .string(let string) where string.utf8.first == UInt8(ascii: "$"):
            return try parseReference(string)
        case .array(let elements):
            var parsed: [Expression] = []
            parsed.reserveCapacity(elements.count)
            for element in elements { parsed.append(try parse(element)) }
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
                return try parseOperator(first.key, first.value)
            }
            var fields: [ExpressionField] = []
            var names: Set<String> = []
            for (name, fieldValue) in document.elements {
                try validateFieldName(name)
                guard names.insert(name).inserted else {
                    throw MongoError(.location(16406), "duplicate field name specified in object literal: \(ServerText.value(value))")
                }
                fields.append(ExpressionField(name: name, value: try parse(fieldValue)))
            }
            return .object(fields)
        default:
            return .constant(value)
        }
    }

    /// `"$a.b"` or `"$$VAR.a"`.
    static func parseReference(_ string: String) throws(MongoError) -> Expression {
        if string.hasPrefix("$$") {
            let body = string.dropFirst(2)
            let parts = body.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            let path = Array(parts.dropFirst())
            for component in path { try validatePathComponent(component) }
            if let variable = ExpressionVariable(rawValue: name) { return .variable(variable, path) }
            if name.isEmpty { throw MongoError(.location(16869), "empty variable names are not allowed") }
            if let first = name.unicodeScalars.first, (first >= "a" && first <= "z") || !first.isASCII {
                throw MongoError(.location(17276), "Use of undefined variable: \(name)")
            }
            throw MongoError(.location(16870), "'\(name)' starts with an invalid character for a user variable name")
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
    static func parseOperator(_ name: String, _ argument: BSONValue) throws(MongoError) -> Expression {
        if name == "$literal" { return .constant(argument) }
        guard let op = ExpressionOperator(rawValue: name) else {
            throw MongoError(.invalidPipelineOperator, "Unrecognized expression '\(name)'")
        }
        if op == .cond, case .document(let clauses) = argument {
            return try parseCondDocument(clauses)
        }
        var arguments: [Expression] = []
        if case .array(let elements) = argument {
            arguments.reserveCapacity(elements.count)
            for element in elements { arguments.append(try parse(element)) }
        } else {
            arguments.append(try parse(argument))
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
            throw MongoError(.location(1_257_300), "\(name) needs at least two arguments, had: \(count)")
        default:
            break
        }
        return .operation(op, arguments)
    }

    /// `{$cond: {if: e, then: e, else: e}}`.
    static func parseCondDocument(_ clauses: BSONDocument) throws(MongoError) -> Expression {
        var condition: Expression?
        var then: Expression?
        var otherwise: Expression?
        for (key, value) in clauses.elements {
            switch key {
            case "if": condition = try parse(value)
            case "then": then = try parse(value)
            case "else": otherwise = try parse(value)
            default: throw MongoError(.location(17083), "Unrecognized parameter to $cond: \(key)")
            }
        }
        guard let condition else { throw MongoError(.location(17080), "Missing 'if' parameter to $cond") }
        guard let then else { throw MongoError(.location(17081), "Missing 'then' parameter to $cond") }
        guard let otherwise else { throw MongoError(.location(17082), "Missing 'else' parameter to $cond") }
        return .operation(.cond, [condition, then, otherwise])
    }
}
