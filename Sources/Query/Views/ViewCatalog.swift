// ViewCatalog: the views of a store, kept as mongod keeps them — one document per view in
// its database's `system.views` collection (`{_id: "<db>.<view>", viewOn, pipeline,
// collation}`), so they persist, are listed, and go with dropDatabase. Owns view lookup,
// resolution to the base collection (the pipelines of every view on the way, innermost
// first, and the view's own default collation), and the checks of a new definition: pipeline
// stages, the view graph's cycles and depth, and the collations of the views it reads.

public import BSON
public import Collation
import Documents

extension MongoError.Code {
    /// 93: a view would depend on itself.
    public static let graphContainsCycle = MongoError.Code(93, "GraphContainsCycle")
    /// 165: views nest deeper than mongod allows.
    public static let viewDepthLimitExceeded = MongoError.Code(165, "ViewDepthLimitExceeded")
    /// 166: the operation does not apply to a view (writes, indexes).
    public static let commandNotSupportedOnView = MongoError.Code(166, "CommandNotSupportedOnView")
    /// 167: an option or stage a view definition may not use.
    public static let optionNotSupportedOnView = MongoError.Code(167, "OptionNotSupportedOnView")
}

/// A view as stored: the collection (or view) it reads and the pipeline in front of it.
public struct ViewDefinition: Sendable, Equatable {
    /// The view's namespace.
    public let namespace: Namespace
    /// What it reads, in the same database.
    public let viewOn: Namespace
    /// Its pipeline.
    public let pipeline: [BSONDocument]
    /// Its default collation, resolved (as a collection's is stored); `nil`: simple. A view
    /// does not inherit the collation of what it reads.
    public let collation: BSONDocument?

    /// A view definition; `collation` is a resolved collation (``QueryEngine/viewCollation(_:)``).
    public init(namespace: Namespace, viewOn: Namespace, pipeline: [BSONDocument], collation: BSONDocument? = nil) {
        self.namespace = namespace
        self.viewOn = viewOn
        self.pipeline = pipeline
        self.collation = collation
    }

    /// The `system.views` document.
    var document: BSONDocument {
        var document: BSONDocument = ["_id": .string(namespace.description), "viewOn": .string(viewOn.collection),
                                      "pipeline": .array(pipeline.map { .document($0) })]
        if let collation { document.append("collation", .document(collation)) }
        return document
    }

    /// The view's collator (`nil`: simple).
    func collator() throws(MongoError) -> Collator? {
        try collation.flatMap { (stored) throws(MongoError) -> Collator? in try Collator.stored(stored) }
    }

    /// The definition a `system.views` document holds, if well formed.
    init?(document: BSONDocument, database: String) {
        guard case .string(let full)? = document["_id"], full.hasPrefix(database + "."),
              case .string(let on)? = document["viewOn"],
              let namespace = try? Namespace(database: database, collection: String(full.dropFirst(database.count + 1))),
              let viewOn = try? Namespace(database: database, collection: on)
        else { return nil }
        self.init(namespace: namespace, viewOn: viewOn,
                  pipeline: document["pipeline"]?.arrayValue?.compactMap(\.documentValue) ?? [],
                  collation: document["collation"]?.documentValue)
    }

    /// The `options` listCollections shows: `{viewOn, pipeline}` and the collation, if any.
    public var options: BSONDocument {
        var options: BSONDocument = ["viewOn": .string(viewOn.collection), "pipeline": .array(pipeline.map { .document($0) })]
        if let collation { options.append("collation", .document(collation)) }
        return options
    }
}

/// A view resolved down to the collection underneath.
public struct ResolvedView: Sendable, Equatable {
    /// The view asked for.
    public let namespace: Namespace
    /// The collection every view on the way reads in the end (it need not exist).
    public let base: Namespace
    /// The pipelines of the views on the way, innermost first: what runs on `base`.
    public let pipeline: [BSONDocument]
    /// The view's default collation, resolved (`nil`: simple): every read of the view runs
    /// under it, and an operation may not ask for another.
    public let collation: BSONDocument?

    /// The view's collator (`nil`: simple).
    public func collator() throws(MongoError) -> Collator? {
        try collation.flatMap { (stored) throws(MongoError) -> Collator? in try Collator.stored(stored) }
    }

    /// The collation document reads of the view run under (a collection's `collated(by:)`):
    /// its own without the ICU `version` it was resolved with (a stored collation opens with
    /// this ICU, as ``Collator/stored(_:)`` does), or the simple one.
    public var readCollation: BSONDocument {
        guard var collation else { return ["locale": "simple"] }
        collation["version"] = nil
        return collation
    }

    /// Checks that a pipeline reading the view compares under the view's collation.
    ///
    /// - Throws: `OptionNotSupportedOnView` (167) for another collation.
    public func requireCollation(_ collator: Collator?) throws(MongoError) {
        guard try self.collator() == collator else {
            throw MongoError(.optionNotSupportedOnView, "Cannot override a view's default collation \(namespace)")
        }
    }

