// RocksDBConfiguration: the RocksDB engine as a `StorageEngineConfiguration` — a directory
// and `StorageOptions` — so the layers above open it like any other engine. Owns only the
// merging of the caller's merge operators into the options.

/// Opens a `RocksDBStore` at `path` with `options`.
public struct RocksDBConfiguration: StorageEngineConfiguration {
    /// The database directory.
    public var path: String
    /// RocksDB settings.
    public var options: StorageOptions

    /// A configuration for the database at `path`.
    public init(path: String, options: StorageOptions = StorageOptions()) {
        self.path = path
        self.options = options
    }

    /// The database directory.
    public var location: String { path }

    /// Opens the store; `mergeOperators` join `options.mergeOperatorsByPrefix` (winning on
    /// the same prefix).
    public func open(mergeOperators: [String: any MergeOperator]) throws(StorageError) -> any StorageEngine {
        try openStore(mergeOperators: mergeOperators)
    }

    /// `open(mergeOperators:)` with the concrete type, for RocksDB-only callers.
    public func openStore(mergeOperators: [String: any MergeOperator] = [:]) throws(StorageError) -> RocksDBStore {
        var options = options
        options.mergeOperatorsByPrefix.merge(mergeOperators) { _, given in given }
        return try RocksDBStore(path: path, options: options)
    }
}
