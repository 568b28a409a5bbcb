// The aggregate command: parses the command's options, runs the pipeline through the Query
// layer's aggregation engine (indexes for a leading $match/$sort, `let` variables, memory
// limits), writes `$out` results, and answers with a cursor or an explain document.

import BSON
import Query

/// One aggregate command, parsed.
struct AggregateCommand {
    /// The collection it reads (for `aggregate: 1`, a placeholder in the command's database
    /// that is never read: only a leading `$documents` is accepted there).
    let namespace: Namespace
    /// The stages to run (without a trailing `$out`).
    let stages: [BSONDocument]
    /// Where a trailing `$out` writes, if any.
    let output: Namespace?
    let options: AggregateOptions
    /// The command's `collation`, if any (else the collection's default applies).
    let collation: BSONDocument?
    /// For `{aggregate: 1, pipeline: [{$listLocalSessions: {}}, ...]}`: the server's sessions
    /// are the input documents of the remaining stages.
    let listsLocalSessions: Bool
    /// `$listLocalSessions: {allUsers: true}`: every user's sessions, not only the caller's.
    let listsAllUsers: Bool
    /// A leading `$currentOp` stage: the running operations are the input documents.
    let currentOp: CurrentOpStage?

    /// Parses `context`'s `aggregate`, `pipeline`, `let`, `allowDiskUse` and `hint`.
    ///
    /// - Throws: `InvalidNamespace` (73) for a bad collection name or `aggregate: 1` without a
    ///   leading `$documents`; `Location40323` for a stage that is not a one-field document;
    ///   `Location40601` for `$out` anywhere but last.
    init(_ context: CommandContext) throws(MongoError) {
        collation = try context.document("collation")
        var stages: [BSONDocument] = []
        for value in try context.requiredArray("pipeline") {
            guard case let .document(stage) = value, stage.count == 1 else {
                throw MongoError(.location(40323), "A pipeline stage specification object must contain exactly one field.")
            }
            stages.append(stage)
        }
        if case .string = context.firstValue {
            namespace = try context.collectionNamespace()
        } else if context.firstValue.int64Value == 1,
                  let first = stages.first?.first?.key,
                  first == "$documents" || first == "$listLocalSessions" || first == "$currentOp" {
            // These sources never read the collection; the name only carries the database.
            namespace = try Namespace(database: context.database, collection: "aggregate_1")
        } else {
            throw MongoError(.invalidNamespace, "{aggregate: 1} needs a leading $documents or $listLocalSessions stage")
        }
        listsLocalSessions = stages.first?.first?.key == "$listLocalSessions"
        var allUsers = false
        if listsLocalSessions {
            guard case let .document(spec)? = stages.first?["$listLocalSessions"] else {
                throw MongoError(.typeMismatch, "$listLocalSessions must take an object")
            }
            allUsers = AuthorizationTable.truthy(spec["allUsers"])
            stages.removeFirst()
        }
        listsAllUsers = allUsers
        currentOp = try CurrentOpStage.take(&stages, context: context)
        var output: Namespace?
        if let index = stages.firstIndex(where: { $0.first?.key == "$out" }) {
            guard index == stages.count - 1 else {
                throw MongoError(.location(40601), "$out can only be the final stage in the pipeline")
            }
            output = try Self.outputNamespace(stages[index]["$out"] ?? .null, database: context.database)
            stages.removeLast()
        }
        if output != nil || stages.last?.first?.key == "$merge",
           case let .document(readConcern)? = context.body["readConcern"], readConcern["level"] == "linearizable" {
            throw MongoError(.invalidOptions, "readConcern level 'linearizable' cannot be used with $out or $merge")
        }
        if context.transaction != nil, output != nil || stages.last?.first?.key == "$merge" {
            throw MongoError(.operationNotSupportedInTransaction,
                             "\(output != nil ? "$out" : "$merge") cannot be used in a transaction")
        }
        self.stages = stages
        self.output = output
        var options = AggregateOptions(allowDiskUse: try context.bool("allowDiskUse") ?? false,
                                       variables: try context.document("let") ?? BSONDocument(), hint: try context.hint())
        options.bypassDocumentValidation = try context.bool("bypassDocumentValidation") ?? false
        self.options = options
    }

    /// `$out: "name"` or `$out: {db, coll}`.
    private static func outputNamespace(_ value: BSONValue, database: String) throws(MongoError) -> Namespace {
        switch value {
        case let .string(collection):
            return try Namespace(database: database, collection: collection)
        case let .document(target):
            guard case let .string(collection)? = target["coll"] else {
                throw MongoError(.location(16994), "If an object is passed to $out it must have exactly 2 fields: 'db' and 'coll'")
            }
            let targetDatabase: String
            if case let .string(name)? = target["db"] { targetDatabase = name } else { targetDatabase = database }
            return try Namespace(database: targetDatabase, collection: collection)
        default:
            throw MongoError(.location(16990), "$out only supports a string or object argument, not \(value.type.alias)")
        }
    }

    /// Runs the pipeline; with `$out`, replaces the target collection's documents atomically
    /// (keeping its options and indexes) and returns no documents.
    func run(_ context: CommandContext) throws(MongoError) -> [BSONDocument] {
        try context.checkForInterrupt()
        let results: [BSONDocument]
        if let currentOp {
            results = try context.collection(namespace).collated(by: collation)
                .aggregate(stages, over: currentOp.documents(context), options: options)
        } else if listsLocalSessions {
            let sessions = context.server.listedSessions(allUsers: listsAllUsers, connection: context.connection)
                .sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
            let documents: [BSONDocument] = sessions.map { ["_id": ["id": .binary($0)]] }
            results = try context.collection(namespace).collated(by: collation).aggregate(stages, over: documents, options: options)
        } else if let view = try ViewCommands.resolved(context, namespace) {
            results = try view.aggregate(stages, options: options)
        } else {
            results = try context.collection(namespace).collated(by: collation).aggregate(stages, options: options)
        }
        try context.checkForInterrupt()
        guard let output else { return results }
        _ = try context.writeConcern()
        try context.engine.replaceContents(of: output, with: results, bypassDocumentValidation: options.bypassDocumentValidation)
        return []
    }

    /// The engine's streaming cursor for this pipeline on a collection (stages that cannot
    /// stream run whole inside it); nil when it must run here instead: `$out`/`$merge`, a
    /// view, `$listLocalSessions` or `$currentOp` (their input is not a collection).
    func openCursor(_ context: CommandContext) throws(MongoError) -> QueryCursor? {
        guard output == nil, currentOp == nil, !listsLocalSessions, try ViewCommands.resolved(context, namespace) == nil else { return nil }
        try context.checkForInterrupt()
        return try context.collection(namespace).collated(by: collation).openCursor(pipeline: stages, options: options)
    }

    /// The explain document for this pipeline (a trailing `$out` is not run, so not shown).
    func explain(_ context: CommandContext, verbosity: ExplainVerbosity) throws(MongoError) -> BSONDocument {
        if let view = try ViewCommands.resolved(context, namespace) {
            return try view.explainAggregate(stages, options: options, verbosity: verbosity)
        }
        return try context.engine.collection(namespace).interrupted(by: context.interrupt).collated(by: collation)
            .explainAggregate(stages, options: options, verbosity: verbosity)
    }
}
