// TesseraDatabase: one database of an embedded store — its collections (typed or as
// BSONDocument), their listing and creation, dropping it, and watching it. MongoSwift's
// `MongoDatabase`. Its DDL and listings fail inside a session's transaction, as MongoDB's.

import Query

/// A database of a ``TesseraClient``: a name; it exists while it holds a collection.
public struct TesseraDatabase: Sendable {
    /// The database's name.
    public let name: String
    /// The client it belongs to.
    public let client: TesseraClient

    init(name: String, client: TesseraClient) {
        self.name = name
        self.client = client
    }

    /// The collection `name`, its documents as `BSONDocument`s. Writing creates it.
    public func collection(_ name: String) -> TesseraCollection<BSONDocument> {
        TesseraCollection(name: name, database: self)
    }

    /// The collection `name`, its documents encoded from and decoded as `T`.
    public func collection<T: Codable & Sendable>(_ name: String, withType type: T.Type) -> TesseraCollection<T> {
        TesseraCollection(name: name, database: self)
    }

    /// Creates the collection `name` with `options` (capped bounds, pre- and post-images);
    /// returns it. Inside `session`'s transaction it exists for others once that commits.
    ///
    /// - Throws: `NamespaceExists` (48) when it exists, `InvalidNamespace` (73) for a bad name,
    ///   `OperationNotSupportedInTransaction` (263) for a capped collection in a transaction.
    @discardableResult
    public func createCollection(_ name: String, options: CreateCollectionOptions? = nil,
                                 session: ClientSession? = nil) async throws(TesseraError) -> TesseraCollection<BSONDocument> {
        try await createCollection(name, options: options, withType: BSONDocument.self, session: session)
    }

    /// Creates the collection `name` with `options`; returns it, typed as `T`.
    ///
    /// - Throws: `NamespaceExists` (48) when it exists, `InvalidNamespace` (73) for a bad name.
    @discardableResult
    public func createCollection<T: Codable & Sendable>(
        _ name: String, options: CreateCollectionOptions? = nil, withType type: T.Type, session: ClientSession? = nil
    ) async throws(TesseraError) -> TesseraCollection<T> {
        let namespace = try Self.namespace(self.name, name)
        let transaction = try session?.joinedTransaction()
        let spec = (options ?? CreateCollectionOptions()).document
        try await EngineWork.run(client) { (_) throws(MongoError) in
            _ = try client.openEngine().createCollection(namespace, options: spec, in: transaction)
        }
        return TesseraCollection(name: name, database: self)
    }

    /// The collections of the database in name order, matching `filter` (on `name`,
    /// `type`, `options`) when given.
    public func listCollections(_ filter: BSONDocument? = nil, session: ClientSession? = nil)
        async throws(TesseraError) -> TesseraCursor<CollectionSpecification> {
        try ClientSession.checkOutsideTransaction(session, command: "listCollections")
        let name = name
        let client = client
        let documents = try await EngineWork.run(client) { (_) throws(MongoError) -> [BSONDocument] in
            let matcher = try filter.map { (spec) throws(MongoError) -> Filter in try Filter(spec) }
            return try client.openEngine().collections(in: name).map(CollectionSpecification.init).map(\.document)
                .filter { matcher?.matches($0) ?? true }
        }
        let reader = try EngineReader.documents(documents, client: client)
        return TesseraCursor(reader: reader, client: client, batchSize: ReadNumbers.defaultBatchSize, deadline: { nil }) {
            (document) throws(TesseraError) -> CollectionSpecification in
            try CollectionSpecification(document)
        }
    }

    /// The names of the collections ``listCollections(_:session:)`` lists.
    public func listCollectionNames(_ filter: BSONDocument? = nil, session: ClientSession? = nil)
        async throws(TesseraError) -> [String] {
        try await listCollections(filter, session: session).toArray().map(\.name)
    }

    /// Drops every collection of the database.
    public func drop(session: ClientSession? = nil) async throws(TesseraError) {
        try ClientSession.checkOutsideTransaction(session, command: "dropDatabase")
        let name = name
        try await EngineWork.run(client) { (_) throws(MongoError) in
            _ = try client.openEngine().dropDatabase(name)
        }
    }

    /// The namespace `database.collection`.
    ///
    /// - Throws: `InvalidNamespace` (73) for a bad name.
    static func namespace(_ database: String, _ collection: String) throws(TesseraError) -> Namespace {
        do throws(MongoError) {
            return try Namespace(database: database, collection: collection)
        } catch {
            throw TesseraError(error)
        }
    }
}

/// Options of ``TesseraDatabase/createCollection(_:options:session:)``.
public struct CreateCollectionOptions: Sendable {
    /// Whether the collection is capped (keeps the newest documents within `size` bytes).
    public var capped: Bool?
    /// Whether change events carry the documents before and after each change.
    public var changeStreamPreAndPostImages: Bool?
    /// A capped collection's most documents.
    public var max: Int?
    /// A capped collection's most bytes.
    public var size: Int?

    /// Options; nil fields take the defaults.
    public init(capped: Bool? = nil, changeStreamPreAndPostImages: Bool? = nil, max: Int? = nil, size: Int? = nil) {
        self.capped = capped
        self.changeStreamPreAndPostImages = changeStreamPreAndPostImages
        self.max = max
        self.size = size
    }

    /// The options as the engine keeps them.
    var document: BSONDocument {
        var document = BSONDocument()
        if let capped { document.append("capped", .bool(capped)) }
        if let size { document.append("size", .int64(Int64(size))) }
        if let max { document.append("max", .int64(Int64(max))) }
        if let changeStreamPreAndPostImages {
            document.append("changeStreamPreAndPostImages", ["enabled": .bool(changeStreamPreAndPostImages)])
        }
        return document
    }
}

/// A collection as ``TesseraDatabase/listCollections(_:session:)`` lists it.
public struct CollectionSpecification: Sendable, Equatable {
    /// The collection's name.
    public let name: String
    /// `collection`.
    public let type: String
    /// The options it was created with.
    public let options: BSONDocument
    /// Its indexes' names, `_id_` first.
    public let indexNames: [String]

    init(_ description: CollectionDescription) {
        name = description.namespace.collection
        type = "collection"
        options = description.options
        indexNames = description.indexes.map(\.name)
    }

    init(_ document: BSONDocument) throws(TesseraError) {
        guard let name = document["name"]?.stringValue else {
            throw TesseraError(code: 1, codeName: "InternalError", message: "a collection listing without a name")
        }
        self.name = name
        type = document["type"]?.stringValue ?? "collection"
        options = document["options"]?.documentValue ?? BSONDocument()
        indexNames = document["indexNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// `{name, type, options, indexNames}`, what a filter matches.
    var document: BSONDocument {
        ["name": .string(name), "type": .string(type), "options": .document(options),
         "indexNames": .array(indexNames.map { .string($0) })]
    }
}
