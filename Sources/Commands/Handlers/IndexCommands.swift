// Index commands: createIndexes, listIndexes, dropIndexes, and explain (which wraps find,
// count, distinct, aggregate, update, delete and findAndModify and asks the Query layer
// for the plan).

import BSON
import Query

/// Index and explain commands.
enum IndexCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["createIndexes"], help: "builds indexes") { (context) throws(MongoError) -> BSONDocument in try createIndexes(context) },
        CommandHandler(["listIndexes"], help: "a collection's indexes") { (context) throws(MongoError) -> BSONDocument in try listIndexes(context) },
        CommandHandler(["dropIndexes", "deleteIndexes"], help: "drops indexes") { (context) throws(MongoError) -> BSONDocument in
            try dropIndexes(context)
        },
        CommandHandler(["explain"], help: "the plan of a find, count, distinct, aggregate, update or delete") { (context) throws(MongoError) -> BSONDocument in
            try explain(context)
        },
    ]

    /// createIndexes. Inside a transaction, only on a collection the transaction creates
    /// (new indexes on an existing one: `OperationNotSupportedInTransaction`, 263).
    static func createIndexes(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let specs = try context.documents("indexes")
        guard !specs.isEmpty else { throw MongoError(.badValue, "Must specify at least one index to create") }
        let engine = context.engine
        let transaction = context.transaction
        let existed = transaction?.collectionDescription(namespace) ?? engine.collectionDescription(namespace)
        let before = existed?.indexes.count ?? 0
        for spec in specs {
            try context.checkForInterrupt()
            guard case let .document(key)? = spec["key"] else {
                throw MongoError(.failedToParse, "The 'key' field is a required property of an index specification")
            }
            var name: String?
            if let value = spec["name"] {
                guard case let .string(given) = value else {
                    throw MongoError(.typeMismatch, "The field 'name' must be a string, not \(value.type.alias)")
                }
                name = given
            }
            var options = BSONDocument()
            for element in spec where !["key", "name", "ns"].contains(element.key) {
                options.append(element.key, element.value)
            }
            try engine.createIndex(on: namespace, key: key, name: name, options: options, interrupt: context.interrupt,
                                   in: transaction)
        }
        let after = (transaction?.collectionDescription(namespace)?.indexes ?? engine.indexes(of: namespace))?.count ?? before
        var reply: BSONDocument = [
            "numIndexesBefore": .int32(Int32(existed == nil ? 1 : before)),
            "numIndexesAfter": .int32(Int32(after)),
            "createdCollectionAutomatically": .bool(existed == nil),
        ]
        if after == before && existed != nil { reply.append("note", "all indexes already exist") }
        return reply
    }

    /// An index as listIndexes shows it: `{v: 2, key, name, ...options}`.
    static func document(for index: IndexDescription) -> BSONDocument {
        var document: BSONDocument = ["v": .int32(index.version), "key": .document(index.key), "name": .string(index.name)]
        for element in index.options where element.key != "v" { document.append(element.key, element.value) }
        return document
    }

    /// listIndexes.
    static func listIndexes(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        try ViewCommands.refuseView(context, namespace)
        guard let description = context.engine.collectionDescription(namespace) else {
            throw MongoError(.namespaceNotFound, "ns does not exist: \(namespace)")
        }
        let batchSize = try context.document("cursor")?["batchSize"]?.int64Value.map { Int($0) }
        return try QueryCommands.cursorReply(context, namespace: namespace.description,
                                             documents: description.indexes.map(document(for:)),
                                             batchSize: batchSize, singleBatch: false)
    }

    /// dropIndexes: `index` is a name, `"*"` (every index but `_id_`), a key pattern, or an
    /// array of names.
    static func dropIndexes(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        try ViewCommands.refuseView(context, namespace)
        let engine = context.engine
        guard let description = engine.collectionDescription(namespace) else {
            throw MongoError(.namespaceNotFound, "ns not found \(namespace)")
        }
        let names: [String]
        var reply: BSONDocument = ["nIndexesWas": .int32(Int32(description.indexes.count))]
        switch context.body["index"] {
        case .string("*")?:
            names = description.indexes.filter { !$0.isIDIndex }.map(\.name)
            reply.append("msg", "non-_id indexes dropped for collection")
        case let .string(name)?:
            names = [name]
        case let .document(key)?:
            names = [try index(withKey: key, in: description).name]
        case let .array(values)?:
            var list: [String] = []
            for value in values {
                guard case let .string(name) = value else {
                    throw MongoError(.typeMismatch, "dropIndexes.index: array elements must be index names (strings)")
                }
                list.append(name)
            }
            names = list
        case nil:
            throw MongoError(.location(40414), "BSON field 'dropIndexes.index' is missing but a required field")
        case let other?:
            throw MongoError(.typeMismatch,
                             "BSON field 'dropIndexes.index' is the wrong type '\(other.type.alias)', expected types '[string, object, array]'")
        }
        // Check every name before dropping any, as MongoDB does for a list.
        for name in names {
            if name == "_id_" { throw MongoError(.invalidOptions, "cannot drop _id index") }
            guard description.indexes.contains(where: { $0.name == name }) else {
                throw MongoError(.indexNotFound, "index not found with name [\(name)]")
            }
        }
        for name in names { try engine.dropIndex(name, on: namespace) }
        return reply
    }

    /// The one index of `description` whose key pattern is `key` (dropIndexes, collMod).
    ///
    /// - Throws: `IndexNotFound` (27); `AmbiguousIndexKeyPattern` (332) when several have it.
    static func index(withKey key: BSONDocument, in description: CollectionDescription) throws(MongoError) -> IndexDescription {
        let matching = description.indexes.filter { BSONValue.compareDocuments($0.key, key) == 0 && $0.key == key }
        guard let index = matching.first else {
            throw MongoError(.indexNotFound, "can't find index with key: \(BSONValue.document(key).extendedJSON())")
        }
        guard matching.count == 1 else {
            throw MongoError(.ambiguousIndexKeyPattern,
                             "\(matching.count) indexes found for key: \(BSONValue.document(key).extendedJSON()), identify by name instead. Conflicting indexes: \(matching.map(\.name))")
        }
        return index
    }

    /// explain: `{explain: {<command>}, verbosity}`.
    static func explain(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard case let .document(inner) = context.firstValue, let command = inner.first?.key else {
            throw MongoError(.typeMismatch, "explain command requires a nested object")
        }
        let verbosityName = try context.string("verbosity") ?? "allPlansExecution"
        guard let verbosity = ExplainVerbosity(rawValue: verbosityName) else {
            throw MongoError(.badValue, "BSON field 'explain.verbosity' value '\(verbosityName)' is not a valid value")
        }
        let innerRequest = CommandRequest(database: context.database, body: inner)
        let innerContext = CommandContext(name: command, request: innerRequest, connection: context.connection,
                                          server: context.server, operation: context.operation, deadline: context.deadline)
        let namespace = try innerContext.collectionNamespace()
        var collection = try context.engine.collection(namespace).collated(by: try innerContext.document("collation"))
        var reply: BSONDocument
        switch command {
        case "find":
            let query = try QueryCommands.findQuery(innerContext)
            if let view = try ViewCommands.resolved(innerContext, namespace) {
                reply = try view.explainAggregate(ViewQuery.findPipeline(view: [], query: query), verbosity: verbosity)
            } else {
                reply = try collection.explain(query, verbosity: verbosity)
            }
        case "count", "distinct":
            let filter = try innerContext.document("query") ?? BSONDocument()
            reply = try collection.explain(FindQuery(filter: filter), verbosity: verbosity)
        case "aggregate":
            reply = try AggregateCommand(innerContext).explain(innerContext, verbosity: verbosity)
        case "update", "delete":
            // The plan of the first statement; writes are never run for explain.
            let key = command == "update" ? "updates" : "deletes"
            let statement = try innerContext.documents(key).first ?? BSONDocument()
            let filter = statement["q"]?.documentValue ?? BSONDocument()
            collection = try collection.collated(by: try WriteCommands.statementCollation(statement, "\(command).\(key)"))
            reply = try collection.explain(FindQuery(filter: filter), verbosity: .queryPlanner)
        case "findAndModify", "findandmodify":
            let filter = try innerContext.document("query") ?? BSONDocument()
            reply = try collection.explain(FindQuery(filter: filter, sort: try innerContext.document("sort"), limit: 1),
                                           verbosity: .queryPlanner)
        default:
            throw MongoError(.commandNotFound, "Explain failed due to unknown command: \(command)")
        }
        reply["explainVersion"] = reply["explainVersion"] ?? "1"
        reply.append("command", .document(inner))
        reply.append("serverInfo", .document([
            "host": .string(SystemInfo.hostName), "port": .int32(27017),
            "version": .string(context.server.configuration.versionString), "gitVersion": "tessera",
        ]))
        return reply
    }
}
