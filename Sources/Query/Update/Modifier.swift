// Modifier: the leaf operations of an update ($set, $inc, $push, ...) — parsing each
// operator's argument with MongoDB's checks and messages, and what each does to an existing
// element or puts in a new one. Walking paths and creating fields is UpdateApplier's job.

internal import BSON
internal import Collation
internal import Documents

/// The operators an update document may use, by name.
enum UpdateOperator: String, Sendable, CaseIterable {
    case addToSet = "$addToSet"
    case bit = "$bit"
    case currentDate = "$currentDate"
    case inc = "$inc"
    case max = "$max"
    case min = "$min"
    case mul = "$mul"
    case pop = "$pop"
    case pull = "$pull"
    case pullAll = "$pullAll"
    case push = "$push"
    case rename = "$rename"
    case set = "$set"
    case setOnInsert = "$setOnInsert"
    case unset = "$unset"
}

/// A leaf of the update tree: what happens at the end of one path.
enum Modifier: Sendable {
    case set(BSONValue)
    case setOnInsert(BSONValue)
    case unset
    case inc(BSONValue)
    case mul(BSONValue)
    case min(BSONValue)
    case max(BSONValue)
    case currentDate(asTimestamp: Bool)
    case bit([BitStep])
    case push(PushSpec)
    case addToSet([BSONValue])
    case pop(fromFront: Bool)
    case pull(PullCondition)
    case pullAll([BSONValue])
    /// Sits at a `$rename`'s target and moves the source there.
    case rename(from: [String], fromDotted: String, toDotted: String)
    /// Sits at a `$rename`'s source so no other operator may touch it.
    case renameSource

    /// One `and`/`or`/`xor` of `$bit`.
    struct BitStep: Sendable {
        var operation: BitOperation
        var operand: BSONValue
    }

    /// `$push`'s value and its `$each`, `$slice`, `$sort` and `$position` clauses.
    struct PushSpec: Sendable {
        var values: [BSONValue]
        var slice: Int64?
        var sort: PushSort?
        var position: Int64?
    }

    /// `$push`'s `$sort`: whole elements, or by fields of the elements, each 1 or -1.
    enum PushSort: Sendable {
        case whole(descending: Bool)
        case fields([(path: [String], descending: Bool)])
    }

    /// `$pull`'s condition, as MongoDB's `PullNode` chooses its matcher.
    enum PullCondition: Sendable {
        /// A value or array: elements equal to it (MongoDB's comparison under the update's
        /// collation) go.
        case equality(BSONValue, Collator?)
        /// A document of field conditions: document elements matching it as a query go.
        case fields(Filter)
        /// An operator condition or a regex: elements `e` with `{x: e}` matching `{x: cond}`.
        case wrapped(Filter)
    }

    /// Parses one `field: argument` of operator `op`, as the node's `init` does in MongoDB,
    /// with the update's `collator` for the conditions and values it compares.
    init(_ op: UpdateOperator, path: String, argument: BSONValue, collator: Collator?) throws(MongoError) {
        switch op {
        case .set:
            self = .set(argument)
        case .setOnInsert:
            self = .setOnInsert(argument)
        case .unset:
            self = .unset
        case .inc, .mul:
            guard argument.isNumeric else {
                let verb = op == .inc ? "increment" : "multiply"
                throw MongoError(.typeMismatch,
                                 "Cannot \(verb) with non-numeric argument: {\(ValueText.element(path, argument))}")
            }
            self = op == .inc ? .inc(argument) : .mul(argument)
        case .min:
            self = .min(argument)
        case .max:
            self = .max(argument)
        case .currentDate:
            self = .currentDate(asTimestamp: try Self.currentDateType(argument))
        case .bit:
            self = .bit(try Self.bitSteps(argument))
        case .push:
            self = .push(try Self.pushSpec(argument))
        case .addToSet:
            self = .addToSet(try Self.addToSetValues(argument, collator: collator))
        case .pop:
            let count = try integerArgument(path, argument)
            guard count == 1 || count == -1 else {
                throw MongoError(.failedToParse, "$pop expects 1 or -1, found: \(count)")
            }
            self = .pop(fromFront: count == -1)
        case .pull:
            self = .pull(try Self.pullCondition(argument, collator: collator))
        case .pullAll:
            guard case .array(let values) = argument else {
                throw MongoError(.badValue, "$pullAll requires an array argument but was given a \(argument.type.alias)")
            }
            self = .pullAll(values)
        case .rename:
            guard case .string(let target) = argument else {
                throw MongoError(.badValue, "The 'to' field for $rename must be a string: \(ValueText.element(path, argument))")
            }
            self = try Self.rename(from: path, to: target)
        }
    }

    /// Whether the modifier creates the field when its path does not exist.
    var createsMissingField: Bool {
        switch self {
        case .unset, .pop, .pull, .pullAll, .renameSource: false
        default: true
        }
    }

    // MARK: - Argument parsing

