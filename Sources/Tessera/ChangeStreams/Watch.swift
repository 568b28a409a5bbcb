// watch() on a collection, a database and the whole client: each opens the engine's change
// stream for its scope (after checking the options and the stages that follow) and wraps it in
// a ChangeStream of typed events, or of any Decodable event type the caller names. A session
// in a transaction is refused, as MongoDB refuses $changeStream there.

import Query

extension TesseraCollection {
    /// Changes to this collection as they commit, each with the document typed as `T`.
    ///
    /// `pipeline` filters and reshapes events (`$match`, `$project`, `$addFields`, `$set`,
    /// `$unset`, `$replaceRoot`, `$replaceWith`, `$redact`; keep `_id`, the resume token).
    public func watch(_ pipeline: [BSONDocument] = [], options: ChangeStreamOptions? = nil,
                      session: ClientSession? = nil) async throws(TesseraError) -> ChangeStream<ChangeStreamEvent<T>> {
        let scope = try ChangeStreamScope.collection(database.name, name)
        return try await ChangeStreamScope.open(scope, pipeline: pipeline, options: options, session: session, client: client) {
            (event) throws(TesseraError) -> ChangeStreamEvent<T> in try ChangeStreamEvent(event)
        }
    }

    /// Changes to this collection, each event decoded as `EventType` (`BSONDocument` for the
    /// raw event, or a type matching reshaped events).
    public func watch<EventType: Decodable & Sendable>(
        _ pipeline: [BSONDocument] = [], options: ChangeStreamOptions? = nil, session: ClientSession? = nil,
        withEventType type: EventType.Type
    ) async throws(TesseraError) -> ChangeStream<EventType> {
        let scope = try ChangeStreamScope.collection(database.name, name)
        return try await ChangeStreamScope.open(scope, pipeline: pipeline, options: options, session: session, client: client) {
            (event) throws(TesseraError) -> EventType in try DocumentCodec.decode(type, from: event)
        }
    }
}

extension TesseraDatabase {
    /// Changes to every collection of this database as they commit.
    public func watch(_ pipeline: [BSONDocument] = [], options: ChangeStreamOptions? = nil,
                      session: ClientSession? = nil) async throws(TesseraError) -> ChangeStream<ChangeStreamEvent<BSONDocument>> {
        let scope = try ChangeStreamScope.make { () throws(MongoError) in
            try ChangeStreamSpec.Scope.watching(database: name, collection: nil)
        }
        return try await ChangeStreamScope.open(scope, pipeline: pipeline, options: options, session: session, client: client) {
            (event) throws(TesseraError) -> ChangeStreamEvent<BSONDocument> in try ChangeStreamEvent(event)
        }
    }
}

extension TesseraClient {
    /// Changes to every collection of every database (but `admin`, `config` and `local`) as
    /// they commit.
    public func watch(_ pipeline: [BSONDocument] = [], options: ChangeStreamOptions? = nil,
                      session: ClientSession? = nil) async throws(TesseraError) -> ChangeStream<ChangeStreamEvent<BSONDocument>> {
        try await ChangeStreamScope.open(.cluster, pipeline: pipeline, options: options, session: session, client: self) {
            (event) throws(TesseraError) -> ChangeStreamEvent<BSONDocument> in try ChangeStreamEvent(event)
        }
    }
}

/// Opening streams: scopes and the shared open.
enum ChangeStreamScope {
    /// The scope of a stream on `database`.`collection`.
    static func collection(_ database: String, _ collection: String) throws(TesseraError) -> ChangeStreamSpec.Scope {
        try make { () throws(MongoError) in try ChangeStreamSpec.Scope.watching(database: database, collection: collection) }
    }

    /// A scope, its error as a TesseraError.
    static func make(_ body: () throws(MongoError) -> ChangeStreamSpec.Scope) throws(TesseraError) -> ChangeStreamSpec.Scope {
        do throws(MongoError) {
            return try body()
        } catch {
            throw TesseraError(error)
        }
    }

    /// Opens the stream on `scope` and wraps it.
    ///
    /// - Throws: `OperationNotSupportedInTransaction` (263) given a session in a transaction
    ///   (a change stream never runs in one; outside one the session changes nothing).
    static func open<Event: Sendable>(
        _ scope: ChangeStreamSpec.Scope, pipeline: [BSONDocument], options: ChangeStreamOptions?, session: ClientSession?,
        client: TesseraClient, decode: @escaping @Sendable (BSONDocument) throws(TesseraError) -> Event
    ) async throws(TesseraError) -> ChangeStream<Event> {
        try ClientSession.checkOutsideTransaction(
            session, command: "aggregate", message: "Stage not supported inside of a multi-document transaction: $changeStream")
        let options = options ?? ChangeStreamOptions()
        let spec = try options.spec(scope: scope, stages: pipeline)
        let batchSize = try ReadNumbers.batchSize(options.batchSize)
        let stream = try await EngineWork.run(client) { (_) throws(MongoError) -> Query.ChangeStream in
            try client.openEngine().watch(spec)
        }
        return try ChangeStream(stream: stream, client: client, batchSize: batchSize, decode: decode)
    }
}
