// FilterParser: turns a filter document into a FilterNode tree with MongoDB's parsing rules
// (expression documents, DBRefs, regex literals, `$options` anywhere beside `$regex`, the
// `$elemMatch` object/value split) and MongoDB's error codes and messages. Runs once per
// filter; matching never looks at the BSON spec again.

internal import BSON
internal import Documents

/// Parses query filters.
struct FilterParser {
    /// Where in the filter the parser is, which decides whether `$expr` and friends apply.
    enum Level {
        /// The filter itself.
        case top
        /// The operators of a path at the top (`{a: {$gt: 1}}`).
        case document
        /// Inside `$elemMatch`: matched against array elements, not whole documents.
        case subDocument
    }

    /// The operators that apply to the whole document rather than to a path.
    static let pathlessOperators: Set<String> = [
        "$and", "$or", "$nor", "$comment", "$expr", "$alwaysTrue", "$alwaysFalse", "$where",
        "$text", "$jsonSchema", "$ref", "$id", "$db", "$sampleRate",
    ]

    /// The operators MongoDB accepts on a path (its `queryOperatorMap`), `$not` aside.
    static let pathOperators: Set<String> = [
        "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$all", "$size", "$exists",
        "$type", "$mod", "$regex", "$options", "$elemMatch", "$bitsAllSet", "$bitsAnySet",
        "$bitsAllClear", "$bitsAnyClear", "$near", "$nearSphere", "$geoNear", "$within",
        "$geoWithin", "$geoIntersects",
    ]

    /// Parses a whole filter.
    static func parse(_ spec: BSONDocument) throws(MongoError) -> FilterNode {
        try parseDocument(spec, level: .top)
    }

    // MARK: - Documents

    /// Parses a document of conditions joined by AND.
    static func parseDocument(_ document: BSONDocument, level: Level) throws(MongoError) -> FilterNode {
        var children: [FilterNode] = []
        let pathLevel: Level = level == .top ? .document : level
        for (key, value) in document.elements {
            if key.utf8.first == UInt8(ascii: "$") {
                if let node = try parsePathless(key, value, level: level) { children.append(node) }
                continue
            }
            let path = FieldPath(unvalidated: key)
            if isExpressionDocument(value, allowIncompleteDBRef: false), case .document(let operators) = value {
                children.append(.path(path, try parseOperators(key, operators, level: pathLevel)))
            } else if case .regex(let regex) = value {
                children.append(.path(path, .regex(try FilterRegex(regex))))
            } else {
                try checkComparable(value)
                children.append(.path(path, .equal(value)))
            }
        }
        switch children.count {
        case 0: return .constant(true)
        case 1: return children[0]
        default: return .and(children)
        }
    }

    /// Parses a `$`-prefixed key at document level; `nil` for `$comment`.
    static func parsePathless(_ key: String, _ value: BSONValue, level: Level) throws(MongoError) -> FilterNode? {
        switch key {
        case "$and", "$or", "$nor":
            guard case .array(let elements) = value else {
                throw MongoError(.badValue, "\(key) must be an array")
            }
            guard !elements.isEmpty else {
                throw MongoError(.badValue, "$and/$or/$nor must be a nonempty array")
            }
            var children: [FilterNode] = []
            children.reserveCapacity(elements.count)
            for element in elements {
                guard case .document(let clause) = element else {
                    throw MongoError(.badValue, "$or/$and/$nor entries need to be full objects")
                }
                children.append(try parseDocument(clause, level: level))
            }
            switch key {
            case "$and": return .and(children)
            case "$or": return .or(children)
            default: return .nor(children)
            }
        case "$comment":
            return nil
        case "$expr":
            if level == .subDocument {
                throw MongoError(.badValue, "$expr can only be applied to the top-level document")
            }
            return .expr(try Expression.parse(value))
        case "$alwaysTrue", "$alwaysFalse":
            let number = try IntegerArgument.long(key, value).get()
            guard number == 1 else {
                throw MongoError(.failedToParse, "\(key) must be an integer value of 1")
            }
            return .constant(key == "$alwaysTrue")
        case "$ref", "$id", "$db":
            try checkComparable(value)
            return .path(FieldPath(components: [key]), .equal(value))
        case "$where":
            throw MongoError(.badValue, "$where is not allowed in this context")
        case "$text":
            if level == .subDocument {
                throw MongoError(.badValue, "$text can only be applied to the top-level document")
            }
            throw MongoError(.badValue, "$text is not allowed in this context")
        case "$jsonSchema":
            if level == .subDocument {
                throw MongoError(.badValue, "$jsonSchema can only be applied to the top-level document")
            }
            guard case .document(let schema) = value else {
                throw MongoError(.typeMismatch, "$jsonSchema must be an object")
            }
            return .jsonSchema(try JSONSchema(schema))
        case "$not":
            throw MongoError(.badValue, "unknown top level operator: $not. If you are trying to negate an entire expression, use $nor.")
        default:
            throw MongoError(
                .badValue,
                "unknown top level operator: \(key). If you have a field name that starts with a '$' symbol, consider using $getField or $setField."
            )
        }
    }

