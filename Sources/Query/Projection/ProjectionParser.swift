// ProjectionParser: turns a find projection specification into a ProjectionTree and decides
// whether it is an inclusion or an exclusion, following MongoDB 6/7's projection parser
// rule for rule (error codes 31249–31395, 51050, 51270, 5392900 and the `_id` defaults).

internal import BSON
internal import Documents

/// One pass over a projection specification.
struct ProjectionParser {
    /// The query the projection goes with (positional `$` needs one).
    let filter: Filter?

    private(set) var isInclusion: Bool?
    private(set) var hasPositional = false
    private var hasElemMatch = false
    private var hasFindSlice = false
    private var idSpecified = false
    private var idIncludedEntirely = false
    private var idExcludedEntirely = false

    init(filter: Filter?) {
        self.filter = filter
    }

    /// Parses `spec`; afterwards `isInclusion` is set.
    mutating func parse(_ spec: BSONDocument) throws(MongoError) -> ProjectionTree {
        var tree = ProjectionTree()
        for (key, value) in spec {
            if key == "_id" || key.hasPrefix("_id.") { idSpecified = true }
            try parseElement(key, value, parentPath: nil, into: &tree)
        }
        let inclusion = isInclusion ?? defaultIsInclusion()
        isInclusion = inclusion
        if !idSpecified && inclusion {
            try tree.add(.boolean(true), at: FieldPath(components: ["_id"]))
        }
        if !inclusion && idSpecified && idIncludedEntirely {
            tree.removeChild("_id")
        }
        return tree
    }

    /// MongoDB's `computeProjectionType` for specifications that did not decide by themselves.
    private func defaultIsInclusion() -> Bool {
        if hasFindSlice { return idIncludedEntirely }
        if hasElemMatch { return true }
        return idIncludedEntirely
    }

    private static func endsWithPositional(_ key: String) -> Bool { key.hasSuffix(".$") }

    private mutating func parseElement(
        _ key: String, _ value: BSONValue, parentPath: FieldPath?, into tree: inout ProjectionTree
    ) throws(MongoError) {
        let positional = Self.endsWithPositional(key)
        guard !key.contains(".$.") else {
            throw MongoError.location(
                31394,
                "As of 4.4, it's illegal to specify positional operator in the middle of a path.Positional projection may only be used at the end, for example: a.b.$. If the query previously used a form like a.b.$.d, remove the parts following the '$' and the results will be equivalent.")
        }
        switch value {
        case .document(let object):
            guard !positional else {
                throw MongoError.location(31271, "positional projection cannot be used with an expression or sub object")
            }
            try parseSubObject(key, object, parentPath: parentPath, into: &tree)
        case .bool, .int32, .int64, .double, .decimal128:
            if Self.isTrue(value) {
                try parseInclusion(key, parentPath: parentPath, into: &tree)
            } else {
                guard !positional else {
                    throw MongoError.location(31395, "positional projection cannot be used with exclusion")
                }
                try parseExclusion(key, isRoot: parentPath == nil, into: &tree)
            }
        default:
            guard !positional else {
                throw MongoError.location(31308, "positional projection cannot be used with a literal")
            }
            try parseLiteral(key, value, into: &tree)
        }
    }

    /// BSON truthiness of a Boolean or number (NaN is true).
    static func isTrue(_ value: BSONValue) -> Bool {
        switch value {
        case .bool(let b): b
        case .int32(let v): v != 0
        case .int64(let v): v != 0
        case .double(let v): v != 0
        case .decimal128(let d): d.isNaN || d.isInfinite || d.int64Value != 0
        default: true
        }
    }

