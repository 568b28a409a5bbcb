// NamedExpression: the operators whose arguments are named ({input:, as:, in:}) or that
// bind variables — $let, $map, $filter, $reduce, $switch, $convert, $getField, $setField,
// $unsetField, $regexMatch/$regexFind/$regexFindAll, $trim/$ltrim/$rtrim, $replaceOne/
// $replaceAll, $sortArray, $zip, and the date operators — parsed once, with MongoDB's codes.

internal import BSON
internal import Documents

/// An operator with named arguments, parsed.
public indirect enum NamedExpression: Sendable {
    /// `$let`: each variable's slot and value, then the body.
    case `let`(bindings: [(slot: Int, value: Expression)], body: Expression)
    /// `$map`.
    case map(input: Expression, slot: Int, body: Expression)
    /// `$filter` with an optional `limit`.
    case filter(input: Expression, slot: Int, condition: Expression, limit: Expression?)
    /// `$reduce`: `$$value` and `$$this` slots.
    case reduce(input: Expression, initial: Expression, valueSlot: Int, thisSlot: Int, body: Expression)
    /// `$switch`.
    case `switch`(branches: [(condition: Expression, then: Expression)], otherwise: Expression?)
    /// `$convert`.
    case convert(input: Expression, to: Expression, onError: Expression?, onNull: Expression?)
    /// `$getField` (`input` defaults to `$$CURRENT`).
    case getField(field: Expression, input: Expression)
    /// `$setField` / `$unsetField` (`value` nil for unset; `$$REMOVE` also removes).
    case setField(field: Expression, input: Expression, value: Expression?)
    /// `$regexMatch`, `$regexFind`, `$regexFindAll`; `precompiled` holds the compiled pattern
    /// when `regex` and `options` are constants, so it is compiled once, not per document.
    case regex(RegexOperation, input: Expression, regex: Expression, options: Expression?, precompiled: PrecompiledRegex?)
    /// `$trim`, `$ltrim`, `$rtrim`.
    case trim(TrimSide, input: Expression, chars: Expression?)
    /// `$replaceOne` / `$replaceAll`.
    case replace(all: Bool, input: Expression, find: Expression, replacement: Expression)
    /// `$sortArray` with a parsed sort (a document spec or a direction).
    case sortArray(input: Expression, sortBy: ArraySort)
    /// `$zip`.
    case zip(inputs: Expression, useLongestLength: Bool, defaults: Expression?)
    /// `$year`, `$month`... with an optional time zone.
    case datePart(DatePart, date: Expression, timezone: Expression?)
    /// `$dateToString`.
    case dateToString(date: Expression, format: Expression?, timezone: Expression?, onNull: Expression?)
    /// `$dateFromString`.
    case dateFromString(string: Expression, format: Expression?, timezone: Expression?, onError: Expression?, onNull: Expression?)
    /// `$dateTrunc`.
    case dateTrunc(date: Expression, unit: Expression, binSize: Expression?, timezone: Expression?, startOfWeek: Expression?)
    /// `$dateAdd` / `$dateSubtract`.
    case dateAdd(subtract: Bool, start: Expression, unit: Expression, amount: Expression, timezone: Expression?)
    /// `$dateDiff`.
    case dateDiff(start: Expression, end: Expression, unit: Expression, timezone: Expression?, startOfWeek: Expression?)

    /// Which regular-expression operator.
    public enum RegexOperation: String, Sendable { case match = "$regexMatch", find = "$regexFind", findAll = "$regexFindAll" }
    /// A constant `$regex*` pattern compiled at parse time (nil `compiled`: the pattern is null).
    public struct PrecompiledRegex: Sendable {
        /// The compiled pattern, or nil for a nullish one.
        public let compiled: CompiledRegex?
    }
    /// Which ends `$trim` strips.
    public enum TrimSide: String, Sendable { case both = "$trim", leading = "$ltrim", trailing = "$rtrim" }
    /// `$sortArray`'s `sortBy`: a direction for whole values or a document sort spec.
    public enum ArraySort: Sendable { case direction(ascending: Bool), spec(SortSpec) }
}

