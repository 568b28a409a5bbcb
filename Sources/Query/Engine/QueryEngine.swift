// QueryEngine: the Query layer's entry point. Opens a DocumentStore with the query layer's
// filter compiler installed (partial indexes need it) and hands out QueryCollections.

internal import BSON
public import Documents

/// A Tessera store with query operations.
public final class QueryEngine: Sendable {
    /// The store underneath.
    public let store: DocumentStore

    /// Opens (or creates) the store at `path`, with filters for partial indexes compiled by
    /// this layer.
    public init(path: String, options: DocumentStoreOptions = DocumentStoreOptions()) throws(StoreOpenError) {
        var options = options
        options.predicateCompiler = QueryEngine.compilePredicate
        store = try DocumentStore(path: path, options: options)
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
