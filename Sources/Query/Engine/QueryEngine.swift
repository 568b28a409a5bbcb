// QueryEngine: the Query layer's entry point and the one way into the store. Opens a
// DocumentStore with the query layer's filter compiler installed (partial indexes need it)
// and hands out QueryCollections; DDL, catalog listing, transactions, the change log,
// change streams, journal and TTL are its extensions (QueryEngine+<Area>.swift). The store
// itself never shows: layers above talk to the engine only.

public import BSON
public import Documents

/// A Tessera store with query operations: the engine every layer above goes through.
public final class QueryEngine: Sendable {
    /// The store underneath (internal: callers go through the engine's own operations).
    let store: DocumentStore

    /// Opens (or creates) the store at `path`, with filters for partial indexes compiled by
    /// this layer.
    public init(path: String, options: DocumentStoreOptions = DocumentStoreOptions()) throws(StoreOpenError) {
        store = try DocumentStore(path: path, options: QueryEngine.storeOptions(options))
    }

    /// Whether `location`, given as ``init(path:options:)``'s path, names a database (a
    /// `postgresql://` URI: the PostgreSQL engine) rather than a data directory.
    public static func isDatabaseURI(_ location: String) -> Bool {
        DocumentStore.isPostgresURI(location)
    }

    /// The engine over a store its caller opened (tools that also measure the store itself:
    /// open it with ``storeOptions(_:)`` so partial indexes compile their filters here).
    public init(store: DocumentStore) {
        self.store = store
    }

    /// `options` with this layer's compiler for `partialFilterExpression` installed: what a
    /// store handed to ``init(store:)`` must be opened with.
    public static func storeOptions(_ options: DocumentStoreOptions = DocumentStoreOptions()) -> DocumentStoreOptions {
        var options = options
        options.predicateCompiler = QueryEngine.compilePredicate
        return options
    }

    /// Whether other Tessera servers share this engine's store (a PostgreSQL database):
    /// hello then answers as a router (`msg: "isdbgrid"`).
    public var isShared: Bool { store.isShared }

    /// Reloads the catalog when another server sharing the store changed it (one point read;
    /// nothing for a store no other server shares). Run before each command.
    public func refreshSharedCatalog() throws(MongoError) {
        try store.refreshSharedCatalog()
    }

    /// Query operations on `namespace`.
    public func collection(_ namespace: Namespace) -> QueryCollection {
        QueryCollection(store.collection(namespace))
    }

    /// Query operations on `name` in `database`.
    public func collection(_ name: String, in database: String) throws(MongoError) -> QueryCollection {
        QueryCollection(try store.collection(name, in: database))
    }

    /// The compiler the Documents layer uses for `partialFilterExpression`.
    @Sendable static func compilePredicate(_ spec: BSONDocument) throws(MongoError) -> any DocumentPredicate {
        try Filter(spec)
    }
}

extension Filter: DocumentPredicate {}
