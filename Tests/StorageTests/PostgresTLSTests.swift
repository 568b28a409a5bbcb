// TLS to the database (issue 21): libpq's `sslmode` and `sslrootcert` on the PostgreSQL
// engine, against a real PostgreSQL 15 with `ssl = on` and a self-signed certificate
// (PostgresTestServer.startWithTLS). Each mode's connection is checked from the server's
// side (pg_stat_ssl); verifying modes refuse a server they cannot trust, `require` refuses a
// server without TLS, and bad option values are refused when the URI is parsed.
import Foundation
import PostgresTestSupport
import Testing
@testable import Storage
@testable import StoragePostgres

@Suite("PostgreSQL TLS")
struct PostgresTLSTests {
    /// Whether the store's connection is encrypted, as the server sees it.
    private func isEncrypted(_ store: PostgresStore) throws -> Bool {
        let link = try store.pool.checkOut()
        defer { link.release() }
        let rows = try link.run(PostgresStatement("SELECT 1 WHERE (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())"), .get)
        return rows.count == 1
    }

    /// A database on the TLS server, as a URI with `options` appended and `host` in place of 127.0.0.1.
    private func tlsDatabase(_ options: String, host: String = "127.0.0.1") throws -> (uri: String, root: String) {
        let server = try PostgresTestServer.startWithTLS()
        let root = try #require(server.certificatePath)
        let uri = try server.makeDatabaseURI().replacingOccurrences(of: "@127.0.0.1:", with: "@\(host):")
        return (uri + "?" + options.replacingOccurrences(of: "ROOT", with: root), root)
    }

    @Test func sslOptionsAreParsedPrintedAndChecked() throws {
        #expect(try PostgresLocation(uri: "postgresql://me@h/db").tls == PostgresTLS())
        #expect(PostgresTLS().mode == .prefer)
        let verifying = try PostgresLocation(uri: "postgresql://me@h/db?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(verifying.tls.mode == .verifyFull && verifying.tls.rootCertificatePath == "/etc/ca.pem")
        #expect(verifying.description == "postgresql://me@h:5432/db?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        for mode in PostgresTLSMode.allCases {
            #expect(try PostgresLocation(uri: "postgresql://me@h/db?sslmode=\(mode.rawValue)").tls.mode == mode)
        }
        for bad in ["sslmode=", "sslmode=allow", "sslmode=REQUIRE", "sslmode=verify_full", "sslmode=1", "sslrootcert="] {
            let error = #expect(throws: StorageError.self) { try PostgresLocation(uri: "postgresql://me@h/db?\(bad)") }
            #expect(error?.code == .invalidArgument, "\(bad)")
        }
    }

    @Test func everyModeThatMayEncryptDoesAndDisableDoesNot() throws {
        for (options, host) in [("sslmode=prefer", "127.0.0.1"), ("sslmode=require", "127.0.0.1"),
                                ("sslmode=verify-ca&sslrootcert=ROOT", "127.0.0.1"),
                                ("sslmode=verify-full&sslrootcert=ROOT", "localhost")] {
            let store = try PostgresStore(location: PostgresLocation(uri: try tlsDatabase(options, host: host).uri))
            #expect(try isEncrypted(store), "\(options)")
            // The engine works over it.
            let space = try store.keySpace(named: "k")
            try store.put([1], [2, 3], in: space, durability: .journaled)
            #expect(try store.get([1], in: space) == [2, 3], "\(options)")
        }
        let plain = try PostgresStore(location: PostgresLocation(uri: try tlsDatabase("sslmode=disable").uri))
        #expect(try !isEncrypted(plain))
    }

    @Test func verifyingModesRefuseAServerTheyCannotTrust() throws {
        // The system's roots do not include the test server's self-signed certificate.
        for options in ["sslmode=verify-full&connect_timeout=1", "sslmode=verify-ca&connect_timeout=1"] {
            let uri = try tlsDatabase(options, host: "localhost").uri
            let error = #expect(throws: StorageError.self) { _ = try PostgresStore(location: PostgresLocation(uri: uri)) }
            #expect(error != nil, "\(options)")
        }
        // A root file that does not exist is a bad argument, not a lost connection.
        let missing = try tlsDatabase("sslmode=verify-full&sslrootcert=/nonexistent/root.pem").uri
        let error = #expect(throws: StorageError.self) { _ = try PostgresStore(location: PostgresLocation(uri: missing)) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func requireRefusesAServerWithoutTLSAndPreferFallsBackToPlain() throws {
        let uri = try PostgresTestServer.start().makeDatabaseURI()
        let error = #expect(throws: StorageError.self) {
            _ = try PostgresStore(location: PostgresLocation(uri: uri + "?sslmode=require&connect_timeout=1"))
        }
        #expect(error != nil)
        let preferred = try PostgresStore(location: PostgresLocation(uri: uri + "?sslmode=prefer"))
        #expect(try !isEncrypted(preferred))
    }
}