    private static func currentDateType(_ argument: BSONValue) throws(MongoError) -> Bool {
        switch argument {
        case .bool:
            return false
        case .document(let options):
            var asTimestamp: Bool?
            for (name, value) in options.elements {
                guard name == "$type" else {
                    throw MongoError(.badValue, "Unrecognized $currentDate option: \(name)")
                }
                if case .string(let type) = value {
                    if type == "date" { asTimestamp = false } else if type == "timestamp" { asTimestamp = true }
                }
            }
            guard let asTimestamp else {
                throw MongoError(.badValue, "The '$type' string field is required to be 'date' or 'timestamp': "
                                 + "{$currentDate: {field : {$type: 'date'}}}")
            }
            return asTimestamp
        default:
            throw MongoError(.badValue, "\(argument.type.alias) is not valid type for $currentDate. Please use a "
                             + "boolean ('true') or a $type expression ({$type: 'timestamp/date'}).")
        }
    }

    private static func bitSteps(_ argument: BSONValue) throws(MongoError) -> [BitStep] {
        guard case .document(let operations) = argument else {
            throw MongoError(.badValue, "The $bit modifier is not compatible with a \(argument.type.alias). "
                             + "You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}")
        }
        var steps: [BitStep] = []
        for (name, operand) in operations.elements {
            let operation: BitOperation
            switch name {
            case "and": operation = .and
            case "or": operation = .or
            case "xor": operation = .xor
            default:
                throw MongoError(.badValue, "The $bit modifier only supports 'and', 'or', and 'xor', not '\(name)' "
                                 + "which is an unknown operator: {\(ValueText.element(name, operand))}")
            }
            guard operand.type == .int32 || operand.type == .int64 else {
                throw MongoError(.badValue, "The $bit modifier field must be an Integer(32/64 bit); a "
                                 + "'\(operand.type.alias)' is not supported here: {\(ValueText.element(name, operand))}")
            }
            steps.append(BitStep(operation: operation, operand: operand))
        }
        if steps.isEmpty {
            throw MongoError(.badValue, "You must pass in at least one bitwise operation. The format is: "
                             + "{$bit: {field: {and/or/xor: #}}")
        }
        return steps
    }

    private static func pushSpec(_ argument: BSONValue) throws(MongoError) -> PushSpec {
        guard case .document(let clauses) = argument, clauses.contains(key: "$each") else {
            return PushSpec(values: [argument])
        }
        let known = ["$each", "$slice", "$sort", "$position"]
        var seen: Set<String> = []
        for name in clauses.keys {
            guard known.contains(name) else {
                throw MongoError(.badValue, "Unrecognized clause in $push: \(name)")
            }
            guard seen.insert(name).inserted else {
                throw MongoError(.badValue, "Only one \(name) is supported.")
            }
        }
        guard case .array(let values) = clauses["$each"] else {
            let type = clauses["$each"]?.type.alias ?? "missing"
            throw MongoError(.badValue, "The argument to $each in $push must be an array but it was of type: \(type)")
        }
        var spec = PushSpec(values: values)
        if let slice = clauses["$slice"] {
            guard let value = try? integerArgument("$slice", slice) else {
                throw MongoError(.badValue, "The value for $slice must be an integer value but was given type: \(slice.type.alias)")
            }
            spec.slice = value
        }
        if let sort = clauses["$sort"] {
            spec.sort = try pushSort(sort)
        }
        if let position = clauses["$position"] {
            guard let value = try? integerArgument("$position", position) else {
                throw MongoError(.badValue, "The value for $position must be an integer value, not of type: \(position.type.alias)")
            }
            spec.position = value
        }
        return spec
    }

    private static func pushSort(_ sort: BSONValue) throws(MongoError) -> PushSort {
        if case .document(let pattern) = sort {
            if pattern.isEmpty {
                throw MongoError(.badValue, "The sort pattern is empty when it should be a set of fields.")
            }
            var fields: [(path: [String], descending: Bool)] = []
            for (name, direction) in pattern.elements {
                let order = direction.isNumeric ? (direction.doubleValue ?? numericDouble(direction)) : 0
                guard order == 1 || order == -1 else {
                    throw MongoError(.badValue, "The sort element value must be either 1 or -1")
                }
                if name.isEmpty {
                    throw MongoError(.badValue, "The sort field cannot be empty")
                }
                let components = UpdatePath.components(name)
                if components.contains(where: \.isEmpty) {
                    throw MongoError(.badValue, "The sort field is a dotted field but has an empty part: \(name)")
                }
                fields.append((components, order == -1))
            }
            return .fields(fields)
        }
        if sort.isNumeric {
            let order = sort.doubleValue ?? numericDouble(sort)
            guard order == 1 || order == -1 else {
                throw MongoError(.badValue, "The $sort element value must be either 1 or -1")
            }
            return .whole(descending: order == -1)
        }
        throw MongoError(.badValue, "The $sort is invalid: use 1/-1 to sort the whole element, "
                         + "or {field:1/-1} to sort embedded fields")
    }

    private static func numericDouble(_ value: BSONValue) -> Double {
        if case .decimal128(let decimal) = value { return decimal.doubleValue }
        return value.doubleValue ?? 0
    }

