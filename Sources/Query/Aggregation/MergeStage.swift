// MergeStage: `$merge` — the last stage, writing each result into a collection: matched on
// `on` (default `_id`, otherwise fields a unique index covers), then replace, keep, merge,
// fail or run an update pipeline; unmatched ones inserted, discarded or failed on.

internal import BSON
internal import Documents

/// `$merge`.
struct MergeSpec: Sendable {
    enum WhenMatched: Sendable {
        case replace, keepExisting, merge, fail
        case pipeline(Pipeline)
    }

    enum WhenNotMatched: String, Sendable {
        case insert, discard, fail
    }

    let database: String?
    let collection: String
    let on: [[String]]
    let onNames: [String]
    let whenMatched: WhenMatched
    let whenNotMatched: WhenNotMatched
    /// `let` for a pipeline `whenMatched`: slots bound from the incoming document.
    let letVariables: [(slot: Int, value: Expression)]

    /// Parses `"coll"` or `{into, on, let, whenMatched, whenNotMatched}` with MongoDB's 51178–51199 errors.
    init(_ value: BSONValue, _ context: inout ExpressionContext) throws(MongoError) {
        var spec: BSONDocument
        switch value {
        case .string(let name): spec = ["into": .string(name)]
        case .document(let document): spec = document
        default:
            throw MongoError(.location(51182), "$merge only supports a string or object argument, but found \(ServerText.typeName(value))")
        }
        var database: String?
        var collection: String?
        var on: [String] = ["_id"]
        var whenMatched: BSONValue = "merge"
        var whenNotMatched: BSONValue = "insert"
        var letSpec: BSONDocument?
        for (key, option) in spec.elements {
            switch key {
            case "into":
                switch option {
                case .string(let name): collection = name
                case .document(let target):
                    for field in target.keys where field != "db" && field != "coll" {
                        throw MongoError(.location(40415), "BSON field 'into.\(field)' is an unknown field.")
                    }
                    guard case .string(let name)? = target["coll"] else {
                        throw MongoError(.location(40414), "BSON field 'into.coll' is missing but a required field")
                    }
                    collection = name
                    if let db = target["db"] {
                        guard case .string(let dbName) = db else {
                            throw MongoError(.typeMismatch, "BSON field 'into.db' is the wrong type '\(db.type.alias)', expected type 'string'")
                        }
                        database = dbName
                    }
                default:
                    throw MongoError(.location(51178), "$merge 'into' field  must be either a string or an object, but found \(ServerText.typeName(option))")
                }
            case "on":
                switch option {
                case .string(let field): on = [field]
                case .array(let fields):
                    guard !fields.isEmpty else {
                        throw MongoError(.location(51187), "If explicitly specifying $merge 'on', must include at least one field")
                    }
                    var names: [String] = []
                    for field in fields {
                        guard case .string(let name) = field else {
                            throw MongoError(.location(51134), "$merge 'on' array elements must be strings, but found \(ServerText.typeName(field))")
                        }
                        guard !names.contains(name) else { throw MongoError(.location(31465), "Found a duplicate field '\(name)'") }
                        names.append(name)
                    }
                    on = names
                default:
                    throw MongoError(.location(51186), "$merge 'on' field  must be either a string or an array of strings, but found \(ServerText.typeName(option))")
                }
            case "let":
                guard case .document(let document) = option else {
                    throw MongoError(.typeMismatch, "BSON field '$merge.let' is the wrong type '\(option.type.alias)', expected type 'object'")
                }
                letSpec = document
            case "whenMatched": whenMatched = option
            case "whenNotMatched": whenNotMatched = option
            default:
                throw MongoError(.location(40415), "BSON field '$merge.\(key)' is an unknown field.")
            }
        }
        guard let collection else { throw MongoError(.location(40414), "BSON field '$merge.into' is missing but a required field") }
        guard !collection.isEmpty else { throw MongoError(.invalidNamespace, "Invalid $merge target namespace: '\(collection)'") }
        var bindings: [(slot: Int, value: Expression)] = []
        switch whenMatched {
        case .string(let mode):
            switch mode {
            case "replace": self.whenMatched = .replace
            case "keepExisting": self.whenMatched = .keepExisting
            case "merge": self.whenMatched = .merge
            case "fail": self.whenMatched = .fail
            default:
                throw MongoError(.badValue, "Enumeration value '\(mode)' for field 'whenMatched' is not a valid value.")
            }
            if letSpec != nil {
                throw MongoError(.location(51199), "Cannot use 'let' variables with 'whenMatched: \(mode)' mode")
            }
        case .array(let stages):
            var documents: [BSONDocument] = []
            for stage in stages {
                guard case .document(let document) = stage, let name = document.first?.key else {
                    throw MongoError(.typeMismatch, "Each element of the 'whenMatched' pipeline must be an object")
                }
                guard UpdatePipeline.allowedStages.contains(name) else {
                    throw MongoError(.invalidOptions, "\(name) is not allowed to be used within a $merge's 'whenMatched' pipeline")
                }
                documents.append(document)
            }
            var values: [(String, Expression)] = []
            for (name, expression) in (letSpec ?? ["new": "$$ROOT"]).elements {
                values.append((name, try Expression.parse(expression, in: &context)))
            }
            var inner = context
            for (name, expression) in values { bindings.append((try inner.declare(name), expression)) }
            let pipeline = try Pipeline(documents, &inner, nested: true)
            // Keep slot numbering shared so outer and inner slots never collide.
            while context.slotCount < inner.slotCount { _ = context.declareUnchecked("$$merge\(context.slotCount)") }
            context.restore(context.visibleVariables.filter { !$0.key.hasPrefix("$$") })
            self.whenMatched = .pipeline(pipeline)
        default:
            throw MongoError(.typeMismatch, "BSON field '$merge.whenMatched' is the wrong type '\(whenMatched.type.alias)', expected types '[string, array]'")
        }
        guard case .string(let notMatched) = whenNotMatched else {
            throw MongoError(.typeMismatch, "BSON field '$merge.whenNotMatched' is the wrong type '\(whenNotMatched.type.alias)', expected type 'string'")
        }
        guard let parsedNotMatched = WhenNotMatched(rawValue: notMatched) else {
            throw MongoError(.badValue, "Enumeration value '\(notMatched)' for field 'whenNotMatched' is not a valid value.")
        }
        self.database = database
        self.collection = collection
        var paths: [[String]] = []
        for field in on { paths.append(try DocumentPaths.components(field)) }
        self.on = paths
        onNames = on
        self.whenNotMatched = parsedNotMatched
        letVariables = bindings
    }
}

