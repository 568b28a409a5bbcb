// Views at the command layer: `create` with `viewOn`/`pipeline`, the view entries of
// listCollections, drop of a view, reads (find, count, distinct, aggregate) routed through
// the view's pipeline, and the refusal of writes and index commands on a view (166). The
// definitions and the pipeline composition are the Query layer's (QueryEngine+Views,
// ViewQuery); this file parses and answers.

import BSON
import Query

/// View commands and the view paths of the read and write commands.
enum ViewCommands {
    /// create's options a view accepts besides `viewOn` and `pipeline`.
    static let viewCreateOptions: Set<String> = ["viewOn", "pipeline", "collation"]

    /// create with `viewOn`: `{create: "v", viewOn: "c", pipeline: [...]}`.
    ///
    /// - Throws: `TypeMismatch` (14) for a `viewOn` that is not a string or a `pipeline`
    ///   that is not an array of objects; `InvalidOptions` (72) for a collection option;
    ///   the collation's errors; the checks of `QueryEngine.createView` (48, 93, 165, 167,
    ///   the pipeline's parse errors).
    static func createView(_ context: CommandContext, _ namespace: Namespace) throws(MongoError) -> BSONDocument {
        for element in context.body.dropFirst() where !HandshakeCommands.genericFields.contains(element.key) {
            guard viewCreateOptions.contains(element.key) else {
                if CollectionCommands.acceptedCreateOptions.contains(element.key)
                    || CollectionCommands.validationOptions.contains(element.key) {
                    throw MongoError(.invalidOptions, "option not supported on a view: \(element.key)")
                }
                throw MongoError(.location(40415), "BSON field 'create.\(element.key)' is an unknown field.")
            }
        }
        guard case .string(let viewOn) = context.body["viewOn"] ?? .null else {
            throw MongoError(.typeMismatch,
                             "BSON field 'create.viewOn' is the wrong type '\(context.body["viewOn"]?.type.alias ?? "missing")', expected type 'string'")
        }
        guard !viewOn.isEmpty else { throw MongoError(.badValue, "'viewOn' cannot be empty") }
        let pipeline = try stages(context.body["pipeline"], command: "create")
        let collation = try context.body["collation"].flatMap { (value) throws(MongoError) -> BSONDocument? in
            try QueryEngine.viewCollation(value)
        }
        let source = try Namespace(database: namespace.database, collection: viewOn)
        try context.engine.createView(ViewDefinition(namespace: namespace, viewOn: source, pipeline: pipeline, collation: collation))
        return BSONDocument()
    }

    /// A view pipeline option: absent (empty) or an array of objects.
    static func stages(_ value: BSONValue?, command: String) throws(MongoError) -> [BSONDocument] {
        guard let value else { return [] }
        guard case .array(let elements) = value else {
            throw MongoError(.typeMismatch,
                             "BSON field '\(command).pipeline' is the wrong type '\(value.type.alias)', expected type 'array'")
        }
        var stages: [BSONDocument] = []
        for element in elements {
            guard case .document(let stage) = element else {
                throw MongoError(.typeMismatch, "'pipeline' must be an array of objects, found \(element.type.alias)")
            }
            stages.append(stage)
        }
        return stages
    }

    /// The listCollections entries of `database`'s views.
    static func listEntries(_ context: CommandContext) throws(MongoError) -> [BSONDocument] {
        try context.engine.views(in: context.database).map { view in
            [
                "name": .string(view.namespace.collection), "type": "view", "options": .document(view.options),
                "info": .document(["readOnly": .bool(true)]),
            ]
        }
    }

    /// The view at `namespace` resolved, when it is one: reads run on its base collection
    /// under the view's default collation.
    ///
    /// - Throws: `OptionNotSupportedOnView` (167) when the command asks for another collation.
    static func resolved(_ context: CommandContext, _ namespace: Namespace) throws(MongoError) -> ViewQuery? {
        guard let view = try context.engine.resolveView(namespace) else { return nil }
        if let collation = try context.document("collation") { try view.requireCollation(of: collation) }
        return ViewQuery(view, base: try context.collection(view.base).collated(by: view.readCollation))
    }

    /// Throws 166 when `namespace` is a view (commands that need a collection).
    static func refuseView(_ context: CommandContext, _ namespace: Namespace) throws(MongoError) {
        if try context.engine.view(namespace) != nil {
            throw MongoError(.commandNotSupportedOnView, "Namespace \(namespace) is a view, not a collection")
        }
    }
}

extension CommandContext {
    /// Query operations for a write command on `namespace`: refused on a view (166), with
    /// the collection's validator unless the command says `bypassDocumentValidation: true`.
    func writableCollection(_ namespace: Namespace) throws(MongoError) -> QueryCollection {
        try ViewCommands.refuseView(self, namespace)
        return collection(namespace).bypassingDocumentValidation(try bool("bypassDocumentValidation") ?? false)
    }
}
