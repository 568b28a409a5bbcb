// AggregatePipeline: the aggregation stages Tessera runs until the aggregation issue lands.
// The leading $match/$sort/$skip/$limit/$project run as one planned find (indexes apply);
// later stages run in memory. Any other stage fails with MongoDB's 40324.

import BSON
import Documents
import Query

/// A parsed pipeline over one collection.
struct AggregatePipeline {
    /// One stage.
    enum Stage {
        case match(BSONDocument, Filter)
        case sort(BSONDocument, [(path: [String], ascending: Bool)])
        case skip(Int)
        case limit(Int)
        case project(Projection)
        case count(String)
        case set(BSONDocument)
        case unset([String])
    }

    let namespace: Namespace
    let stages: [Stage]

    /// Parses `context`'s `aggregate` and `pipeline`.
    ///
    /// - Throws: `InvalidNamespace` (73) for `aggregate: 1` (collectionless stages are not
    ///   supported) or a bad name, `Location40324` for an unknown stage, and the stages'
    ///   own parse errors.
    init(_ context: CommandContext) throws(MongoError) {
        if case .string = context.firstValue {
            namespace = try context.collectionNamespace()
        } else {
            throw MongoError(.invalidNamespace,
                             "{aggregate: 1} is not supported: Tessera has no collectionless aggregation stages")
        }
        try QueryCommands.rejectCollation(context)
        var stages: [Stage] = []
        for (index, value) in try context.requiredArray("pipeline").enumerated() {
            guard case let .document(stage) = value, stage.count == 1, let first = stage.first else {
                throw MongoError(.location(40323), "A pipeline stage specification object must contain exactly one field.")
            }
            _ = index
            stages.append(try Self.parse(first.key, first.value))
        }
        try LetVariables.check(context, uses: [.array(try context.requiredArray("pipeline"))])
        self.stages = stages
    }

    private static func parse(_ name: String, _ value: BSONValue) throws(MongoError) -> Stage {
        switch name {
        case "$match":
            guard case let .document(filter) = value else {
                throw MongoError(.location(15959), "the match filter must be an expression in an object")
            }
            return .match(filter, try Filter(filter))
        case "$sort":
            guard case let .document(spec) = value, !spec.isEmpty else {
                throw MongoError(.location(15973), "the $sort key specification must be an object")
            }
            let parsed = try SortSpec(spec)
            return .sort(spec, parsed.keys.map { (path: $0.path.components, ascending: $0.ascending) })
        case "$skip":
            guard let skip = value.int64Value, skip >= 0 else {
                throw MongoError(.location(15956), "invalid argument to $skip stage: Cannot represent as a 64-bit integer or is negative")
            }
            return .skip(Int(skip))
        case "$limit":
            guard let limit = value.int64Value, limit > 0 else {
                throw MongoError(.location(15958), "the limit must be positive")
            }
            return .limit(Int(limit))
        case "$project":
            guard case let .document(spec) = value, !spec.isEmpty else {
                throw MongoError(.location(40177), "$project specification must be an object and must have at least one field")
            }
            return .project(try Projection(spec))
        case "$count":
            guard case let .string(field) = value, !field.isEmpty, !field.hasPrefix("$"), !field.contains(".") else {
                throw MongoError(.location(40156), "the count field must be a non-empty string without '$' or '.'")
            }
            return .count(field)
        case "$set", "$addFields":
            guard case let .document(fields) = value else {
                throw MongoError(.location(40272), "\(name) specification stage must be an object")
            }
            for element in fields where Self.isExpression(element.value) {
                throw MongoError(.commandNotSupported, "\(name) with expressions is not supported by Tessera yet (field '\(element.key)')")
            }
            return .set(fields)
        case "$unset":
            switch value {
            case let .string(field): return .unset([field])
            case let .array(fields) where fields.allSatisfy({ $0.stringValue != nil }):
                return .unset(fields.compactMap(\.stringValue))
            default:
                throw MongoError(.location(31002), "$unset specification must be a string or an array")
            }
        default:
            throw MongoError(.location(40324), "Unrecognized pipeline stage name: '\(name)'")
        }
    }

    /// Whether `value` holds a field path or operator (anything not a literal).
    private static func isExpression(_ value: BSONValue) -> Bool {
        switch value {
        case let .string(string): string.hasPrefix("$")
        case let .document(document): document.contains { $0.key.hasPrefix("$") || isExpression($0.value) }
        case let .array(array): array.contains(where: isExpression)
        default: false
        }
    }