    // MARK: - Operators on a path

    /// Parses the operator document of a path (`{$gt: 1, $lt: 5}`). `name` is the path as
    /// written, which some messages quote.
    static func parseOperators(_ name: String, _ operators: BSONDocument, level: Level) throws(MongoError) -> PathPredicate {
        if level == .document, GeoNearRules.isNear(operators) { return .near(try NearPredicate.parse(operators)) }
        var predicates: [PathPredicate] = []
        for (key, value) in operators.elements {
            if let predicate = try parseOperator(name, key, value, context: operators, level: level) {
                predicates.append(predicate)
            }
        }
        return predicates.count == 1 ? predicates[0] : .and(predicates)
    }

    /// Parses one operator; `nil` for `$options`, which its `$regex` sibling reads.
    static func parseOperator(
        _ name: String, _ key: String, _ value: BSONValue, context: BSONDocument, level: Level
    ) throws(MongoError) -> PathPredicate? {
        if key == "$not" { return try parseNot(name, value, level: level) }
        guard pathOperators.contains(key) else {
            if key == "$where" { throw MongoError(.badValue, "$where cannot be applied to a field") }
            throw MongoError(.badValue, "unknown operator: \(key)")
        }
        switch key {
        case "$eq":
            try checkComparable(value)
            return .equal(value)
        case "$ne":
            if case .regex = value { throw MongoError(.badValue, "Can't have regex as arg to $ne.") }
            try checkComparable(value)
            return .notEqual(value)
        case "$gt", "$gte", "$lt", "$lte":
            if case .regex = value {
                throw MongoError(.badValue, "Can't have RegEx as arg to predicate over field '\(name)'.")
            }
            try checkComparable(value)
            switch key {
            case "$gt": return .greaterThan(value)
            case "$gte": return .greaterThanOrEqual(value)
            case "$lt": return .lessThan(value)
            default: return .lessThanOrEqual(value)
            }
        case "$in", "$nin":
            guard case .array(let elements) = value else {
                throw MongoError(.badValue, "\(key) needs an array")
            }
            let (values, regexes) = try parseInList(elements)
            if key == "$nin" { return .notIn(values, regexes) }
            return regexes.isEmpty ? .in(values) : .inWithRegexes(values, regexes)
        case "$size":
            switch IntegerArgument.nonNegativeInt(key, value) {
            case .success(let size): return .size(size)
            case .failure(let error): throw MongoError(.badValue, "Failed to parse $size. \(error.message)")
            }
        case "$exists":
            return .exists(isTruthy(value))
        case "$type":
            let types = try parseTypeSet(value)
            if types.isEmpty { throw MongoError(.failedToParse, "\(name) must match at least one type") }
            return .type(types)
        case "$mod":
            return try parseMod(value)
        case "$options":
            if context.contains(key: "$regex") { return nil }
            throw MongoError(.badValue, "$options needs a $regex")
        case "$regex":
            return try parseRegexDocument(context)
        case "$elemMatch":
            return try parseElemMatch(value)
        case "$all":
            return try parseAll(value)
        case "$bitsAllSet", "$bitsAnySet", "$bitsAllClear", "$bitsAnyClear":
            let test = try parseBitTest(name, key, value)
            switch key {
            case "$bitsAllSet": return .bitsAllSet(test)
            case "$bitsAnySet": return .bitsAnySet(test)
            case "$bitsAllClear": return .bitsAllClear(test)
            default: return .bitsAnyClear(test)
            }
        case "$geoWithin", "$within", "$geoIntersects":
            return .geo(try GeoPredicate.parse(key, value))
        default:
            throw MongoError(.badValue, "\(key) is not supported")
        }
    }