    private static func addToSetValues(_ argument: BSONValue, collator: Collator?) throws(MongoError) -> [BSONValue] {
        var values = [argument]
        if case .document(let clauses) = argument, let first = clauses.first, first.key == "$each" {
            guard case .array(let each) = first.value else {
                throw MongoError(.typeMismatch,
                                 "The argument to $each in $addToSet must be an array but it was of type \(first.value.type.alias)")
            }
            if clauses.count > 1 {
                throw MongoError(.badValue, "Found unexpected fields after $each in $addToSet: \(ValueText.document(clauses))")
            }
            values = each
        }
        // Duplicates among the values themselves (under the collation) are added once, first
        // occurrence first.
        var unique: [BSONValue] = []
        for value in values where !unique.contains(where: { BSONValue.compare($0, value, collator: collator) == 0 }) {
            unique.append(value)
        }
        return unique
    }

    /// MongoDB's `parsePathAcceptingKeyword`: query operators that apply to a path's value.
    private static let pathOperators: Set<String> = [
        "$all", "$bitsAllClear", "$bitsAllSet", "$bitsAnyClear", "$bitsAnySet", "$elemMatch", "$eq",
        "$exists", "$geoIntersects", "$geoWithin", "$gt", "$gte", "$in", "$lt", "$lte", "$mod", "$ne",
        "$near", "$nearSphere", "$nin", "$not", "$options", "$regex", "$size", "$type", "$within",
    ]

    private static func pullCondition(_ argument: BSONValue, collator: Collator?) throws(MongoError) -> PullCondition {
        switch argument {
        case .document(let condition):
            if let first = condition.first?.key, pathOperators.contains(first) {
                return .wrapped(try Filter(BSONDocument([(PullCondition.wrapperField, argument)]), collator: collator))
            }
            return .fields(try Filter(condition, collator: collator))
        case .regex:
            return .wrapped(try Filter(BSONDocument([(PullCondition.wrapperField, argument)]), collator: collator))
        default:
            return .equality(argument, collator)
        }
    }

    private static func rename(from source: String, to target: String) throws(MongoError) -> Modifier {
        if target.utf8.contains(0) {
            throw MongoError(.badValue, "The 'to' field for $rename cannot contain an embedded null byte")
        }
        let from = UpdatePath.components(source)
        let to = UpdatePath.components(target)
        let element = ValueText.element(source, .string(target))
        let same = { (a: String, b: String) in a.hasSameBytes(as: b) }
        if from.elementsEqual(to, by: same) {
            throw MongoError(.badValue, "The source and target field for $rename must differ: \(element)")
        }
        if from.starts(with: to, by: same) || to.starts(with: from, by: same) {
            throw MongoError(.badValue, "The source and target field for $rename must not be on the same path: \(element)")
        }
        func isDynamic(_ components: [String]) -> Bool {
            components.contains { $0 == "$" || UpdatePath.isArrayFilterIdentifier($0) }
        }
        if isDynamic(from) {
            throw MongoError(.badValue, "The source field for $rename may not be dynamic: \(source)")
        }
        if isDynamic(to) {
            throw MongoError(.badValue, "The destination field for $rename may not be dynamic: \(target)")
        }
        return .rename(from: from, fromDotted: source, toDotted: target)
    }
}

extension Modifier.PullCondition {
    /// The field a non-document array element is wrapped in to be matched as a query.
    static let wrapperField = "x"

    /// Whether `element` of the array goes.
    func removes(_ element: BSONValue) -> Bool {
        switch self {
        case .equality(let value, let collator):
            return BSONValue.compare(element, value, collator: collator) == 0
        case .fields(let filter):
            guard case .document(let document) = element else { return false }
            return filter.matches(document)
        case .wrapped(let filter):
            return filter.matches(BSONDocument([(Self.wrapperField, element)]))
        }
    }
}

/// MongoDB's `parseIntegerElementToLong` for `$pop`, `$slice` and `$position`: a number with
/// an integral value that fits in 64 bits.
func integerArgument(_ path: String, _ value: BSONValue) throws(MongoError) -> Int64 {
    let element = ValueText.element(path, value)
    switch value {
    case .int32(let v):
        return Int64(v)
    case .int64(let v):
        return v
    case .double(let d):
        if d.isNaN { throw MongoError(.failedToParse, "Expected an integer, but found NaN in: \(element)") }
        guard d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 else {
            throw MongoError(.failedToParse, "Cannot represent as a 64-bit integer: \(element)")
        }
        guard let integer = Int64(exactly: d) else {
            throw MongoError(.failedToParse, "Expected an integer: \(element)")
        }
        return integer
    case .decimal128(let d):
        if d.isNaN { throw MongoError(.failedToParse, "Expected an integer, but found NaN in: \(element)") }
        if let integer = d.int64Value { return integer }
        let asDouble = d.doubleValue
        if asDouble.isInfinite || asDouble >= 9_223_372_036_854_775_808.0 || asDouble < -9_223_372_036_854_775_808.0 {
            throw MongoError(.failedToParse, "Cannot represent as a 64-bit integer: \(element)")
        }
        throw MongoError(.failedToParse, "Expected an integer: \(element)")
    default:
        throw MongoError(.failedToParse, "Expected a number in: \(element)")
    }
}