    /// The leading stages that fold into one find, and the rest.
    private func split() -> (FindQuery, ArraySlice<Stage>) {
        var query = FindQuery()
        var index = 0
        var phase = 0  // 0: match, 1: sort, 2: skip, 3: limit, 4: project
        loop: while index < stages.count {
            switch stages[index] {
            case let .match(filter, _) where phase == 0:
                query.filter = query.filter.isEmpty ? filter : ["$and": .array([.document(query.filter), .document(filter)])]
            case let .sort(spec, _) where phase == 0:
                query.sort = spec
                phase = 1
            case let .skip(skip) where phase <= 2 && query.limit == nil:
                query.skip += skip
                phase = 2
            case let .limit(limit) where phase <= 3:
                query.limit = min(limit, query.limit ?? Int.max)
                phase = 3
            case let .project(projection) where phase <= 3:
                query.projection = projection.spec
                phase = 4
                index += 1
                break loop
            default:
                break loop
            }
            index += 1
        }
        return (query, stages[index...])
    }

    /// Runs the pipeline.
    func run(_ context: CommandContext) throws(MongoError) -> [BSONDocument] {
        let (query, rest) = split()
        try context.checkForInterrupt()
        var documents = try context.engine.collection(namespace).find(query)
        for stage in rest {
            try context.checkForInterrupt()
            switch stage {
            case let .match(_, filter):
                var kept: [BSONDocument] = []
                for document in documents where try filter.evaluate(document) != nil { kept.append(document) }
                documents = kept
            case let .sort(_, keys):
                documents = Self.sorted(documents, by: keys)
            case let .skip(skip):
                documents = Array(documents.dropFirst(skip))
            case let .limit(limit):
                documents = Array(documents.prefix(limit))
            case let .project(projection):
                var projected: [BSONDocument] = []
                for document in documents { projected.append(try projection.apply(to: document)) }
                documents = projected
            case let .count(field):
                documents = documents.isEmpty ? [] : [[field: .int32(Int32(clamping: documents.count))]]
            case let .set(fields):
                documents = documents.map { document in
                    var document = document
                    for element in fields { document = Self.setting(element.key.split(separator: ".").map(String.init)[...], to: element.value, in: document) }
                    return document
                }
            case let .unset(fields):
                documents = documents.map { document in
                    var document = document
                    for field in fields { document = Self.removing(field.split(separator: ".").map(String.init)[...], from: document) }
                    return document
                }
            }
        }
        return documents
    }

    /// explain for the pipeline: the plan of its leading find.
    func explain(_ context: CommandContext, verbosity: ExplainVerbosity) throws(MongoError) -> BSONDocument {
        let (query, _) = split()
        let plan = try context.engine.collection(namespace).explain(query, verbosity: verbosity)
        return ["explainVersion": "1", "stages": .array([.document(["$cursor": .document(plan)])])]
    }

    // MARK: In-memory helpers

    private static func sorted(_ documents: [BSONDocument], by keys: [(path: [String], ascending: Bool)]) -> [BSONDocument] {
        let keyed = documents.map { document in (document, keys.map { sortValue(at: $0.path[...], in: .document(document), ascending: $0.ascending) }) }
        return keyed.enumerated().sorted { lhs, rhs in
            for (index, key) in keys.enumerated() {
                let order = BSONValue.compare(lhs.element.1[index], rhs.element.1[index])
                if order != 0 { return key.ascending ? order < 0 : order > 0 }
            }
            return lhs.offset < rhs.offset
        }.map(\.element.0)
    }

    /// The value a document sorts by at `path`: missing is null; arrays sort by their
    /// smallest (ascending) or largest (descending) element.
    private static func sortValue(at path: ArraySlice<String>, in value: BSONValue, ascending: Bool) -> BSONValue {
        var candidates: [BSONValue] = []
        collect(path, in: value, into: &candidates)
        guard var best = candidates.first else { return .null }
        for candidate in candidates.dropFirst() {
            let order = BSONValue.compare(candidate, best)
            if ascending ? order < 0 : order > 0 { best = candidate }
        }
        return best
    }

    private static func collect(_ path: ArraySlice<String>, in value: BSONValue, into values: inout [BSONValue]) {
        guard let first = path.first else {
            if case let .array(elements) = value, !elements.isEmpty { values += elements } else { values.append(value) }
            return
        }
        switch value {
        case let .document(document):
            if let child = document[first] { collect(path.dropFirst(), in: child, into: &values) } else { values.append(.null) }
        case let .array(elements):
            for element in elements { collect(path, in: element, into: &values) }
        default:
            values.append(.null)
        }
    }

    private static func setting(_ path: ArraySlice<String>, to value: BSONValue, in document: BSONDocument) -> BSONDocument {
        guard let first = path.first else { return document }
        var document = document
        if path.count == 1 {
            document[first] = value
        } else {
            let child = document[first]?.documentValue ?? BSONDocument()
            document[first] = .document(setting(path.dropFirst(), to: value, in: child))
        }
        return document
    }

    private static func removing(_ path: ArraySlice<String>, from document: BSONDocument) -> BSONDocument {
        guard let first = path.first else { return document }
        var document = document
        if path.count == 1 {
            document.removeValue(forKey: first)
        } else if case let .document(child)? = document[first] {
            document[first] = .document(removing(path.dropFirst(), from: child))
        }
        return document
    }
}