    /// `$not`: a regex, or an operator document whose conjunction it negates.
    static func parseNot(_ name: String, _ value: BSONValue, level: Level) throws(MongoError) -> PathPredicate {
        if case .regex(let regex) = value { return .not(.regex(try FilterRegex(regex))) }
        guard case .document(let operators) = value else {
            throw MongoError(.badValue, "$not needs a regex or a document")
        }
        guard !operators.isEmpty else { throw MongoError(.badValue, "$not cannot be empty") }
        return .not(try parseOperators(name, operators, level: level))
    }

    /// The elements of `$in`/`$nin`: values sorted and deduplicated, and regexes.
    static func parseInList(_ elements: [BSONValue]) throws(MongoError) -> ([BSONValue], [FilterRegex]) {
        var values: [BSONValue] = []
        var regexes: [FilterRegex] = []
        for element in elements {
            if isExpressionDocument(element, allowIncompleteDBRef: false) {
                throw MongoError(.badValue, "cannot nest $ under $in")
            }
            if case .regex(let regex) = element {
                regexes.append(try FilterRegex(regex))
            } else {
                values.append(element)
            }
        }
        if values.contains(where: { if case .undefined = $0 { true } else { false } }) {
            throw MongoError(.badValue, "InMatchExpression equality cannot be undefined")
        }
        return (sortedUnique(values), regexes)
    }

    /// Values in MongoDB's order, keeping the first of each run that compares equal.
    static func sortedUnique(_ values: [BSONValue]) -> [BSONValue] {
        let sorted = values.sorted { BSONValue.compare($0, $1) < 0 }
        var unique: [BSONValue] = []
        unique.reserveCapacity(sorted.count)
        for value in sorted where unique.last.map({ BSONValue.compare($0, value) != 0 }) ?? true {
            unique.append(value)
        }
        return unique
    }

    /// `$type`: one code or alias, or an array of them.
    static func parseTypeSet(_ value: BSONValue) throws(MongoError) -> MatcherTypeSet {
        var types = MatcherTypeSet()
        if case .array(let elements) = value {
            for element in elements { try addType(element, to: &types) }
        } else {
            try addType(value, to: &types)
        }
        return types
    }

    static func addType(_ value: BSONValue, to types: inout MatcherTypeSet) throws(MongoError) {
        switch value {
        case .string(let alias):
            if alias == "number" {
                types.allNumbers = true
            } else if let type = BSONType.allCases.first(where: { $0.alias == alias }) {
                types.types.insert(type)
            } else if alias == "missing" {
                throw MongoError(.badValue, "'missing' is not a legal type name. To query for non-existence of a field, use {$exists:false}.")
            } else {
                throw MongoError(.badValue, "Unknown type name alias: \(alias)")
            }
        case .int32, .int64, .double, .decimal128:
            let shown = ServerText.shortDouble(numberAsDouble(value))
            guard case .success(let code) = IntegerArgument.int("", value) else {
                throw MongoError(.badValue, "Invalid numerical type code: \(shown)")
            }
            if code == 0 {
                throw MongoError(.badValue, "Invalid numerical type code: \(shown). Instead use {$exists:false}.")
            }
            let type: BSONType? = switch code {
            case -1: .minKey
            case 127: .maxKey
            case 1...19: BSONType(rawValue: UInt8(code))
            default: nil
            }
            guard let type else { throw MongoError(.badValue, "Invalid numerical type code: \(shown)") }
            types.types.insert(type)
        default:
            throw MongoError(.typeMismatch, "type must be represented as a number or a string")
        }
    }

