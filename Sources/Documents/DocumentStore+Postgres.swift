// DocumentStore+Postgres: opening a store on a PostgreSQL-protocol database (PostgreSQL,
// CockroachDB, YugabyteDB) through the StoragePostgres engine (issue 21). The one place the
// Documents layer names a PostgreSQL type; `init(path:)` hands `postgresql://` URIs here.

internal import Foundation
internal import Storage
internal import StoragePostgres

extension DocumentStore {
    /// Whether `location` names a PostgreSQL-protocol database rather than a data directory.
    public static func isPostgresURI(_ location: String) -> Bool {
        PostgresLocation.isPostgresURI(location)
    }

    /// A local directory for the store's temporary files (aggregation spills): the data
    /// directory, or for a store kept in a database the machine's temporary directory
    /// (`$TMPDIR`, else /tmp), since a database URI is no directory.
    public var scratchDirectory: String {
        guard Self.isPostgresURI(path) else { return path }
        return getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }

    /// Opens the store kept in the PostgreSQL-protocol database at `uri`
    /// (`postgresql://USER[:PASSWORD]@HOST:PORT/DB`), creating its tables if missing.
    ///
    /// - Throws: `StoreOpenError.storage` for a malformed URI or an unreachable database,
    ///   and the same format errors as a directory store.
    public convenience init(postgres uri: String, options: DocumentStoreOptions = DocumentStoreOptions()) throws(StoreOpenError) {
        let configuration: PostgresConfiguration
        do {
            configuration = try PostgresConfiguration(uri: uri)
        } catch {
            throw .storage(error)
        }
        try self.init(storage: configuration, options: options)
    }
}
