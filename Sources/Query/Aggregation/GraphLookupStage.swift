// GraphLookupStage: `$graphLookup` — a breadth-first search over another collection: each
// round queries `connectToField $in` the values found so far (so an index on it is used),
// follows `connectFromField`, stops at `maxDepth`, and never revisits a document.

internal import BSON
internal import Documents

/// `$graphLookup`.
struct GraphLookupSpec: Sendable {
    let from: String
    let startWith: Expression
    let connectFromField: [String]
    let connectToField: String
    let asField: [String]
    let maxDepth: Int?
    let depthField: [String]?
    let restrictSearchWithMatch: BSONDocument?

    /// Parses the stage with MongoDB's 40100–40105 and 40185 errors.
    init(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.location(40327), "the $graphLookup stage specification must be an object, but found \(ServerText.typeName(value))")
        }
        var from: String?
        var startWith: Expression?
        var connectFrom: String?
        var connectTo: String?
        var asField: String?
        var maxDepth: Int?
        var depthField: String?
        var restrict: BSONDocument?
        for (key, option) in spec.elements {
            switch key {
            case "startWith":
                startWith = try Expression.parse(option, in: &context)
                continue
            case "maxDepth":
                guard option.isNumeric else {
                    throw MongoError(.location(40100), "maxDepth must be numeric, found type: \(ServerText.typeName(option))")
                }
                let depth = ExpressionArithmetic.longValue(option)
                guard depth >= 0 else { throw MongoError(.location(40101), "maxDepth requires a nonnegative argument, found: \(depth)") }
                guard Double(depth) == ExpressionArithmetic.doubleValue(option) else {
                    throw MongoError(.location(40102), "maxDepth could not be represented as a long long: \(ServerText.value(option))")
                }
                maxDepth = Int(depth)
                continue
            case "restrictSearchWithMatch":
                guard case .document(let filter) = option else {
                    throw MongoError(.location(40185), "restrictSearchWithMatch must be an object, found \(ServerText.typeName(option))")
                }
                restrict = filter
                continue
            case "from", "as", "connectFromField", "depthField", "connectToField":
                break
            default:
                throw MongoError(.location(40104), "Unknown argument to $graphLookup: \(key)")
            }
            guard case .string(let text) = option else {
                throw MongoError(.location(40103), "expected string as argument for \(key), found: \(ServerText.value(option))")
            }
            switch key {
            case "from": from = text
            case "as": asField = text
            case "connectFromField": connectFrom = text
            case "connectToField": connectTo = text
            default: depthField = text
            }
        }
        guard let from, let startWith, let connectFrom, let connectTo, let asField else {
            throw MongoError(.location(40105), "must specify 'startWith', 'from', 'as', 'connectFromField', and 'connectToField' for a $graphLookup stage")
        }
        if let restrict { _ = try Filter(restrict) }
        self.from = from
        self.startWith = startWith
        self.connectFromField = try DocumentPaths.components(connectFrom)
        self.connectToField = connectTo
        self.asField = try DocumentPaths.components(asField)
        self.maxDepth = maxDepth
        self.depthField = try depthField.map { (name) throws(MongoError) -> [String] in try DocumentPaths.components(name) }
        self.restrictSearchWithMatch = restrict
    }

    /// The documents reachable from `document`, each with its depth when `depthField` is set.
    func search(from document: BSONDocument, runtime: PipelineRuntime) throws(MongoError) -> [BSONValue] {
        let foreign = try runtime.database.source(from, collator: runtime.scope.collator)
        var frontier = Self.flatten(try startWith.evaluate(runtime.scope(for: document)))
        var queried: Set<[UInt8]> = []
        var visited: Set<[UInt8]> = []
        var found: [BSONValue] = []
        var depth = 0
        var budget = MemoryBudget(stage: "$graphLookup", options: runtime.options)
        defer { runtime.peakMemory = max(runtime.peakMemory, budget.peak) }
        while !frontier.isEmpty && depth <= (maxDepth ?? Int.max) {
            var values: [BSONValue] = []
            for value in frontier where value.type != .regex && queried.insert(KeyEncoding.key(for: value)).inserted {
                values.append(value)
            }
            frontier = []
            guard !values.isEmpty else { break }
            var filter: BSONDocument = [connectToField: .document(["$in": .array(values)])]
            if let restrictSearchWithMatch { filter = ["$and": .array([.document(filter), .document(restrictSearchWithMatch)])] }
            let match = Stage.match(MatchSpec(spec: filter, filterSpec: filter, filter: try Filter(filter, collator: runtime.scope.collator),
                                                   expressions: []))
            let collector = CollectingSink()
            try foreign.collection.runNested(Pipeline(stages: foreign.viewStages + [match]), runtime: runtime,
                                             scope: runtime.scope, into: collector)
            for var match in collector.documents {
                guard visited.insert(KeyEncoding.key(for: match["_id"] ?? .null)).inserted else { continue }
                frontier += Self.flatten(DocumentPaths.value(at: connectFromField, in: match))
                if let depthField { match = DocumentPaths.setting(depthField[...], to: .int64(Int64(depth)), in: match) }
                try budget.charge(MemoryBudget.size(of: match))
                found.append(.document(match))
            }
            depth += 1
        }
        return found
    }

    /// The values to search for: each element of an array, none for a missing value.
    private static func flatten(_ value: BSONValue?) -> [BSONValue] {
        guard let value else { return [] }
        if case .array(let elements) = value { return elements }
        return [value]
    }
}
