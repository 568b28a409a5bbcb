// Pipeline: an aggregation pipeline parsed and compiled once — each stage a Stage case with
// its filters, expressions, sort specs and accumulators already built, user variables
// resolved to slots — with MongoDB's parse errors (40323, 40324, 15955, ...).

internal import BSON
internal import Documents

/// One parsed stage.
indirect enum Stage: Sendable {
    case match(MatchSpec)
    case shape(DocumentShaper, name: String)
    case unset([[String]])
    case replaceRoot(Expression, name: String)
    case group(GroupSpec)
    case sort(SortSpec)
    case limit(Int)
    case skip(Int)
    case unwind(UnwindSpec)
    case count(String)
    case sortByCount(Expression)
    case bucket(BucketSpec)
    case facet([(name: String, pipeline: Pipeline)])
    case lookup(LookupSpec)
    case sample(Int)
    case unionWith(collection: String, pipeline: Pipeline)
    case documents([BSONDocument])
    case bucketAuto(BucketAutoSpec)
    case graphLookup(GraphLookupSpec)
    case densify(DensifySpec)
    case fill(FillSpec)
    case setWindowFields(WindowSpec)
    case merge(MergeSpec)
    case collStats(CollStatsSpec)
    case indexStats
    case redact(RedactSpec)
    /// `$geoNear` (first stage only; the planned head runs it: GeoNearStage.swift).
    case geoNear(GeoNearStageSpec)

    /// The stage's name as users write it, for explain and errors.
    var name: String {
        switch self {
        case .match: "$match"
        case .shape(_, let name), .replaceRoot(_, let name): name
        case .unset: "$unset"
        case .group: "$group"
        case .sort: "$sort"
        case .limit: "$limit"
        case .skip: "$skip"
        case .unwind: "$unwind"
        case .count: "$count"
        case .sortByCount: "$sortByCount"
        case .bucket: "$bucket"
        case .facet: "$facet"
        case .lookup: "$lookup"
        case .sample: "$sample"
        case .unionWith: "$unionWith"
        case .documents: "$documents"
        case .bucketAuto: "$bucketAuto"
        case .graphLookup: "$graphLookup"
        case .densify: "$densify"
        case .fill: "$fill"
        case .setWindowFields: "$setWindowFields"
        case .merge: "$merge"
        case .collStats: "$collStats"
        case .indexStats: "$indexStats"
        case .redact: "$redact"
        case .geoNear: "$geoNear"
        }
    }
}

/// `$match`: a filter, plus `$expr` clauses compiled with the pipeline's variables.
struct MatchSpec: Sendable {
    let spec: BSONDocument
    /// The filter without its top-level `$expr`s (these may read `$$variables`).
    let filterSpec: BSONDocument
    let filter: Filter
    let expressions: [Expression]
    /// A top-level `$text` (first stage only): `filterSpec` keeps it, `filter` is the rest.
    var hasText = false
    /// The stages after a first-stage `$text` match the text search runs (TextPipelineFold).
    var textFold: TextPipelineFold?
    /// The last pipeline stage (its position among the parsed stages) that reads `{$meta:
    /// "textScore"}` past the fold; the matches carry the score until then (TextScoreMetadata).
    var scoreReadUntil: Int?
}

/// `$group`.
struct GroupSpec: Sendable {
    let id: Expression
    let fields: [(name: String, accumulator: Accumulator)]
}

/// `$unwind`.
struct UnwindSpec: Sendable {
    let path: [String]
    let includeArrayIndex: [String]?
    let preserveNullAndEmptyArrays: Bool
}

/// `$bucket`.
struct BucketSpec: Sendable {
    let groupBy: Expression
    let boundaries: [BSONValue]
    let defaultBucket: BSONValue?
    let fields: [(name: String, accumulator: Accumulator)]
}

/// `$lookup`.
struct LookupSpec: Sendable {
    let from: String
    let localField: [String]?
    let foreignField: String?
    let letVariables: [(slot: Int, value: Expression)]
    let pipeline: Pipeline?
    let asField: [String]
}

/// A parsed pipeline.
struct Pipeline: Sendable {
    let stages: [Stage]

