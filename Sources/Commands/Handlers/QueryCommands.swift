// Read commands: find, getMore, killCursors, count, distinct and aggregate. Results come
// from the Query layer whole and are handed out in batches by the CursorRegistry.

import BSON
import Query

/// Read commands.
enum QueryCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["find"], counter: .query, help: "queries a collection") { (context) throws(MongoError) -> BSONDocument in
            try find(context)
        },
        CommandHandler(["getMore"], counter: .getmore, help: "the next batch of a cursor") { (context) throws(MongoError) -> BSONDocument in
            try getMore(context)
        },
        CommandHandler(["killCursors"], help: "closes cursors") { (context) throws(MongoError) -> BSONDocument in
            try killCursors(context)
        },
        CommandHandler(["count"], help: "counts matching documents") { (context) throws(MongoError) -> BSONDocument in
            try count(context)
        },
        CommandHandler(["distinct"], help: "the distinct values of a field") { (context) throws(MongoError) -> BSONDocument in
            try distinct(context)
        },
        CommandHandler(["aggregate"], help: "runs an aggregation pipeline") { (context) throws(MongoError) -> BSONDocument in
            try aggregate(context)
        },
    ]

    /// The find command's parts as a FindQuery.
    static func findQuery(_ context: CommandContext) throws(MongoError) -> FindQuery {
        let filter = try context.document("filter") ?? BSONDocument()
        let projection = try context.document("projection")
        let sort = try context.document("sort")
        let skip = try context.integer("skip").map(ClientNumber.int(clamping:)) ?? 0
        let limit = try context.integer("limit").map { Int($0) }
        guard skip >= 0 else { throw MongoError(.location(51024), "BSON field 'skip' value must be >= 0, actual value '\(skip)'") }
        if let limit, limit < 0 { throw MongoError(.location(51024), "BSON field 'limit' value must be >= 0, actual value '\(limit)'") }
        let bindings = try context.letBindings()
        return FindQuery(filter: bindings.substitutingInExpr(filter),
                         projection: projection.map { bindings.substituting(in: .document($0)).documentValue ?? $0 },
                         sort: sort, skip: skip,
                         limit: limit == 0 ? nil : limit, hint: try context.hint(),
                         sortMemory: SortMemoryLimit(allowDiskUse: try context.bool("allowDiskUse") ?? false))
    }

    /// Query operations on `namespace` under the command's `collation` (the collection's
    /// default collation when the command gives none).
    ///
    /// - Throws: `TypeMismatch` (14) when `collation` is not a document; the collation's own
    ///   errors (see `Collator.make`).
    static func collection(_ context: CommandContext, _ namespace: Namespace) throws(MongoError) -> QueryCollection {
        try context.collection(namespace).collated(by: try context.document("collation"))
    }

    /// find.
    static func find(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let query = try findQuery(context)
        let batchSize = try context.nonNegativeInteger("batchSize")
        let singleBatch = try context.bool("singleBatch") ?? false
        let noTimeout = try context.bool("noCursorTimeout") ?? false
        if try context.bool("tailable") == true {
            return try FeedCommands.tailableFind(context, namespace: namespace, query: query)
        }
        if try context.bool("awaitData") == true {
            throw MongoError(.failedToParse, "Cannot set 'awaitData' without also setting 'tailable'")
        }
        try rejectUnsupportedFindOptions(context)
        try context.checkForInterrupt()
        var documents: [BSONDocument]
        if let view = try ViewCommands.resolved(context, namespace) {
            documents = try view.find(query)
        } else if let bounds = try FindIndexBounds(context, namespace: namespace) {
            // The bounds apply before skip and limit.
            var unlimited = query
            (unlimited.skip, unlimited.limit) = (0, nil)
            documents = Array(bounds.filter(try collection(context, namespace).find(unlimited)).dropFirst(query.skip))
            if let limit = query.limit { documents = Array(documents.prefix(limit)) }
        } else if try context.bool("returnKey") == true {
            documents = try indexKeys(context, namespace: namespace, query: query)
        } else {
            // Streams: the first batch now, the rest by getMore from the same snapshot.
            let cursor = try collection(context, namespace).openCursor(query)
            return try cursorReply(context, namespace: namespace.description, cursor: cursor, batchSize: batchSize,
                                   singleBatch: singleBatch, noTimeout: noTimeout)
        }
        try context.checkForInterrupt()
        return try cursorReply(context, namespace: namespace.description, documents: documents, batchSize: batchSize,
                               singleBatch: singleBatch,
                               noTimeout: noTimeout)
    }

    /// find's `showRecordId`, which Tessera does not implement: refused with a code rather
    /// than silently ignored.
    ///
    /// - Throws: `CommandNotSupported` (115).
    static func rejectUnsupportedFindOptions(_ context: CommandContext) throws(MongoError) {
        if try context.bool("showRecordId") == true {
            throw MongoError(.commandNotSupported,
                             "find's 'showRecordId' is not supported by Tessera: records are addressed by _id, and there is no $recordId to show")
        }
    }

    /// find with `returnKey: true`: for each match, the index key the plan read it through
    /// (`{field: value}` per key-pattern field), or `{}` when the plan scans the collection,
    /// as mongod's returnKey does. Projections are ignored. A multikey field gives the array.
    static func indexKeys(_ context: CommandContext, namespace: Namespace, query: FindQuery) throws(MongoError) -> [BSONDocument] {
        var keyQuery = query
        keyQuery.projection = nil
        let collection = try collection(context, namespace)
        let explain = try collection.explain(keyQuery, verbosity: .queryPlanner)
        let keyPattern = indexKeyPattern(in: explain["queryPlanner"].flatMap { $0.documentValue?["winningPlan"] })
        let documents = try collection.find(keyQuery)
        guard let keyPattern else { return documents.map { _ in BSONDocument() } }
        return documents.map { document in
            var key = BSONDocument()
            for field in keyPattern.keys {
                key.append(field, value(atDotted: field, in: document) ?? .null)
            }
            return key
        }
    }

    /// The `keyPattern` of the IXSCAN stage in an explain `winningPlan` (nil for a COLLSCAN).
    private static func indexKeyPattern(in stage: BSONValue?) -> BSONDocument? {
        guard case let .document(stage)? = stage else { return nil }
        if stage["stage"] == "IXSCAN", case let .document(pattern)? = stage["keyPattern"] { return pattern }
        return indexKeyPattern(in: stage["inputStage"])
    }

    /// The value at a dotted path through embedded documents (not arrays).
    static func value(atDotted path: String, in document: BSONDocument) -> BSONValue? {
        var current: BSONValue = .document(document)
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case let .document(inner) = current, let next = inner[String(part)] else { return nil }
            current = next
        }
        return current
    }

    /// `{cursor: {firstBatch, id, ns}}` for `documents`, registering a cursor for the rest.
    static func cursorReply(
        _ context: CommandContext, namespace: String, documents: [BSONDocument], batchSize: Int?,
        singleBatch: Bool, noTimeout: Bool = false
    ) throws(MongoError) -> BSONDocument {
        let batch = try context.server.cursors.open(
            namespace: namespace, documents: documents, batchSize: batchSize, singleBatch: singleBatch,
            session: context.sessionID, connectionID: context.connection.id, noTimeout: noTimeout, command: context.name,
            deadline: context.deadline)
        return ["cursor": .document([
            "firstBatch": .array(batch.documents.map { .document($0) }), "id": .int64(batch.cursorID),
            "ns": .string(namespace),
        ])]
    }

    /// `{cursor: {firstBatch, id, ns}}` for the engine cursor `cursor`, registering a cursor
    /// that reads on from it when results remain.
    static func cursorReply(
        _ context: CommandContext, namespace: String, cursor: QueryCursor, batchSize: Int?,
        singleBatch: Bool, noTimeout: Bool = false
    ) throws(MongoError) -> BSONDocument {
        let batch = try context.server.cursors.open(
            namespace: namespace, engine: cursor, batchSize: batchSize, singleBatch: singleBatch, interrupt: context.interrupt,
            session: context.sessionID, connectionID: context.connection.id, noTimeout: noTimeout, command: context.name)
        try context.checkForInterrupt()
        return ["cursor": .document([
            "firstBatch": .array(batch.documents.map { .document($0) }), "id": .int64(batch.cursorID),
            "ns": .string(namespace),
        ])]
    }

    /// getMore. Its `maxTimeMS` is not a deadline, as in mongod: an awaitData cursor takes
    /// it as the await time, any other refuses it; the opening command's maxTimeMS bounds
    /// the time every getMore of the cursor spends (the dispatcher sets no deadline).
    static func getMore(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard case let .int64(id) = context.firstValue else {
            throw MongoError(.typeMismatch,
                             "BSON field 'getMore.getMore' is the wrong type '\(context.firstValue.type.alias)', expected type 'long'")
        }
        guard let collection = try context.string("collection") else {
            throw MongoError(.location(40414), "BSON field 'getMore.collection' is missing but a required field")
        }
        try Namespace.validate(database: context.database)
        let batchSize = try context.nonNegativeInteger("batchSize")
        if let reply = try FeedCommands.getMore(context, id: id, namespace: "\(context.database).\(collection)",
                                                batchSize: batchSize) {
            return reply
        }
        // Command cursors (listCollections, listIndexes) live on `<db>.$cmd.<command>`, which
        // mongod's getMore accepts though no collection may be named so.
        let namespace = collection.hasPrefix("$cmd.")
            ? "\(context.database).\(collection)"
            : try Namespace(database: context.database, collection: collection).description
        if context.server.cursors.contains(id) {
            try failGetMoreAfterCursorCheckout(context, namespace: namespace)
        }
        // The cursor's own time budget bounds this getMore; its own maxTimeMS is refused.
        let time = CursorRegistry.GetMoreTime(
            maxTimeGiven: context.body["maxTimeMS"] != nil,
            alwaysTimesOut: context.server.testCommandsEnabled && context.server.failPoints.maxTimeAlwaysTimesOut())
        let batch = try context.server.cursors.nextBatch(id: id, namespace: namespace, batchSize: batchSize,
                                                         interrupt: context.interrupt, time: time)
        return ["cursor": .document([
            "nextBatch": .array(batch.documents.map { .document($0) }), "id": .int64(batch.cursorID),
            "ns": .string(namespace),
        ])]
    }

    /// Throws the error of the `failGetMoreAfterCursorCheckout` fail point when it fires for
    /// this getMore (test commands enabled only).
    static func failGetMoreAfterCursorCheckout(_ context: CommandContext, namespace: String) throws(MongoError) {
        guard context.server.testCommandsEnabled,
              let error = context.server.failPoints.getMoreAfterCursorCheckout(
                  namespace: namespace, appName: context.server.applicationName(connection: context.connection.id))
        else { return }
        throw error
    }

    /// killCursors.
    static func killCursors(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        // Command cursors (database and cluster change streams, listCollections) live on
        // `<db>.$cmd.<command>`, as for getMore.
        let namespace: String
        if case let .string(collection) = context.firstValue, collection.hasPrefix("$cmd.") {
            try Namespace.validate(database: context.database)
            namespace = "\(context.database).\(collection)"
        } else {
            namespace = try context.collectionNamespace().description
        }
        var ids: [Int64] = []
        for value in try context.requiredArray("cursors") {
            guard case let .int64(id) = value else {
                throw MongoError(.typeMismatch,
                                 "BSON field 'killCursors.cursors' contains an element of type '\(value.type.alias)', expected type 'long'")
            }
            ids.append(id)
        }
        let outcome = context.server.cursors.kill(ids: ids, namespace: namespace)
        return [
            "cursorsKilled": .array(outcome.killed.map { .int64($0) }),
            "cursorsNotFound": .array(outcome.notFound.map { .int64($0) }),
            "cursorsAlive": .array([]),
            "cursorsUnknown": .array([]),
        ]
    }

    /// count.
    static func count(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let collection = try collection(context, namespace)
        let filter = try context.letBindings().substitutingInExpr(try context.document("query") ?? BSONDocument())
        let skip = try context.integer("skip").map(ClientNumber.int(clamping:)) ?? 0
        guard skip >= 0 else { throw MongoError(.location(51024), "BSON field 'skip' value must be >= 0, actual value '\(skip)'") }
        // A negative limit counts as its absolute value, as in MongoDB.
        let limit = try context.integer("limit").map { ClientNumber.int(clamping: $0.magnitude) }
        try context.checkForInterrupt()
        let total: Int
        if let view = try ViewCommands.resolved(context, namespace) {
            total = try view.count(filter, skip: skip, limit: limit == 0 ? nil : limit)
        } else if filter.isEmpty && skip == 0 && (limit ?? 0) == 0 && context.body["hint"] == nil {
            total = try collection.estimatedDocumentCount()
        } else {
            total = try collection.count(filter, skip: skip, limit: limit == 0 ? nil : limit, hint: try context.hint())
        }
        try context.checkForInterrupt()
        return ["n": .int32(Int32(clamping: total))]
    }

    /// distinct.
    static func distinct(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let collection = try collection(context, namespace)
        guard let key = try context.string("key") else {
            throw MongoError(.location(40414), "BSON field 'distinct.key' is missing but a required field")
        }
        let filter = try context.letBindings().substitutingInExpr(try context.document("query") ?? BSONDocument())
        try context.checkForInterrupt()
        let values: [BSONValue]
        if let view = try ViewCommands.resolved(context, namespace) {
            values = try view.distinct(key, filter: filter)
        } else {
            values = try collection.distinct(key, filter: filter)
        }
        try context.checkForInterrupt()
        return ["values": .array(values)]
    }

    /// aggregate (`$match`, `$sort`, `$skip`, `$limit`, `$project`, `$count`, plus `$set`/
    /// `$addFields` of constant values and `$unset`).
    static func aggregate(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        if FeedCommands.opensChangeStream(context) { return try FeedCommands.aggregate(context) }
        if case let .array(stages)? = context.body["pipeline"],
           stages.dropFirst().contains(where: { $0.documentValue?.first?.key == "$changeStream" }) {
            throw MongoError(.location(40602), "$changeStream is only valid as the first stage in a pipeline")
        }
        let pipeline = try AggregateCommand(context)
        let explain = try context.bool("explain") ?? false
        guard explain || context.body["cursor"] != nil else {
            throw MongoError(.failedToParse, "The 'cursor' option is required, except for aggregate with the explain argument")
        }
        let batchSize: Int?
        if let cursor = try context.document("cursor") {
            if let size = cursor["batchSize"] {
                guard size.isNumeric else {
                    throw MongoError(.typeMismatch, "BSON field 'cursor.batchSize' is the wrong type '\(size.type.alias)', expected types '[long, int, decimal, double]'")
                }
                guard let value = ClientNumber.saturatedInteger(size) else {
                    throw MongoError(.badValue, "BSON field 'cursor.batchSize' value must be a number, actual value 'NaN'")
                }
                guard value >= 0 else { throw MongoError(.location(51024), "BSON field 'batchSize' value must be >= 0, actual value '\(value)'") }
                batchSize = ClientNumber.int(clamping: value)
            } else {
                batchSize = nil
            }
        } else {
            batchSize = nil
        }
        if explain { return try pipeline.explain(context, verbosity: .queryPlanner) }
        if let cursor = try pipeline.openCursor(context) {
            return try cursorReply(context, namespace: pipeline.namespace.description, cursor: cursor,
                                   batchSize: batchSize, singleBatch: false)
        }
        let documents = try pipeline.run(context)
        return try cursorReply(context, namespace: pipeline.namespace.description, documents: documents,
                               batchSize: batchSize, singleBatch: false)
    }
}