    /// Checks an operation's `collation` option (an empty one is none given): it must be
    /// the view's.
    ///
    /// - Throws: `OptionNotSupportedOnView` (167) for another collation; the collation's own
    ///   errors for a malformed one.
    public func requireCollation(of operation: BSONDocument) throws(MongoError) {
        guard !operation.isEmpty else { return }
        try requireCollation(try Collator.make(operation))
    }
}

/// The views of one store, read from and written to `system.views`.
struct ViewCatalog {
    /// The collection of each database that holds its views.
    static let collectionName = "system.views"
    /// The deepest chain of views mongod allows.
    static let maximumDepth = 20

    let store: DocumentStore

    /// The `system.views` namespace of `database`.
    static func viewsNamespace(_ database: String) throws(MongoError) -> Namespace {
        try Namespace(database: database, collection: collectionName)
    }

    /// The view at `namespace`; `nil` when it is a collection or nothing.
    func definition(of namespace: Namespace) throws(MongoError) -> ViewDefinition? {
        guard store.catalog.collection(namespace) == nil, namespace.collection != Self.collectionName else { return nil }
        let views = try Self.viewsNamespace(namespace.database)
        guard store.catalog.collection(views) != nil,
              let document = try store.collection(views).document(withID: .string(namespace.description))
        else { return nil }
        return ViewDefinition(document: document, database: namespace.database)
    }

    /// Every view of `database`, in name order.
    func definitions(in database: String) throws(MongoError) -> [ViewDefinition] {
        let views = try Self.viewsNamespace(database)
        guard store.catalog.collection(views) != nil else { return [] }
        var definitions: [ViewDefinition] = []
        try store.collection(views).forEachDocument { (document) throws(MongoError) -> Bool in
            if let definition = ViewDefinition(document: document, database: database) { definitions.append(definition) }
            return true
        }
        return definitions.sorted { $0.namespace < $1.namespace }
    }

    /// `namespace` resolved to its base collection, or `nil` when it is not a view.
    ///
    /// - Throws: `ViewDepthLimitExceeded` (165) for a chain deeper than mongod allows.
    func resolve(_ namespace: Namespace) throws(MongoError) -> ResolvedView? {
        guard var definition = try definition(of: namespace) else { return nil }
        let collation = definition.collation
        var pipelines: [[BSONDocument]] = []
        var depth = 0
        while true {
            depth += 1
            guard depth <= Self.maximumDepth else {
                throw MongoError(.viewDepthLimitExceeded,
                                 "View depth too deep or view cycle detected. Maximum depth is \(Self.maximumDepth)")
            }
            pipelines.append(definition.pipeline)
            guard let next = try self.definition(of: definition.viewOn) else { break }
            definition = next
        }
        return ResolvedView(namespace: namespace, base: definition.viewOn, pipeline: pipelines.reversed().flatMap { $0 },
                            collation: collation)
    }

    // MARK: Changes

    /// Stores a new view.
    ///
    /// - Throws: `NamespaceExists` (48) when a collection or view has the name; the checks of
    ///   ``check(_:)``.
    func create(_ definition: ViewDefinition) throws(MongoError) {
        let existing = try self.definition(of: definition.namespace)
        if store.catalog.collection(definition.namespace) != nil || existing != nil {
            throw MongoError(.namespaceExists, "Namespace \(definition.namespace) already exists")
        }
        try check(definition)
        do {
            try store.collection(try Self.viewsNamespace(definition.namespace.database)).insert(definition.document, writeConcern: .journaled)
        } catch where error.code == .duplicateKey {
            throw MongoError(.namespaceExists, "Namespace \(definition.namespace) already exists")
        }
    }

    /// Replaces a view's definition.
    ///
    /// - Throws: `NamespaceNotFound` (26) when it is not a view; the checks of ``check(_:)``.
    func replace(_ definition: ViewDefinition) throws(MongoError) {
        guard try self.definition(of: definition.namespace) != nil else {
            throw MongoError(.namespaceNotFound, "ns does not exist")
        }
        try check(definition)
        let views = try Self.viewsNamespace(definition.namespace.database)
        _ = try store.collection(views).replace(id: .string(definition.namespace.description), with: definition.document,
                                                writeConcern: .journaled)
    }

    /// Removes a view; returns whether there was one.
    func drop(_ namespace: Namespace) throws(MongoError) -> Bool {
        guard try definition(of: namespace) != nil else { return false }
        return try store.collection(try Self.viewsNamespace(namespace.database))
            .delete(id: .string(namespace.description), writeConcern: .journaled)
    }

    // MARK: Checks