    /// Parses `stages` with the user variables `context` declares.
    init(_ stages: [BSONDocument], _ context: inout ExpressionContext, nested: Bool = false) throws(MongoError) {
        var parsed: [Stage] = []
        var folded = 0
        for (index, stage) in stages.enumerated() where index > folded || index == 0 {
            guard stage.count == 1, let first = stage.first else {
                throw MongoError(.location(40323), "A pipeline stage specification object must contain exactly one field.")
            }
            var parsedStage = try Self.parse(first.key, first.value, &context)
            if index == 0, case .match(var spec) = parsedStage, spec.hasText, spec.expressions.isEmpty {
                let fold = TextPipelineFold(stages.dropFirst())
                folded = fold.count
                spec.textFold = fold
                parsedStage = .match(spec)
            }
            if case .documents = parsedStage, index != 0 {
                throw MongoError(.location(40602), "$documents is only valid as the first stage in a pipeline")
            }
            try Self.checkPosition(parsedStage, index: index, count: stages.count)
            parsed.append(parsedStage)
        }
        if !nested {
            let textFirst = if case .match(let spec)? = parsed.first { spec.hasText } else { false }
            if let last = try TextScoreMetadata.check(stages, textFirst: textFirst, folded: folded),
               case .match(var spec)? = parsed.first {
                spec.scoreReadUntil = last - folded  // the folded stages are not among the parsed ones
                parsed[0] = .match(spec)
            }
        }
        self.stages = parsed
    }

    /// `$collStats`/`$indexStats` only first (40602), `$merge` only last (40601).
    static func checkPosition(_ stage: Stage, index: Int, count: Int) throws(MongoError) {
        switch stage {
        case .geoNear:
            if index != 0 { throw MongoError(.location(40603), "$geoNear was not the first stage in the pipeline.") }
        case .collStats, .indexStats:
            if index != 0 { throw MongoError(.location(40602), "\(stage.name) is only valid as the first stage in a pipeline") }
        case .merge:
            if index != count - 1 { throw MongoError(.location(40601), "$merge can only be the final stage in the pipeline") }
        case .match(let spec) where spec.hasText:
            if index != 0 { throw MongoError(.location(17313), "$match with $text is only allowed as the first pipeline stage") }
        default:
            break
        }
    }

    static func documentArgument(_ name: String, _ value: BSONValue, code: Int32) throws(MongoError) -> BSONDocument {
        guard case .document(let document) = value else {
            throw MongoError(.location(code), "\(name) specification must be an object, found \(ServerText.typeName(value))")
        }
        return document
    }

