// The change stream and tailable entry points of aggregate, find and getMore: opens a
// ChangeStream or TailableCursor, registers it as a feed cursor, and answers batches with
// MongoDB's cursor reply (change streams add `postBatchResumeToken`).

import BSON
import Query

/// Change stream aggregates, tailable finds, and getMore on their cursors.
enum FeedCommands {
    /// Whether an aggregate's pipeline opens a change stream.
    static func opensChangeStream(_ context: CommandContext) -> Bool {
        guard case let .array(stages)? = context.body["pipeline"], case let .document(first)? = stages.first else { return false }
        return first.first?.key == "$changeStream"
    }

    /// aggregate with a leading `$changeStream`: `{cursor: {firstBatch, postBatchResumeToken, id, ns}}`.
    static func aggregate(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        var stages: [BSONDocument] = []
        for value in try context.requiredArray("pipeline") {
            guard case let .document(stage) = value, stage.count == 1 else {
                throw MongoError(.location(40323), "A pipeline stage specification object must contain exactly one field.")
            }
            stages.append(stage)
        }
        let collection: String?
        switch context.firstValue {
        case let .string(name): collection = name
        case let value where value.int64Value == 1: collection = nil
        default: throw MongoError(.invalidNamespace, "collection name has invalid type \(context.firstValue.type.alias)")
        }
        try Namespace.validate(database: context.database)
        // mongod runs change streams at majority read concern only: any other level given
        // explicitly is refused (no level: upconverted).
        if case let .string(level)? = try context.document("readConcern")?["level"], level != "majority" {
            throw MongoError(.invalidOptions,
                             "Aggregation stage $changeStream cannot run with a readConcern other than 'majority'. Current readConcern: \(level)")
        }
        let spec = try ChangeStreamStage.spec(pipeline: stages, database: context.database, collection: collection)
        if try context.bool("explain") == true {
            throw MongoError(.commandNotSupported, "explain of a change stream is not supported by Tessera")
        }
        let batchSize = try context.document("cursor")?["batchSize"].flatMap { $0.int64Value.map(Int.init) }
        let stream = try context.engine.watch(spec)
        let namespace = collection.map { "\(context.database).\($0)" } ?? "\(context.database).$cmd.aggregate"
        let batch = try stream.nextBatch(batchSize: batchSize, waitUntil: nil) { () throws(MongoError) in
            try context.checkForInterrupt()
        }
        var id: Int64 = 0
        if !batch.isFinished {
            id = try context.server.cursors.open(namespace: namespace, feed: .changeStream(stream), session: context.sessionID,
                                                 connectionID: context.connection.id, command: context.name)
        }
        return ["cursor": .document([
            "firstBatch": .array(batch.events.map { .document($0) }),
            "postBatchResumeToken": .document(batch.postBatchResumeToken),
            "id": .int64(id), "ns": .string(namespace),
        ])]
    }

    /// find with `tailable` (and `awaitData`) on a capped collection.
    static func tailableFind(_ context: CommandContext, namespace: Namespace, query: FindQuery) throws(MongoError) -> BSONDocument {
        if let sort = query.sort, !sort.isEmpty, sort != ["$natural": 1] {
            throw MongoError(.badValue, "cannot use tailable option with a sort other than {$natural: 1}")
        }
        let awaitData = try context.bool("awaitData") ?? false
        let filter = try Filter(query.filter)
        let projection = try query.projection.flatMap { (spec) throws(MongoError) -> Projection? in
            spec.isEmpty ? nil : try Projection(spec, filter: filter)
        }
        let cursor = try TailableCursor(collection: context.engine.collection(namespace), engine: context.engine,
                                        filter: filter, projection: projection, awaitData: awaitData,
                                        skip: query.skip, limit: query.limit)
        let batchSize = try context.nonNegativeInteger("batchSize")
        let documents = try cursor.nextBatch(batchSize: batchSize, waitUntil: nil) { () throws(MongoError) in
            try context.checkForInterrupt()
        }
        // A cursor that returned its whole limit ends, as mongod's does.
        let id = cursor.isFinished ? 0 : try context.server.cursors.open(
            namespace: namespace.description, feed: .tailable(cursor), session: context.sessionID,
            connectionID: context.connection.id, command: context.name)
        return ["cursor": .document([
            "firstBatch": .array(documents.map { .document($0) }), "id": .int64(id), "ns": .string(namespace.description),
        ])]
    }