    /// Checks a definition before it is stored: its pipeline parses and does not write, and
    /// with it the database's views form no cycle and no chain deeper than 20.
    ///
    /// - Throws: `OptionNotSupportedOnView` (167) for `$out`, `$merge` or `$changeStream`, or
    ///   when a view it reads (`viewOn`, `$lookup`...) has another collation; the pipeline's
    ///   parse errors; `GraphContainsCycle` (93); `ViewDepthLimitExceeded` (165).
    func check(_ definition: ViewDefinition) throws(MongoError) {
        for (index, stage) in definition.pipeline.enumerated() {
            guard let name = stage.first?.key else { continue }
            if name == "$out" || name == "$merge" {
                throw MongoError(.optionNotSupportedOnView,
                                 "The aggregation stage \(name) in location \(index) of the pipeline cannot be used in the view definition of \(definition.namespace) because it writes to disk")
            }
            if name == "$changeStream" {
                throw MongoError(.optionNotSupportedOnView, "$changeStream cannot be used in a view definition")
            }
        }
        var context = ExpressionContext()
        _ = try Pipeline(definition.pipeline, &context)
        var graph: [String: [String]] = [:]
        for view in try definitions(in: definition.namespace.database) where view.namespace != definition.namespace {
            graph[view.namespace.collection] = Self.dependencies(of: view)
        }
        graph[definition.namespace.collection] = Self.dependencies(of: definition)
        try Self.checkGraph(graph, from: definition.namespace)
        try checkCollations(definition)
    }

    /// As mongod's `_validateCollation`: every view `definition` reads has its collation.
    private func checkCollations(_ definition: ViewDefinition) throws(MongoError) {
        let collator = try definition.collator()
        for name in Self.dependencies(of: definition) where name != definition.namespace.collection {
            guard let other = try self.definition(of: try Namespace(database: definition.namespace.database, collection: name)),
                  try other.collator() != collator
            else { continue }
            throw MongoError(.optionNotSupportedOnView,
                             "View \(definition.namespace) has conflicting collation with view \(other.namespace)")
        }
    }

    /// The collections and views of its database a view reads: `viewOn`, and the `from` or
    /// `coll` of `$lookup`, `$graphLookup` and `$unionWith` anywhere in its pipeline.
    static func dependencies(of definition: ViewDefinition) -> [String] {
        var names = [definition.viewOn.collection]
        for stage in definition.pipeline { collectReferences(in: .document(stage), into: &names) }
        return names
    }

    private static func collectReferences(in value: BSONValue, into names: inout [String]) {
        switch value {
        case .document(let document):
            for (key, child) in document.elements {
                switch (key, child) {
                case ("$lookup", .document(let spec)), ("$graphLookup", .document(let spec)):
                    if case .string(let from)? = spec["from"] { names.append(from) }
                    if case .document(let target)? = spec["from"], case .string(let coll)? = target["coll"] { names.append(coll) }
                case ("$unionWith", .string(let coll)):
                    names.append(coll)
                case ("$unionWith", .document(let spec)):
                    if case .string(let coll)? = spec["coll"] { names.append(coll) }
                default:
                    break
                }
                collectReferences(in: child, into: &names)
            }
        case .array(let elements):
            for element in elements { collectReferences(in: element, into: &names) }
        default:
            break
        }
    }

    /// Walks the view graph (view name to the names it reads) from `start`.
    ///
    /// - Throws: `GraphContainsCycle` (93) with the cycle's path; `ViewDepthLimitExceeded`
    ///   (165) when a chain of views through `start` is deeper than 20.
    static func checkGraph(_ graph: [String: [String]], from start: Namespace) throws(MongoError) {
        var heights: [String: Int] = [:]
        func height(_ name: String, path: [String]) throws(MongoError) -> Int {
            if let known = heights[name] { return known }
            guard let next = graph[name] else { return 0 }
            if path.contains(name) {
                let cycle = (path.drop(while: { $0 != name }) + [name]).map { "\(start.database).\($0)" }
                throw MongoError(.graphContainsCycle, "View cycle detected: \(cycle.joined(separator: " => "))")
            }
            var tallest = 0
            for dependency in next { tallest = max(tallest, try height(dependency, path: path + [name])) }
            heights[name] = tallest + 1
            return tallest + 1
        }
        // The tallest chain through `start`: its own, or that of a view that reads it.
        var tallest = try height(start.collection, path: [])
        for name in graph.keys where name != start.collection && reaches(graph, from: name, to: start.collection) {
            tallest = max(tallest, try height(name, path: []))
        }
        guard tallest <= maximumDepth else {
            throw MongoError(.viewDepthLimitExceeded, "View depth limit exceeded; maximum depth is \(maximumDepth)")
        }
    }

    private static func reaches(_ graph: [String: [String]], from source: String, to target: String) -> Bool {
        var stack = [source]
        var seen: Set<String> = []
        while let name = stack.popLast() {
            guard seen.insert(name).inserted else { continue }
            for next in graph[name] ?? [] {
                if next == target { return true }
                stack.append(next)
            }
        }
        return false
    }
}
