// What lets a PostgreSQL engine follow a failover, checked on a real PostgreSQL 15
// (PostgresTestServer): multi-host URIs with target_session_attrs parse and print, a new
// connection skips a host that refuses it and, for read-write, one that is read-only, and a
// commit lock whose connection the database closed reports that it is no longer held.
import PostgresTestSupport
import Foundation
import Testing
@testable import Storage
@testable import StoragePostgres

@Suite("PostgreSQL failover")
struct PostgresFailoverTests {
    @Test func multiHostUrisAreParsedAndPrinted() throws {
        let location = try PostgresLocation(
            uri: "postgresql://me:pw@primary:5433,standby,10.0.0.3:6000/db?target_session_attrs=read-write")
        #expect(location.hosts == [PostgresHostPort(host: "primary", port: 5433), PostgresHostPort(host: "standby", port: 5432),
                                   PostgresHostPort(host: "10.0.0.3", port: 6000)])
        #expect(location.targetSessionAttributes == .readWrite)
        #expect(location.description == "postgresql://me@primary:5433,standby:5432,10.0.0.3:6000/db?target_session_attrs=read-write")
        #expect(try PostgresLocation(uri: "postgresql://me@h/db?target_session_attrs=primary").targetSessionAttributes == .primary)
        #expect(try PostgresLocation(uri: "postgresql://me@h/db").targetSessionAttributes == .any)
        for bad in ["postgresql://u@a,,b/db", "postgresql://u@a,b:0/db", "postgresql://u@a/db?target_session_attrs=standby"] {
            let error = #expect(throws: StorageError.self) { try PostgresLocation(uri: bad) }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func aHostThatRefusesConnectionsIsSkipped() throws {
        let server = try PostgresTestServer.start()
        var location = try server.makeDatabase()
        // Port 1 on loopback: nothing listens, the connection is refused.
        let live = PostgresHostPort(host: location.host, port: location.port)
        location.host = "127.0.0.1"
        location.port = 1
        location.fallbackHosts = [live]
        try expectWritable(location)
    }

    @Test func readWriteSkipsAReadOnlyServer() throws {
        let server = try PostgresTestServer.start()
        var location = try server.makeDatabase()
        let admin = try PostgresStore(location: location)
        _ = try admin.pool.withLink { link throws(StorageError) in
            try link.run(PostgresStatement("ALTER DATABASE \(location.database) SET default_transaction_read_only = on"), .write)
        }
        location.targetSessionAttributes = .readWrite
        // No host will do: the engine keeps trying for connect_timeout, then gives up.
        location.timeouts.connect = .seconds(1)
        let refused = #expect(throws: StorageError.self) { try PostgresStore(location: location) }
        #expect(refused?.code == .connectionLost)
        #expect(refused?.description.contains("read-only") == true)
        _ = try admin.pool.withLink { link throws(StorageError) in
            // This session was opened before the change: it may still write.
            try link.run(PostgresStatement("ALTER DATABASE \(location.database) SET default_transaction_read_only = off"), .write)
        }
        try expectWritable(location)
    }

    @Test func aCommitLockWhoseConnectionClosedIsNotHeld() throws {
        let server = try PostgresTestServer.start()
        let location = try server.makeDatabase()
        let holder = try PostgresStore(location: location)
        let other = try PostgresStore(location: location)
        let lock = try holder.lockCommits()
        #expect(lock.isHeld)
        // What a failover does to the holder's connection: the database ends it.
        _ = try other.pool.withLink { link throws(StorageError) in
            try link.run(PostgresStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"),
                .write)
        }
        let deadline = Date().addingTimeInterval(30)
        while lock.isHeld, Date() < deadline { usleep(10_000) }
        #expect(!lock.isHeld)
        // The row is free again: another engine takes the lock.
        let next = try other.lockCommits()
        #expect(next.isHeld)
        next.release()
        lock.release()
    }

    /// Opens an engine at `location` and checks that a write is read back.
    private func expectWritable(_ location: PostgresLocation) throws {
        let store = try PostgresStore(location: location)
        let space = try store.keySpace(named: "k")
        try store.put([1], [2], in: space, durability: .journaled)
        #expect(try store.get([1], in: space) == [2])
    }
}
