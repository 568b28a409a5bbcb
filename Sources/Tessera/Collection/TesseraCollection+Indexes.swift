// TesseraCollection's index and collection DDL: createIndex(es), listIndexes, dropIndex(es)
// and drop, each one engine catalog change (seen by change streams with expanded events).
// Given a session in a transaction they fail with OperationNotSupportedInTransaction (263):
// the engine's transactions hold documents, not catalog changes.

import Query

extension TesseraCollection {
    /// Builds an index on `keys` (creating the collection if needed); returns its name. An
    /// identical index already there is not an error.
    ///
    /// - Throws: `IndexOptionsConflict` (85) / `IndexKeySpecsConflict` (86) for a different
    ///   index of the same name or keys, `DuplicateKey` (11000) when existing documents break
    ///   `unique`, and MongoDB's other index errors.
    @discardableResult
    public func createIndex(_ keys: BSONDocument, indexOptions: IndexOptions? = nil, options: CreateIndexOptions? = nil,
                            session: ClientSession? = nil) async throws(TesseraError) -> String {
        try await createIndex(IndexModel(keys: keys, options: indexOptions), options: options, session: session)
    }

    /// Builds the index `model` describes; returns its name.
    @discardableResult
    public func createIndex(_ model: IndexModel, options: CreateIndexOptions? = nil,
                            session: ClientSession? = nil) async throws(TesseraError) -> String {
        try await createIndexes([model], options: options, session: session)[0]
    }

    /// Builds the indexes `models` describe, in order; returns their names. Inside
    /// `session`'s transaction only a collection the transaction creates gets new indexes
    /// (else `OperationNotSupportedInTransaction`, 263), which exist once it commits.
    @discardableResult
    public func createIndexes(_ models: [IndexModel], options: CreateIndexOptions? = nil,
                              session: ClientSession? = nil) async throws(TesseraError) -> [String] {
        guard !models.isEmpty else { throw .badValue("createIndexes needs at least one index") }
        let transaction = try session?.joinedTransaction()
        let namespace = try TesseraDatabase.namespace(database.name, name)
        let client = client
        return try await EngineWork.run(client, deadline: try EngineWork.deadline(maxTimeMS: options?.maxTimeMS)) {
            (interrupt) throws(MongoError) -> [String] in
            let engine = try client.openEngine()
            return try models.map { (model) throws(MongoError) -> String in
                try engine.createIndex(on: namespace, key: model.keys, name: model.options?.name,
                                       options: model.options?.document ?? BSONDocument(), interrupt: interrupt,
                                       in: transaction).name
            }
        }
    }

    /// The collection's indexes, `_id_` first (none when the collection does not exist).
    public func listIndexes(session: ClientSession? = nil) async throws(TesseraError) -> TesseraCursor<IndexModel> {
        try ClientSession.checkOutsideTransaction(session, command: "listIndexes")
        let namespace = try TesseraDatabase.namespace(database.name, name)
        let client = client
        let indexes = try await EngineWork.run(client) { (_) throws(MongoError) -> [BSONDocument] in
            (try client.openEngine().indexes(of: namespace) ?? []).map { index in
                ["key": .document(index.key), "name": .string(index.name), "options": .document(index.options)]
            }
        }
        let reader = try EngineReader.documents(indexes, client: client)
        let cursor = TesseraCursor(reader: reader, client: client, batchSize: ReadNumbers.defaultBatchSize, deadline: { nil }) {
            (document) throws(TesseraError) -> IndexModel in
            IndexModel(keys: document["key"]?.documentValue ?? BSONDocument(),
                       options: IndexOptions(name: document["name"]?.stringValue ?? "",
                                             catalogOptions: document["options"]?.documentValue ?? BSONDocument()))
        }
        return cursor
    }

    /// The names of the collection's indexes, `_id_` first.
    public func listIndexNames(session: ClientSession? = nil) async throws(TesseraError) -> [String] {
        try await listIndexes(session: session).toArray().compactMap(\.options?.name)
    }

    /// Drops the index `name`.
    ///
    /// - Throws: `IndexNotFound` (27), `NamespaceNotFound` (26), `InvalidOptions` (72) for `_id_`.
    public func dropIndex(_ name: String, session: ClientSession? = nil) async throws(TesseraError) {
        try ClientSession.checkOutsideTransaction(session, command: "dropIndexes")
        let namespace = try TesseraDatabase.namespace(database.name, self.name)
        try await EngineWork.run(client) { [client] (_) throws(MongoError) in
            try client.openEngine().dropIndex(name, on: namespace)
        }
    }

    /// Drops the index on `keys`.
    ///
    /// - Throws: `IndexNotFound` (27) when no index has that key pattern.
    public func dropIndex(_ keys: BSONDocument, session: ClientSession? = nil) async throws(TesseraError) {
        try ClientSession.checkOutsideTransaction(session, command: "dropIndexes")
        let namespace = try TesseraDatabase.namespace(database.name, name)
        try await EngineWork.run(client) { [client] (_) throws(MongoError) in
            let engine = try client.openEngine()
            guard let index = engine.indexes(of: namespace)?.first(where: { $0.key == keys }) else {
                throw MongoError(.indexNotFound, "can't find index with key: \(BSONValue.document(keys).extendedJSON())")
            }
            try engine.dropIndex(index.name, on: namespace)
        }
    }

    /// Drops every index but `_id_`.
    public func dropIndexes(session: ClientSession? = nil) async throws(TesseraError) {
        try ClientSession.checkOutsideTransaction(session, command: "dropIndexes")
        let namespace = try TesseraDatabase.namespace(database.name, name)
        try await EngineWork.run(client) { [client] (_) throws(MongoError) in
            let engine = try client.openEngine()
            for index in engine.indexes(of: namespace) ?? [] where index.name != "_id_" {
                try engine.dropIndex(index.name, on: namespace)
            }
        }
    }

    /// Drops the collection with its documents and indexes; nothing happens when it does
    /// not exist (as MongoSwift's `drop`).
    public func drop(session: ClientSession? = nil) async throws(TesseraError) {
        try ClientSession.checkOutsideTransaction(session, command: "drop")
        let namespace = try TesseraDatabase.namespace(database.name, name)
        try await EngineWork.run(client) { [client] (_) throws(MongoError) in
            do throws(MongoError) {
                try client.openEngine().dropCollection(namespace)
            } catch {
                guard error.code == .namespaceNotFound else { throw error }
            }
        }
    }
}