/// Collects the pipeline's results, then writes them into the target when the input ends
/// (so a pipeline reading the collection it merges into never sees its own writes).
final class MergeSink: StageSink {
    let spec: MergeSpec
    let target: QueryCollection
    /// The target's validator (nil: none, or bypassed).
    let validator: DocumentValidator?
    private var pending: [BSONDocument] = []

    /// The sink for `spec` in `runtime`'s database.
    ///
    /// - Throws: `Location51183` when `on` is not `_id` and no unique index covers its fields.
    init(_ spec: MergeSpec, next: DocumentSink, runtime: PipelineRuntime) throws(MongoError) {
        self.spec = spec
        let database = QueryDatabase(store: runtime.database.store, name: spec.database ?? runtime.database.name,
                                     interrupt: runtime.database.interrupt)
        target = try database.collection(spec.collection).bypassingDocumentValidation(runtime.options.bypassDocumentValidation)
        validator = try target.writeGuard()
        super.init(next: next, runtime: runtime)
        if spec.onNames != ["_id"] {
            let wanted = Set(spec.onNames)
            let covered = target.indexes.contains { index in
                index.isUnique && !index.isSparse && index.partialFilter == nil
                    && Set(index.fields.map(\.path)) == wanted && index.fields.count == wanted.count
            }
            guard covered else {
                throw MongoError(.location(51183), "Cannot find index to verify that join fields will be unique")
            }
        }
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        pending.append(document)
        return true
    }

    override func finish() throws(MongoError) {
        let documents = pending
        pending = []
        // Each document is its own write: maxTimeMS and killOp stop the merge between them.
        var poll = runtime.database.interrupt.poll(every: 64)
        for document in documents {
            try poll.tick()
            try write(document)
        }
        try next.finish()
    }

    private func write(_ document: BSONDocument) throws(MongoError) {
        guard let existing = try match(for: document) else {
            switch spec.whenNotMatched {
            case .insert: _ = try target.insertValidated(document, validator: validator, writeConcern: .acknowledged)
            case .discard: break
            case .fail:
                throw MongoError(.location(13113), "$merge could not find a matching document in the target collection for at least one document in the source collection")
            }
            return
        }
        let id = existing["_id"] ?? .null
        switch spec.whenMatched {
        case .keepExisting:
            return
        case .fail:
            _ = try target.insertValidated(document, validator: validator, writeConcern: .acknowledged)
        case .replace:
            _ = try target.collection.modify(id: id) { (current) throws(MongoError) -> BSONDocument? in
                try validated(document, before: current, id: id)
            }
        case .merge:
            _ = try target.collection.modify(id: id) { (current) throws(MongoError) -> BSONDocument? in
                var merged = current
                for (key, value) in document.elements { merged[key] = value }
                return try validated(merged, before: current, id: id)
            }
        case .pipeline(let pipeline):
            var scope = runtime.scope
            let incoming = runtime.scope(for: document)
            for binding in spec.letVariables { scope.bind(binding.slot, to: try binding.value.evaluate(incoming)) }
            _ = try target.collection.modify(id: id) { (current) throws(MongoError) -> BSONDocument? in
                let nested = PipelineRuntime(database: runtime.database, options: runtime.options, scope: scope)
                let collector = CollectingSink()
                let chain = try QueryCollection.buildChain(pipeline.stages, into: collector, runtime: nested)
                _ = try chain.push(current)
                try chain.finish()
                return try validated(collector.documents.first ?? current, before: current, id: id)
            }
        }
    }

    /// `document` once the target's validator accepts it as the new version of `before`.
    private func validated(_ document: BSONDocument, before: BSONDocument, id: BSONValue) throws(MongoError) -> BSONDocument {
        try validator?.check(QueryCollection.withID(document, id), before: before)
        return document
    }

    /// The target document whose `on` fields equal `document`'s.
    ///
    /// - Throws: `Location51132` when an `on` field is missing, null or an array in `document`.
    private func match(for document: BSONDocument) throws(MongoError) -> BSONDocument? {
        if spec.onNames == ["_id"] {
            guard let id = document["_id"] else { return nil }
            return try target.collection.document(withID: id)
        }
        var filter = BSONDocument()
        for (path, name) in zip(spec.on, spec.onNames) {
            let value = DocumentPaths.value(at: path, in: document)
            switch value {
            case nil, .null?, .undefined?, .array?:
                throw MongoError(.location(51132), "$merge write error: 'on' field cannot be missing, null, undefined or an array")
            case let value?:
                filter.append(name, .document(["$eq": value]))
            }
        }
        return try target.find(FindQuery(filter: filter, limit: 1)).first
    }
}