    /// `$mod: [divisor, remainder]`.
    static func parseMod(_ value: BSONValue) throws(MongoError) -> PathPredicate {
        guard case .array(let elements) = value else {
            throw MongoError(.badValue, "malformed mod, needs to be an array")
        }
        guard elements.count >= 1 else { throw MongoError(.badValue, "malformed mod, not enough elements") }
        guard elements[0].isNumeric else { throw MongoError(.badValue, "malformed mod, divisor not a number") }
        guard elements.count >= 2 else { throw MongoError(.badValue, "malformed mod, not enough elements") }
        guard elements[1].isNumeric else { throw MongoError(.badValue, "malformed mod, remainder not a number") }
        guard elements.count == 2 else { throw MongoError(.badValue, "malformed mod, too many elements") }
        let divisor: Int64
        switch IntegerArgument.coerce(elements[0]) {
        case .success(let number): divisor = number
        case .failure(let error):
            throw MongoError(.badValue, "malformed mod, divisor value is invalid :: caused by :: \(error.message)")
        }
        let remainder: Int64
        switch IntegerArgument.coerce(elements[1]) {
        case .success(let number): remainder = number
        case .failure(let error):
            throw MongoError(.badValue, "malformed mod, remainder value is invalid :: caused by :: \(error.message)")
        }
        guard divisor != 0 else { throw MongoError(.badValue, "divisor cannot be 0") }
        return .mod(divisor: divisor, remainder: remainder)
    }

    /// `$regex` with an optional `$options` beside it (either order), or a regex literal with
    /// flags.
    static func parseRegexDocument(_ context: BSONDocument) throws(MongoError) -> PathPredicate {
        var pattern = ""
        var options = ""
        for (key, value) in context.elements {
            if key == "$regex" {
                switch value {
                case .string(let string):
                    pattern = string
                case .regex(let regex):
                    pattern = regex.pattern
                    if !regex.options.isEmpty {
                        if !options.isEmpty {
                            throw MongoError(.location(51074), "options set in both $regex and $options")
                        }
                        options = regex.options
                    }
                default:
                    throw MongoError(.badValue, "$regex has to be a string")
                }
            } else if key == "$options" {
                guard case .string(let string) = value else {
                    throw MongoError(.badValue, "$options has to be a string")
                }
                if !options.isEmpty {
                    throw MongoError(.location(51075), "options set in both $regex and $options")
                }
                options = string
            }
        }
        return .regex(try FilterRegex(pattern: pattern, options: options))
    }

    /// `$elemMatch`: the value form when its document starts with a path operator, the
    /// object form (a whole filter per element) otherwise.
    static func parseElemMatch(_ value: BSONValue) throws(MongoError) -> PathPredicate {
        guard case .document(let document) = value else {
            throw MongoError(.badValue, "$elemMatch needs an Object")
        }
        if isExpressionDocument(value, allowIncompleteDBRef: true),
           let first = document.elements.first?.key, !pathlessOperators.contains(first) {
            var predicates: [PathPredicate] = []
            for (key, operand) in document.elements {
                if let predicate = try parseOperator("", key, operand, context: document, level: .subDocument) {
                    predicates.append(predicate)
                }
            }
            return .elemMatchValue(predicates)
        }
        return .elemMatchObject(try parseDocument(document, level: .subDocument))
    }