extension NamedExpression {
    /// The named operator `name`, or nil when `name` is a positional operator.
    static func parse(_ name: String, _ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> NamedExpression? {
        switch name {
        case "$let": return try parseLet(argument, &context)
        case "$map": return try parseMap(argument, &context)
        case "$filter": return try parseFilter(argument, &context)
        case "$reduce": return try parseReduce(argument, &context)
        case "$switch": return try parseSwitch(argument, &context)
        case "$convert":
            var spec = try Arguments(name, argument, allowed: ["input", "to", "onError", "onNull", "format", "base"], notObject: (4_997_700, "$convert expects an object of named arguments but found: \(ServerText.typeName(argument))"), &context)
            guard let input = spec.take("input") else { throw MongoError(.location(5_997_702), "Missing 'input' parameter to $convert") }
            guard let to = spec.take("to") else { throw MongoError(.location(5_997_703), "Missing 'to' parameter to $convert") }
            return .convert(input: input, to: to, onError: spec.take("onError"), onNull: spec.take("onNull"))
        case "$getField":
            if case .document(let document) = argument, document.first.map({ !$0.key.hasPrefix("$") }) ?? false {
                var spec = try Arguments(name, argument, allowed: ["field", "input"], notObject: (3_041_701, ""), &context)
                guard let field = spec.take("field") else { throw MongoError(.location(3_041_702), "$getField requires 'field' to be specified") }
                try requireConstantString(field, name)
                return .getField(field: field, input: spec.take("input") ?? .variable(.current, []))
            }
            let field = try Expression.parse(argument, in: &context)
            try requireConstantString(field, name)
            return .getField(field: field, input: .variable(.current, []))
        case "$setField", "$unsetField":
            let allowed: Set<String> = name == "$setField" ? ["field", "input", "value"] : ["field", "input"]
            var spec = try Arguments(name, argument, allowed: allowed, notObject: (4_161_100, "\(name) only supports an object as its argument"), &context)
            guard let field = spec.take("field") else { throw MongoError(.location(4_161_102), "\(name) requires 'field' to be specified") }
            guard let input = spec.take("input") else { throw MongoError(.location(4_161_103), "\(name) requires 'input' to be specified") }
            try requireConstantString(field, name)
            if name == "$unsetField" { return .setField(field: field, input: input, value: nil) }
            guard let value = spec.take("value") else { throw MongoError(.location(4_161_104), "$setField requires 'value' to be specified") }
            return .setField(field: field, input: input, value: value)
        case "$regexMatch", "$regexFind", "$regexFindAll":
            let operation = RegexOperation(rawValue: name) ?? .match
            var spec = try Arguments(name, argument, allowed: ["input", "regex", "options"], notObject: (51103, "\(name) expects an object of named arguments but found: \(ServerText.typeName(argument))"), &context)
            guard let input = spec.take("input") else { throw MongoError(.location(31022), "\(name) requires 'input' parameter") }
            guard let regex = spec.take("regex") else { throw MongoError(.location(31023), "\(name) requires 'regex' parameter") }
            let options = spec.take("options")
            var precompiled: PrecompiledRegex?
            if case .constant(let pattern) = regex {
                switch options {
                case nil:
                    precompiled = PrecompiledRegex(compiled: try ExpressionText.compileRegex(operation, pattern, nil, once: true))
                case .constant(let letters)?:
                    precompiled = PrecompiledRegex(compiled: try ExpressionText.compileRegex(operation, pattern, letters, once: true))
                default:
                    break
                }
            }
            return .regex(operation, input: input, regex: regex, options: options, precompiled: precompiled)
        case "$trim", "$ltrim", "$rtrim":
            let side = TrimSide(rawValue: name) ?? .both
            var spec = try Arguments(name, argument, allowed: ["input", "chars"], notObject: (50696, "\(name) only supports an object as an argument, found: \(ServerText.typeName(argument))"), &context)
            guard let input = spec.take("input") else { throw MongoError(.location(50695), "\(name) requires an 'input' field") }
            return .trim(side, input: input, chars: spec.take("chars"))
        case "$replaceOne", "$replaceAll":
            var spec = try Arguments(name, argument, allowed: ["input", "find", "replacement"], notObject: (51751, "\(name) requires an object as an argument, found: \(ServerText.typeName(argument))"), &context)
            guard let input = spec.take("input") else { throw MongoError(.location(51748), "\(name) requires 'input' to be specified") }
            guard let find = spec.take("find") else { throw MongoError(.location(51749), "\(name) requires 'find' to be specified") }
            guard let replacement = spec.take("replacement") else { throw MongoError(.location(51750), "\(name) requires 'replacement' to be specified") }
            return .replace(all: name == "$replaceAll", input: input, find: find, replacement: replacement)
        case "$sortArray":
            guard case .document(let document) = argument else {
                throw MongoError(.location(2_942_500), "$sortArray requires an object as an argument, found: \(ServerText.typeName(argument))")
            }
            var input: Expression?
            var sortBy: ArraySort?
            for (key, value) in document.elements {
                switch key {
                case "input": input = try Expression.parse(value, in: &context)
                case "sortBy":
                    if case .document(let spec) = value {
                        sortBy = .spec(try SortSpec(spec))
                    } else if value.isNumeric, let direction = value.int64Value, direction == 1 || direction == -1 {
                        sortBy = .direction(ascending: direction == 1)
                    } else {
                        throw MongoError(.location(2_942_505), "$sortArray requires sortBy to be an object or 1 or -1, found: \(ServerText.value(value))")
                    }
                default: throw MongoError(.location(2_942_501), "$sortArray found an unknown argument: \(key)")
                }
            }
            guard let input else { throw MongoError(.location(2_942_502), "$sortArray requires 'input' to be specified") }
            guard let sortBy else { throw MongoError(.location(2_942_503), "$sortArray requires 'sortBy' to be specified") }
            return .sortArray(input: input, sortBy: sortBy)
        case "$zip":
            guard case .document(let document) = argument else {
                throw MongoError(.location(34460), "$zip only supports an object as an argument, found \(ServerText.typeName(argument))")
            }
            var inputs: Expression?
            var longest = false
            var defaults: Expression?
            for (key, value) in document.elements {
                switch key {
                case "inputs":
                    guard case .array = value else { throw MongoError(.location(34461), "inputs must be an array of expressions, found \(ServerText.typeName(value))") }
                    inputs = try Expression.parse(value, in: &context)
                case "useLongestLength":
                    guard case .bool(let bool) = value else { throw MongoError(.location(34463), "useLongestLength must be a bool, found \(ServerText.typeName(value))") }
                    longest = bool
                case "defaults":
                    guard case .array = value else { throw MongoError(.location(34462), "defaults must be an array of expressions, found \(ServerText.typeName(value))") }
                    defaults = try Expression.parse(value, in: &context)
                default: throw MongoError(.location(34464), "$zip found an unknown argument: \(key)")
                }
            }
            guard let inputs else { throw MongoError(.location(34465), "$zip requires at least one input array") }
            if defaults != nil && !longest {
                throw MongoError(.location(34466), "cannot specify defaults unless useLongestLength is true")
            }
            return .zip(inputs: inputs, useLongestLength: longest, defaults: defaults)
        default:
            return try parseDate(name, argument, &context)
        }
    }

    private static func requireConstantString(_ field: Expression, _ name: String) throws(MongoError) {
        switch field {
        case .constant(.string): return
        case .constant(let value):
            throw MongoError(.location(5_654_601), "\(name) requires 'field' to evaluate to type String, but got \(ServerText.typeName(value))")
        default:
            throw MongoError(.location(5_654_602), "\(name) requires 'field' to evaluate to a constant, but got a non-constant argument")
        }
    }

    static func parseLet(_ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> NamedExpression {
        guard case .document(let document) = argument else {
            throw MongoError(.location(16874), "$let only supports an object as its argument")
        }
        var vars: BSONDocument?
        var body: BSONValue?
        for (key, value) in document.elements {
            switch key {
            case "vars":
                guard case .document(let defined) = value else {
                    throw MongoError(.location(10065), "invalid parameter: expected an object (vars)")
                }
                vars = defined
            case "in": body = value
            default: throw MongoError(.location(16875), "Unrecognized parameter to $let: \(key)")
            }
        }
        guard let vars else { throw MongoError(.location(16876), "Missing 'vars' parameter to $let") }
        guard let body else { throw MongoError(.location(16877), "Missing 'in' parameter to $let") }
        // The values see the outer scope; the body sees the new variables.
        var values: [(String, Expression)] = []
        for (name, value) in vars.elements { values.append((name, try Expression.parse(value, in: &context))) }
        let outer = context.visibleVariables
        var bindings: [(slot: Int, value: Expression)] = []
        for (name, value) in values { bindings.append((try context.declare(name), value)) }
        let parsedBody = try Expression.parse(body, in: &context)
        context.restore(outer)
        return .let(bindings: bindings, body: parsedBody)
    }

    static func parseMap(_ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> NamedExpression {
        guard case .document(let document) = argument else {
            throw MongoError(.location(16878), "$map only supports an object as its argument")
        }
        var input: BSONValue?
        var name = "this"
        var body: BSONValue?
        for (key, value) in document.elements {
            switch key {
            case "input": input = value
            case "as":
                guard case .string(let string) = value else { throw MongoError(.location(16866), "empty variable names are not allowed") }
                name = string
            case "in": body = value
            default: throw MongoError(.location(16879), "Unrecognized parameter to $map: \(key)")
            }
        }
        guard let input else { throw MongoError(.location(16880), "Missing 'input' parameter to $map") }
        guard let body else { throw MongoError(.location(16882), "Missing 'in' parameter to $map") }
        let parsedInput = try Expression.parse(input, in: &context)
        let (slot, parsedBody) = try parseBinding(name, over: body, &context)
        return .map(input: parsedInput, slot: slot, body: parsedBody)
    }

    /// `body` parsed with the variable `name` in scope (and out of scope afterwards); returns
    /// the variable's slot and the parsed body. Shared by `$map` and `$filter`.
    static func parseBinding(
        _ name: String, over body: BSONValue, _ context: inout ExpressionContext
    ) throws(MongoError) -> (slot: Int, body: Expression) {
        let outer = context.visibleVariables
        let slot = try context.declare(name)
        let parsed = try Expression.parse(body, in: &context)
        context.restore(outer)
        return (slot, parsed)
    }

    static func parseFilter(_ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> NamedExpression {
        guard case .document(let document) = argument else {
            throw MongoError(.location(28646), "$filter only supports an object as its argument")
        }
        var input: BSONValue?
        var name = "this"
        var condition: BSONValue?
        var limit: BSONValue?
        for (key, value) in document.elements {
            switch key {
            case "input": input = value
            case "as":
                guard case .string(let string) = value else { throw MongoError(.location(16866), "empty variable names are not allowed") }
                name = string
            case "cond": condition = value
            case "limit": limit = value
            default: throw MongoError(.location(28647), "Unrecognized parameter to $filter: \(key)")
            }
        }
        guard let input else { throw MongoError(.location(28648), "Missing 'input' parameter to $filter") }
        guard let condition else { throw MongoError(.location(28650), "Missing 'cond' parameter to $filter") }
        let parsedInput = try Expression.parse(input, in: &context)
        let parsedLimit = try limit.map { (value) throws(MongoError) -> Expression in try Expression.parse(value, in: &context) }
        let (slot, parsedCondition) = try parseBinding(name, over: condition, &context)
        return .filter(input: parsedInput, slot: slot, condition: parsedCondition, limit: parsedLimit)
    }

    static func parseReduce(_ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> NamedExpression {
        guard case .document(let document) = argument else {
            throw MongoError(.location(40075), "$reduce requires an object as an argument, found: \(ServerText.typeName(argument))")
        }
        var input: BSONValue?
        var initial: BSONValue?
        var body: BSONValue?
        for (key, value) in document.elements {
            switch key {
            case "input": input = value
            case "initialValue": initial = value
            case "in": body = value
            default: throw MongoError(.location(40076), "$reduce found an unknown argument: \(key)")
            }
        }
        guard let input else { throw MongoError(.location(40077), "$reduce requires 'input' to be specified") }
        guard let initial else { throw MongoError(.location(40078), "$reduce requires 'initialValue' to be specified") }
        guard let body else { throw MongoError(.location(40079), "$reduce requires 'in' to be specified") }
        let parsedInput = try Expression.parse(input, in: &context)
        let parsedInitial = try Expression.parse(initial, in: &context)
        let outer = context.visibleVariables
        let valueSlot = context.declareUnchecked("value")
        let thisSlot = context.declareUnchecked("this")
        let parsedBody = try Expression.parse(body, in: &context)
        context.restore(outer)
        return .reduce(input: parsedInput, initial: parsedInitial, valueSlot: valueSlot, thisSlot: thisSlot, body: parsedBody)
    }

    static func parseSwitch(_ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> NamedExpression {
        guard case .document(let document) = argument else {
            throw MongoError(.location(40060), "$switch requires an object as an argument, found: \(ServerText.typeName(argument))")
        }
        var branches: [(condition: Expression, then: Expression)] = []
        var otherwise: Expression?
        for (key, value) in document.elements {
            switch key {
            case "branches":
                guard case .array(let list) = value else {
                    throw MongoError(.location(40061), "$switch expected an array for 'branches', found: \(ServerText.typeName(value))")
                }
                for branch in list {
                    guard case .document(let clauses) = branch else {
                        throw MongoError(.location(40062), "$switch expected each branch to be an object, found: \(ServerText.typeName(branch))")
                    }
                    var condition: Expression?
                    var then: Expression?
                    for (clause, clauseValue) in clauses.elements {
                        switch clause {
                        case "case": condition = try Expression.parse(clauseValue, in: &context)
                        case "then": then = try Expression.parse(clauseValue, in: &context)
                        default: throw MongoError(.location(40063), "$switch found an unknown argument to a branch: \(clause)")
                        }
                    }
                    guard let condition else { throw MongoError(.location(40064), "$switch requires each branch have a 'case' expression") }
                    guard let then else { throw MongoError(.location(40065), "$switch requires each branch have a 'then' expression.") }
                    branches.append((condition, then))
                }
            case "default":
                otherwise = try Expression.parse(value, in: &context)
            default:
                throw MongoError(.location(40067), "$switch found an unknown argument: \(key)")
            }
        }
        guard !branches.isEmpty else { throw MongoError(.location(40068), "$switch requires at least one branch.") }
        return .switch(branches: branches, otherwise: otherwise)
    }
}

/// A named-argument document being parsed: every key parsed as an expression, unknown keys
/// refused, required ones taken by name.
struct Arguments {
    private var parsed: [String: Expression] = [:]

    init(_ name: String, _ argument: BSONValue, allowed: Set<String>, notObject: (Int32, String),
         unknown: Int32 = 40518, _ context: inout ExpressionContext) throws(MongoError) {
        guard case .document(let document) = argument else {
            throw MongoError(.location(notObject.0), notObject.1.isEmpty ? "\(name) only supports an object as its argument" : notObject.1)
        }
        for (key, value) in document.elements {
            guard allowed.contains(key) else {
                throw MongoError(.location(unknown), "Unrecognized argument to \(name): \(key)")
            }
            parsed[key] = try Expression.parse(value, in: &context)
        }
    }

    /// The argument `key`, if given.
    mutating func take(_ key: String) -> Expression? {
        parsed.removeValue(forKey: key)
    }
}