    static func parse(_ name: String, _ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> Stage {
        switch name {
        case "$match":
            guard case .document(let spec) = value else {
                throw MongoError(.location(15959), "the match filter must be an expression in an object")
            }
            var residual = BSONDocument()
            var expressions: [Expression] = []
            for (key, clause) in spec.elements {
                if key == "$expr" { expressions.append(try Expression.parse(clause, in: &context)) } else { residual.append(key, clause) }
            }
            if let (_, rest) = try TextQuery.extract(from: residual) {
                return .match(MatchSpec(spec: spec, filterSpec: residual, filter: try Filter(rest, collator: context.collator),
                                        expressions: expressions, hasText: true))
            }
            return .match(MatchSpec(spec: spec, filterSpec: residual, filter: try Filter(residual, collator: context.collator), expressions: expressions))
        case "$project":
            return .shape(try DocumentShaper.project(try documentArgument(name, value, code: 15969), &context), name: name)
        case "$addFields", "$set":
            return .shape(try DocumentShaper.addFields(try documentArgument(name, value, code: 40272), &context), name: name)
        case "$unset":
            var fields: [String] = []
            switch value {
            case .string(let field): fields = [field]
            case .array(let list):
                for element in list {
                    guard case .string(let field) = element else {
                        throw MongoError(.location(31120), "$unset specification must be a string or an array containing only string values")
                    }
                    fields.append(field)
                }
                if fields.isEmpty { throw MongoError(.location(31119), "$unset specification must be a string or an array with at least one field") }
            default:
                throw MongoError(.location(31002), "$unset specification must be a string or an array")
            }
            var paths: [[String]] = []
            for field in fields { paths.append(try DocumentPaths.components(field)) }
            return .unset(paths)
        case "$replaceRoot":
            let spec = try documentArgument(name, value, code: 40228)
            guard let newRoot = spec["newRoot"] else {
                throw MongoError(.location(40231), "no newRoot specified for the $replaceRoot stage")
            }
            for key in spec.keys where key != "newRoot" {
                throw MongoError(.location(40415), "BSON field '$replaceRoot.\(key)' is an unknown field.")
            }
            return .replaceRoot(try Expression.parse(newRoot, in: &context), name: name)
        case "$replaceWith":
            return .replaceRoot(try Expression.parse(value, in: &context), name: name)
        case "$group":
            guard case .document(let spec) = value else {
                throw MongoError(.location(15947), "a group's fields must be specified in an object")
            }
            var id: Expression?
            var fields: [(name: String, accumulator: Accumulator)] = []
            for (key, fieldValue) in spec.elements {
                if key == "_id" {
                    id = try Expression.parse(fieldValue, in: &context)
                    continue
                }
                if key.hasPrefix("$") { throw MongoError(.location(40236), "The field name '\(key)' cannot be an operator name") }
                if key.contains(".") { throw MongoError(.location(40235), "The field name '\(key)' cannot contain '.'") }
                fields.append((key, try Accumulator.parse(key, fieldValue, &context)))
            }
            guard let id else { throw MongoError(.location(15955), "a group specification must include an _id") }
            return .group(GroupSpec(id: id, fields: fields))
        case "$sort":
            guard case .document(let spec) = value else {
                throw MongoError(.location(15973), "the $sort key specification must be an object")
            }
            guard !spec.isEmpty else { throw MongoError(.location(15976), "$sort stage must have at least one sort key") }
            return .sort(try SortSpec(spec, collator: context.collator, textScore: true))
        case "$limit":
            guard value.isNumeric, let limit = value.int64Value ?? (value.type == .decimal128 ? ExpressionArithmetic.longValue(value) : nil) else {
                throw MongoError(.location(15957), "the limit must be specified as a number")
            }
            guard limit > 0 else { throw MongoError(.location(15958), "the limit must be positive") }
            return .limit(Int(limit))
        case "$skip":
            guard value.isNumeric, let skip = value.int64Value ?? (value.type == .decimal128 ? ExpressionArithmetic.longValue(value) : nil) else {
                throw MongoError(.location(15972), "Argument to $skip must be a number not a \(ServerText.typeName(value))")
            }
            guard skip >= 0 else { throw MongoError(.location(15956), "Argument to $skip cannot be negative") }
            return .skip(Int(skip))
        case "$unwind":
            return .unwind(try parseUnwind(value))
        case "$count":
            guard case .string(let field) = value else {
                throw MongoError(.location(40156), "the count field must be a non-empty string")
            }
            guard !field.isEmpty else { throw MongoError(.location(40157), "the count field must be a non-empty string") }
            guard !field.hasPrefix("$") else { throw MongoError(.location(40158), "the count field cannot be a $-prefixed path") }
            guard !field.contains(".") else { throw MongoError(.location(40160), "the count field cannot contain '.'") }
            return .count(field)
        case "$sortByCount":
            if case .document(let document) = value, !(document.first?.key.hasPrefix("$") ?? false) {
                throw MongoError(.location(40147), "the sortByCount field must be defined as a $-prefixed path or an expression")
            }
            if case .string(let path) = value, !path.hasPrefix("$") {
                throw MongoError(.location(40148), "the sortByCount field must be defined as a $-prefixed path or an expression")
            }
            if value.type != .string && value.type != .document {
                throw MongoError(.location(40149), "the sortByCount field must be specified as a string or as an object")
            }
            return .sortByCount(try Expression.parse(value, in: &context))
        case "$bucket":
            return .bucket(try parseBucket(value, &context))
        case "$facet":
            guard case .document(let spec) = value else {
                throw MongoError(.location(40169), "the $facet specification must be a non-empty object, but found: \(ServerText.value(value))")
            }
            guard !spec.isEmpty else { throw MongoError(.location(40169), "the $facet specification must be a non-empty object, but found: {}") }
            var facets: [(name: String, pipeline: Pipeline)] = []
            for (key, facetValue) in spec.elements {
                guard case .array(let stages) = facetValue else {
                    throw MongoError(.location(40170), "arguments to $facet must be arrays, \(key) is type \(ServerText.typeName(facetValue))")
                }
                var documents: [BSONDocument] = []
                for stage in stages {
                    guard case .document(let document) = stage else {
                        throw MongoError(.location(40171), "elements of arrays in $facet spec must be non-empty objects, \(key) argument contained an element of type \(ServerText.typeName(stage))")
                    }
                    if let stageName = document.first?.key, ["$facet", "$out", "$merge", "$collStats", "$indexStats"].contains(stageName) {
                        throw MongoError(.location(40600), "\(stageName) is not allowed to be used within a $facet stage")
                    }
                    documents.append(document)
                }
                facets.append((key, try Pipeline(documents, &context, nested: true)))
            }
            return .facet(facets)
        case "$lookup":
            return .lookup(try parseLookup(value, &context))
        case "$sample":
            guard case .document(let spec) = value else {
                throw MongoError(.location(28745), "the $sample stage specification must be an object")
            }
            var size: Int?
            for (key, option) in spec.elements {
                guard key == "size" else { throw MongoError(.location(28748), "unrecognized option to $sample: \(key)") }
                guard option.isNumeric else { throw MongoError(.location(28746), "size argument to $sample must be a number") }
                let long = ExpressionArithmetic.longValue(option)
                guard long >= 0 else { throw MongoError(.location(28747), "size argument to $sample must not be negative") }
                size = Int(long)
            }
            guard let size else { throw MongoError(.location(28749), "$sample stage must specify a size") }
            return .sample(size)
        case "$unionWith":
            var collection: String
            var stages: [BSONDocument] = []
            switch value {
            case .string(let name): collection = name
            case .document(let spec):
                guard case .string(let name)? = spec["coll"] else {
                    throw MongoError(.location(40414), "BSON field '$unionWith.coll' is missing but a required field")
                }
                collection = name
                if case .array(let list)? = spec["pipeline"] {
                    for element in list {
                        guard case .document(let document) = element else {
                            throw MongoError(.typeMismatch, "Each element of the 'pipeline' array must be an object")
                        }
                        stages.append(document)
                    }
                }
            default:
                throw MongoError(.location(ErrorCodeValue.unionWithSpec), "the $unionWith stage specification must be an object or string, but found \(ServerText.typeName(value))")
            }
            var inner = ExpressionContext()
            return .unionWith(collection: collection, pipeline: try Pipeline(stages, &inner, nested: true))
        case "$documents":
            let parsed = try Expression.parse(value, in: &context)
            guard case .array(let elements)? = try parsed.evaluate(ExpressionScope(root: .document(BSONDocument()), now: WallClock.now())) else {
                throw MongoError(.location(5_858_203), "an array is expected")
            }
            var documents: [BSONDocument] = []
            for element in elements {
                guard case .document(let document) = element else {
                    throw MongoError(.typeMismatch, "$documents must evaluate to an array of objects")
                }
                documents.append(document)
            }
            return .documents(documents)
        case "$bucketAuto": return .bucketAuto(try BucketAutoSpec(value, &context))
        case "$graphLookup": return .graphLookup(try GraphLookupSpec(value, &context))
        case "$densify": return .densify(try DensifySpec(value))
        case "$fill": return .fill(try FillSpec(value, &context))
        case "$setWindowFields": return .setWindowFields(try WindowSpec(value, &context))
        case "$merge": return .merge(try MergeSpec(value, &context))
        case "$collStats": return .collStats(try CollStatsSpec(value))
        case "$indexStats":
            try IndexStatsSpec.validate(value)
            return .indexStats
        case "$redact": return .redact(try RedactSpec(value, &context))
        case "$geoNear": return .geoNear(try GeoNearStageSpec(value))
        default:
            throw MongoError(.location(40324), "Unrecognized pipeline stage name: '\(name)'")
        }
    }

    static func parseUnwind(_ value: BSONValue) throws(MongoError) -> UnwindSpec {
        var path: String?
        var index: String?
        var preserve = false
        switch value {
        case .string(let string): path = string
        case .document(let spec):
            for (key, option) in spec.elements {
                switch key {
                case "path":
                    guard case .string(let string) = option else {
                        throw MongoError(.location(28808), "expected a string as the path for $unwind stage, got \(ServerText.typeName(option))")
                    }
                    path = string
                case "includeArrayIndex":
                    guard case .string(let string) = option else {
                        throw MongoError(.location(28810), "expected a non-empty string for the includeArrayIndex  option to $unwind stage, got \(ServerText.typeName(option))")
                    }
                    guard !string.isEmpty, !string.hasPrefix("$") else {
                        throw MongoError(.location(28822), "includeArrayIndex option to $unwind stage should not be prefixed with a '$': \(string)")
                    }
                    index = string
                case "preserveNullAndEmptyArrays":
                    guard case .bool(let bool) = option else {
                        throw MongoError(.location(28809), "expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got \(ServerText.typeName(option))")
                    }
                    preserve = bool
                default:
                    throw MongoError(.location(28811), "unrecognized option to $unwind stage: \(key)")
                }
            }
        default:
            throw MongoError(.location(15981), "expected either a string or an object as specification for $unwind stage, got \(ServerText.typeName(value))")
        }
        guard let path else { throw MongoError(.location(28812), "no path specified to $unwind stage") }
        guard path.hasPrefix("$"), path.count > 1 else {
            throw MongoError(.location(28818), "path option to $unwind stage should be prefixed with a '$': \(path)")
        }
        return UnwindSpec(path: try DocumentPaths.components(String(path.dropFirst())),
                          includeArrayIndex: try index.map { (name) throws(MongoError) -> [String] in try DocumentPaths.components(name) },
                          preserveNullAndEmptyArrays: preserve)
    }

    static func parseBucket(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> BucketSpec {
        guard case .document(let spec) = value else {
            throw MongoError(.location(40201), "Argument to $bucket stage must be an object, but found type: \(ServerText.typeName(value)).")
        }
        var groupBy: Expression?
        var boundaries: [BSONValue]?
        var defaultBucket: BSONValue?
        var fields: [(name: String, accumulator: Accumulator)] = []
        for (key, option) in spec.elements {
            switch key {
            case "groupBy":
                if case .string(let path) = option, !path.hasPrefix("$") {
                    throw MongoError(.location(40202), "The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression, but found: \(ServerText.value(option)).")
                }
                groupBy = try Expression.parse(option, in: &context)
            case "boundaries":
                guard case .array(let list) = option else {
                    throw MongoError(.location(40200), "The $bucket 'boundaries' field must be an array, but found type: \(ServerText.typeName(option)).")
                }
                boundaries = list
            case "default": defaultBucket = option
            case "output":
                guard case .document(let output) = option else {
                    throw MongoError(.location(40196), "The $bucket 'output' field must be an object, but found type: \(ServerText.typeName(option)).")
                }
                for (name, accumulatorValue) in output.elements {
                    fields.append((name, try Accumulator.parse(name, accumulatorValue, &context)))
                }
            default:
                throw MongoError(.location(40197), "Unrecognized option to $bucket: \(key).")
            }
        }
        guard let groupBy, let boundaries else {
            throw MongoError(.location(40198), "$bucket requires 'groupBy' and 'boundaries' to be specified.")
        }
        guard boundaries.count >= 2 else {
            throw MongoError(.location(40192), "The $bucket 'boundaries' field must have at least 2 values, but found \(boundaries.count) value(s).")
        }
        for (lower, upper) in zip(boundaries, boundaries.dropFirst()) {
            let sameType = lower.type == upper.type || (lower.isNumeric && upper.isNumeric)
            guard sameType else {
                throw MongoError(.location(40193), "All values in the the 'boundaries' option to $bucket must have the same type. Found conflicting types \(lower.type.alias) and \(upper.type.alias).")
            }
            guard BSONValue.compare(lower, upper) < 0 else {
                throw MongoError(.location(40194), "The 'boundaries' option to $bucket must be sorted in ascending order, but elements \(ServerText.value(lower)) and \(ServerText.value(upper)) are not in ascending order.")
            }
        }
        if let defaultBucket, let first = boundaries.first, let last = boundaries.last {
            let comparable = defaultBucket.type == first.type || (defaultBucket.isNumeric && first.isNumeric)
            if comparable && BSONValue.compare(defaultBucket, first) >= 0 && BSONValue.compare(defaultBucket, last) < 0 {
                throw MongoError(.location(40199), "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.")
            }
        }
        if fields.isEmpty {
            fields = [("count", try Accumulator.parse("count", .document(["$sum": .int32(1)]), &context))]
        }
        return BucketSpec(groupBy: groupBy, boundaries: boundaries, defaultBucket: defaultBucket, fields: fields)
    }

    static func parseLookup(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> LookupSpec {
        guard case .document(let spec) = value else {
            throw MongoError(.location(9), "the $lookup specification must be an Object, but found \(ServerText.typeName(value))")
        }
        var from: String?
        var localField: String?
        var foreignField: String?
        var asField: String?
        var letSpec: BSONDocument?
        var stages: [BSONDocument]?
        for (key, option) in spec.elements {
            switch key {
            case "from":
                guard case .string(let name) = option else {
                    throw MongoError(.failedToParse, "$lookup 'from' field must be a string, but found \(ServerText.typeName(option))")
                }
                from = name
            case "localField", "foreignField", "as":
                guard case .string(let text) = option else {
                    throw MongoError(.failedToParse, "$lookup argument '\(key): \(ServerText.value(option))' must be a string, found \(ServerText.value(option)): \(ServerText.typeName(option))")
                }
                if key == "localField" { localField = text } else if key == "foreignField" { foreignField = text } else { asField = text }
            case "let":
                guard case .document(let document) = option else {
                    throw MongoError(.failedToParse, "$lookup argument 'let' must be an object, is type \(ServerText.typeName(option))")
                }
                letSpec = document
            case "pipeline":
                guard case .array(let list) = option else {
                    throw MongoError(.failedToParse, "$lookup argument 'pipeline' must be an array, is type \(ServerText.typeName(option))")
                }
                var documents: [BSONDocument] = []
                for element in list {
                    guard case .document(let document) = element else {
                        throw MongoError(.failedToParse, "$lookup argument 'pipeline' must be an array of objects")
                    }
                    documents.append(document)
                }
                stages = documents
            default:
                throw MongoError(.failedToParse, "unknown argument to $lookup: \(key)")
            }
        }
        guard let asField else { throw MongoError(.failedToParse, "must specify 'as' field for a $lookup") }
        guard let from else { throw MongoError(.failedToParse, "must specify 'from' field for a $lookup") }
        if stages == nil && (localField == nil || foreignField == nil) {
            throw MongoError(.failedToParse, "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified")
        }
        if (localField == nil) != (foreignField == nil) {
            throw MongoError(.failedToParse, "$lookup requires both or neither of 'localField' and 'foreignField' to be specified")
        }
        if letSpec != nil && stages == nil {
            throw MongoError(.failedToParse, "$lookup with 'let' must also specify 'pipeline'")
        }
        var bindings: [(slot: Int, value: Expression)] = []
        var pipeline: Pipeline?
        if let stages {
            var inner = context
            var values: [(String, Expression)] = []
            for (name, expression) in (letSpec ?? BSONDocument()).elements {
                values.append((name, try Expression.parse(expression, in: &context)))
            }
            inner = context
            for (name, expression) in values { bindings.append((try inner.declare(name), expression)) }
            pipeline = try Pipeline(stages, &inner, nested: true)
            // Keep slot numbering shared so outer and inner slots never collide.
            while context.slotCount < inner.slotCount { _ = context.declareUnchecked("$$lookup\(context.slotCount)") }
            context.restore(context.visibleVariables.filter { !$0.key.hasPrefix("$$") })
        }
        return LookupSpec(from: from, localField: try localField.map { (path) throws(MongoError) -> [String] in try DocumentPaths.components(path) },
                          foreignField: foreignField, letVariables: bindings, pipeline: pipeline,
                          asField: try DocumentPaths.components(asField))
    }
}

/// Codes used in more than one place.
enum ErrorCodeValue {
    static let unionWithSpec: Int32 = 40_620
}