    private mutating func parseInclusion(
        _ key: String, parentPath: FieldPath?, into tree: inout ProjectionTree
    ) throws(MongoError) {
        let isTopLevelId = key == "_id" && parentPath == nil
        if !Self.endsWithPositional(key) {
            try tree.add(.boolean(true), at: MongoPathRules.fieldPath(key))
            if isTopLevelId { idIncludedEntirely = true }
        } else {
            guard !hasPositional else {
                throw MongoError.location(31276, "Cannot specify more than one positional projection per query.")
            }
            guard !hasElemMatch else {
                throw MongoError.location(31256, "Cannot specify positional operator and $elemMatch.")
            }
            guard filter != nil else {
                throw MongoError.location(51050, "Projections with a positional operator require a matcher")
            }
            guard key != ".$" else {
                throw MongoError.location(5392900, "Projection on field \(key) is invalid")
            }
            try tree.add(.positional, at: MongoPathRules.fieldPath(String(key.dropLast(2))))
            hasPositional = true
        }
        if !isTopLevelId {
            guard isInclusion != false else {
                throw MongoError.location(31253, "Cannot do inclusion on field \(key) in exclusion projection")
            }
            isInclusion = true
        }
    }

    private mutating func parseExclusion(_ key: String, isRoot: Bool, into tree: inout ProjectionTree) throws(MongoError) {
        try tree.add(.boolean(false), at: MongoPathRules.fieldPath(key))
        if key == "_id" && isRoot {
            idExcludedEntirely = true
        } else {
            guard isInclusion != true else {
                throw MongoError.location(31254, "Cannot do exclusion on field \(key) in inclusion projection")
            }
            isInclusion = false
        }
    }

    private mutating func parseLiteral(_ key: String, _ value: BSONValue, into tree: inout ProjectionTree) throws(MongoError) {
        let expression = try ProjectionExpression.operand(value)
        try tree.add(.expression(expression), at: MongoPathRules.fieldPath(key))
        guard isInclusion != false else {
            throw MongoError.location(31310, "Cannot use an expression \(ShellText.element(key, value)) in an exclusion projection")
        }
        isInclusion = true
    }

    private mutating func parseSubObject(
        _ key: String, _ object: BSONDocument, parentPath: FieldPath?, into tree: inout ProjectionTree
    ) throws(MongoError) {
        guard let first = object.first else {
            throw MongoError.location(51270, "Invalid empty sub-projection: \(key)")
        }
        let path = try MongoPathRules.fieldPath(key)
        if object.count == 1 && first.key.hasPrefix("$") {
            if try parseSubObjectAsExpression(path, object, isRoot: parentPath == nil, into: &tree) { return }
            let name = Self.endsWithPositional(first.key) ? String(first.key.dropLast(2)) : first.key
            do {
                _ = try MongoPathRules.fieldPath(name)
            } catch {
                throw MongoError.location(31325, "Unknown expression \(first.key)")
            }
        }
        var inner: ProjectionTree
        if let existing = tree.innerTree(at: path.components[...]) {
            inner = existing
        } else {
            try tree.add(.path(ProjectionTree()), at: path)
            inner = ProjectionTree()
        }
        let fullPath = FieldPath(components: (parentPath?.components ?? []) + path.components)
        for (childKey, childValue) in object {
            try parseElement(childKey, childValue, parentPath: fullPath, into: &inner)
        }
        tree.replaceInnerTree(at: path.components[...], with: inner)
    }

