// The PostgresTestSupport fixture's databases as the engine's own PostgresLocation, for the
// storage tests that open PostgresStore directly.
import PostgresTestSupport
import Storage
import StoragePostgres

extension PostgresTestServer {
    /// A new, empty database on the server (``makeDatabaseURI()``), parsed.
    func makeDatabase() throws -> PostgresLocation {
        try PostgresLocation(uri: makeDatabaseURI())
    }
}