    /// getMore on a feed cursor; `nil` when the cursor is an ordinary one.
    static func getMore(_ context: CommandContext, id: Int64, namespace: String, batchSize: Int?) throws(MongoError) -> BSONDocument? {
        guard let feed = try context.server.cursors.feed(id: id, namespace: namespace) else { return nil }
        if case let .tailable(cursor) = feed, !cursor.awaitData, context.body["maxTimeMS"] != nil {
            throw MongoError(.badValue, "cannot set maxTimeMS on getMore command for a non-awaitData cursor")
        }
        let wait = try awaitMilliseconds(context.body).map { Duration.milliseconds($0) }
        var deadline: ContinuousClock.Instant?
        switch feed {
        case .changeStream:
            deadline = .now + (wait ?? ChangeStream.defaultAwait)
        case let .tailable(cursor):
            if cursor.awaitData { deadline = .now + (wait ?? TailableCursor.defaultAwait) }
        }
        // The server already waited on the connection (no thread held): build the batch now.
        if context.request.waitsOnConnection { deadline = nil }
        let interrupt = { () throws(MongoError) in
            if context.operation.isKilled { throw MongoError(.interrupted, "operation was interrupted") }
        }
        do throws(MongoError) {
            if context.request.wasInterrupted { throw MongoError(.interrupted, "operation was interrupted") }
            try QueryCommands.failGetMoreAfterCursorCheckout(context, namespace: namespace)
            switch feed {
            case let .changeStream(stream):
                let batch = try stream.nextBatch(batchSize: batchSize, waitUntil: deadline, interrupt: interrupt)
                if batch.isFinished { context.server.cursors.close(id: id) }
                return ["cursor": .document([
                    "nextBatch": .array(batch.events.map { .document($0) }),
                    "postBatchResumeToken": .document(batch.postBatchResumeToken),
                    "id": .int64(batch.isFinished ? 0 : id), "ns": .string(namespace),
                ])]
            case let .tailable(cursor):
                let documents = try cursor.nextBatch(batchSize: batchSize, waitUntil: deadline, interrupt: interrupt)
                if cursor.isFinished { context.server.cursors.close(id: id) }
                return ["cursor": .document([
                    "nextBatch": .array(documents.map { .document($0) }), "id": .int64(cursor.isFinished ? 0 : id),
                    "ns": .string(namespace),
                ])]
            }
        } catch {
            context.server.cursors.close(id: id)
            guard case .changeStream = feed else { throw error }
            throw Self.labelledResumable(error)
        }
    }

    /// `error` with the `ResumableChangeStreamError` label when a change stream may resume
    /// after it, or `NonResumableChangeStreamError` for ChangeStreamFatalError (280), when it
    /// carries no labels of its own, as mongod labels a failed getMore.
    static func labelledResumable(_ error: MongoError) -> MongoError {
        guard error.details["errorLabels"] == nil else { return error }
        let label: String
        if FailPoints.resumableChangeStreamCodes.contains(error.code.rawValue) {
            label = "ResumableChangeStreamError"
        } else if error.code.rawValue == 280 {
            label = "NonResumableChangeStreamError"
        } else {
            return error
        }
        var details = error.details
        details.append("errorLabels", .array([.string(label)]))
        return MongoError(error.code, error.message, details: details)
    }

    /// The longest `maxAwaitTimeMS` honoured: 24 hours. Longer requests are capped (a driver
    /// asking for more gets an empty batch after a day and asks again).
    static let maximumAwaitMilliseconds: Int64 = 86_400_000

    /// How long an awaitData getMore waits, in milliseconds, capped at
    /// ``maximumAwaitMilliseconds``: its `maxTimeMS` (what drivers send for the cursor's
    /// maxAwaitTimeMS, and mongod's await time), or a `maxAwaitTimeMS` field; nil when absent.
    ///
    /// - Throws: `TypeMismatch` (14) for a non-number, `BadValue` (2) for NaN or a negative value.
    static func awaitMilliseconds(_ body: BSONDocument) throws(MongoError) -> Int64? {
        let field = body["maxAwaitTimeMS"] != nil ? "maxAwaitTimeMS" : "maxTimeMS"
        guard let value = body[field] else { return nil }
        guard value.isNumeric else {
            throw MongoError(.typeMismatch, "BSON field 'getMore.\(field)' is the wrong type '\(value.type.alias)', "
                + "expected types '[long, int, decimal, double]'")
        }
        guard let milliseconds = ClientNumber.saturatedInteger(value) else {
            throw MongoError(.badValue, "\(field) must be a number, not NaN")
        }
        guard milliseconds >= 0 else {
            throw MongoError(.badValue, "\(field) must be a non-negative integer, not \(milliseconds)")
        }
        return min(milliseconds, maximumAwaitMilliseconds)
    }
}