    /// `{path: {$op: ...}}`: the find-only `$slice` and `$elemMatch`, or an aggregation
    /// expression. Returns `false` when `$op` names no expression (a sub-projection then).
    private mutating func parseSubObjectAsExpression(
        _ path: FieldPath, _ object: BSONDocument, isRoot: Bool, into tree: inout ProjectionTree
    ) throws(MongoError) -> Bool {
        guard let (name, argument) = object.first else { return false }
        switch name {
        case "$slice":
            let findError: MongoError
            do {
                try parseFindSlice(path, argument, into: &tree)
                return true
            } catch {
                findError = error
            }
            do {
                _ = try parseGenericExpression(path, name, argument, into: &tree)
            } catch {
                throw MongoError(
                    error.code,
                    "Invalid $slice syntax. The given syntax \(ShellText.document(object)) did not match the find() syntax because :: \(findError.code.name): \(findError.message) :: The given syntax did not match the expression $slice syntax. :: caused by :: \(error.message)")
            }
            return true
        case "$elemMatch":
            guard case .document = argument else {
                throw MongoError.location(31274, "elemMatch: Invalid argument, object required, but got \(argument.type.alias)")
            }
            guard !hasPositional else {
                throw MongoError.location(31255, "Cannot specify positional operator and $elemMatch.")
            }
            guard path.components.count == 1 && isRoot else {
                throw MongoError.location(31275, "Cannot use $elemMatch projection on a nested field.")
            }
            let filter = try Filter(BSONDocument([(path.dotted, .document(object))]))
            try tree.add(.expression(.elemMatch(field: path.dotted, filter: filter)), at: path)
            hasElemMatch = true
            return true
        default:
            return try parseGenericExpression(path, name, argument, into: &tree)
        }
    }

    /// The find `$slice` syntax: a number, or `[skip, limit]` with a positive limit.
    private mutating func parseFindSlice(_ path: FieldPath, _ argument: BSONValue, into tree: inout ProjectionTree) throws(MongoError) {
        if argument.isNumeric {
            try tree.add(.slice(skip: nil, limit: Self.safeInt(argument)), at: path)
        } else if case .array(let pair) = argument {
            guard pair.count == 2 else {
                throw MongoError.location(31272, "$slice array argument should be of form [skip, limit]")
            }
            guard pair[0].isNumeric else {
                throw MongoError.location(31257, "$slice expects the skip argument to be a number, got \(pair[0].type.alias)")
            }
            guard pair[1].isNumeric else {
                throw MongoError.location(31258, "$slice expects the limit argument to be a number, got \(pair[1].type.alias)")
            }
            let limit = Self.safeInt(pair[1])
            guard limit > 0 else {
                throw MongoError.location(31259, "$slice limit must be positive, got \(limit)")
            }
            try tree.add(.slice(skip: Self.safeInt(pair[0]), limit: limit), at: path)
        } else {
            throw MongoError.location(31273, "$slice only supports numbers and [skip, limit] arrays")
        }
        hasFindSlice = true
    }

    /// `{name: argument}` when `name` is an aggregation expression.
    private mutating func parseGenericExpression(
        _ path: FieldPath, _ name: String, _ argument: BSONValue, into tree: inout ProjectionTree
    ) throws(MongoError) -> Bool {
        guard ProjectionExpression.expressionNames.contains(name) else { return false }
        guard name != "$meta" else {
            // A find with `$text` serves its text score itself (TextSearch); here there is none.
            if argument.stringValue == "textScore" { throw TextScoreMetadata.unavailable }
            throw MongoError(MongoError.Code(238, "NotImplemented"), "$meta projections are not supported")
        }
        guard isInclusion != false else {
            throw MongoError.location(31252, "Cannot use expression other than $meta in exclusion projection")
        }
        if isInclusion == nil { isInclusion = true }
        let expression = try ProjectionExpression.named(name, argument)
        try tree.add(.expression(expression), at: path)
        return true
    }

    /// MongoDB's `safeNumberInt`: truncated toward zero, clamped to Int32, NaN as 0.
    static func safeInt(_ value: BSONValue) -> Int {
        let clamp = { (v: Int64) -> Int in Int(min(max(v, Int64(Int32.min)), Int64(Int32.max))) }
        switch value {
        case .int32(let v): return Int(v)
        case .int64(let v): return clamp(v)
        case .double(let v): return doubleToInt(v)
        case .decimal128(let d): return doubleToInt(d.doubleValue)
        default: return 0
        }
    }

    private static func doubleToInt(_ v: Double) -> Int {
        let long = ClientNumber.int64(saturating: v) ?? 0
        return Int(min(max(long, Int64(Int32.min)), Int64(Int32.max)))
    }
}