    /// `$all`: equalities and regexes, or `$elemMatch` clauses only.
    static func parseAll(_ value: BSONValue) throws(MongoError) -> PathPredicate {
        guard case .array(let elements) = value else {
            throw MongoError(.badValue, "$all needs an array")
        }
        if case .document(let first)? = elements.first, first.elements.first?.key == "$elemMatch" {
            var clauses: [PathPredicate] = []
            for element in elements {
                guard case .document(let clause) = element, let head = clause.elements.first, head.key == "$elemMatch" else {
                    throw MongoError(.badValue, "$all/$elemMatch has to be consistent")
                }
                clauses.append(try parseElemMatch(head.value))
            }
            return .all(clauses)
        }
        var items: [PathPredicate] = []
        for element in elements {
            switch element {
            case .regex(let regex):
                items.append(.regex(try FilterRegex(regex)))
            case .document(let document) where document.elements.first.map({ pathOperators.contains($0.key) }) ?? false:
                throw MongoError(.badValue, "no $ expressions in $all")
            default:
                try checkComparable(element)
                items.append(.equal(element))
            }
        }
        return .all(items)
    }

    /// `$bitsAllSet` and friends: bit positions, a non-negative mask, or BinData.
    static func parseBitTest(_ name: String, _ key: String, _ value: BSONValue) throws(MongoError) -> BitTest {
        switch value {
        case .array(let elements):
            var positions: [Int] = []
            for (index, element) in elements.enumerated() {
                switch IntegerArgument.nonNegativeInt(String(index), element) {
                case .success(let position): positions.append(position)
                case .failure(let error):
                    throw MongoError(.badValue, "Failed to parse bit position. \(error.message)")
                }
            }
            return BitTest(positions: positions)
        case .int32, .int64, .double, .decimal128:
            let mask = try IntegerArgument.nonNegativeLong(key, value).get()
            return BitTest(mask: UInt64(mask))
        case .binary(let binary):
            return BitTest(bytes: binary.bytes)
        default:
            throw MongoError(
                .badValue,
                "\(name) takes an Array, a number, or a BinData but received: \(ServerText.element(key, value, full: false))"
            )
        }
    }

    // MARK: - Helpers

    /// MongoDB's `isExpressionDocument`: a non-empty document whose first key starts with `$`
    /// and that is not a DBRef (`$ref` and `$id`, or with `allowIncompleteDBRef` any of
    /// `$ref`, `$id`, `$db`).
    static func isExpressionDocument(_ value: BSONValue, allowIncompleteDBRef: Bool) -> Bool {
        guard case .document(let document) = value, let first = document.elements.first,
              first.key.utf8.first == UInt8(ascii: "$") else { return false }
        var hasRef = false
        var hasID = false
        var hasDB = false
        for element in document.elements {
            switch element.key {
            case "$ref": hasRef = true
            case "$id": hasID = true
            case "$db": hasDB = true
            default: break
            }
        }
        let isDBRef = allowIncompleteDBRef ? (hasRef || hasID || hasDB) : (hasRef && hasID)
        return !isDBRef
    }

    /// Comparisons reject `undefined` as their argument.
    static func checkComparable(_ value: BSONValue) throws(MongoError) {
        if case .undefined = value { throw MongoError(.badValue, "cannot compare to undefined") }
    }

    /// `BSONElement::trueValue`: false for false, null, undefined and numeric zero.
    static func isTruthy(_ value: BSONValue) -> Bool {
        switch value {
        case .bool(let bool): return bool
        case .null, .undefined: return false
        case .int32(let int): return int != 0
        case .int64(let long): return long != 0
        case .double(let double): return double != 0
        case .decimal128(let decimal): return !DecimalArithmetic.isZero(decimal)
        default: return true
        }
    }

    static func numberAsDouble(_ value: BSONValue) -> Double {
        switch value {
        case .decimal128(let decimal): return decimal.doubleValue
        default: return value.doubleValue ?? 0
        }
    }
}
