// PostgresConfiguration: the PostgreSQL engine as a `StorageEngineConfiguration`, so the
// Documents layer opens it like RocksDB. Owns nothing but the location.
public import Storage

/// Opens a `PostgresStore` on the database at `location`.
public struct PostgresConfiguration: StorageEngineConfiguration {
    /// The database.
    public var postgres: PostgresLocation

    /// A configuration for `location`.
    public init(location: PostgresLocation) {
        self.postgres = location
    }

    /// A configuration for a `postgresql://USER@HOST:PORT/DB` URI.
    public init(uri: String) throws(StorageError) {
        self.postgres = try PostgresLocation(uri: uri)
    }

    /// The database URI without its password.
    public var location: String { postgres.description }

    /// Connects, creating the schema if missing.
    public func open(mergeOperators: [String: any MergeOperator]) throws(StorageError) -> any StorageEngine {
        try PostgresStore(location: postgres, mergeOperators: mergeOperators)
    }
}
