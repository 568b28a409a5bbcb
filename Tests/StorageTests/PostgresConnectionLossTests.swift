// What the PostgreSQL engine does when its database stops answering (issue 21), on a real
// PostgreSQL 15 (PostgresTestServer): a statement with no answer within its deadline ends as
// `.connectionLost` and its connection is closed, never reused, and the pool's other
// connections are given up with it; the pool never hands out a
// connection the server closed; a statement on a connection the server ended is
// `.connectionLost`; a commit lock wait past `lock_timeout` ends as `.timedOut`; with no
// database to connect to, opening fails as `.connectionLost` once `connect_timeout` has
// passed; the URI's timeout options parse, print and refuse bad values.
import PostgresTestSupport
import Foundation
import Testing
@testable import Storage
@testable import StoragePostgres

@Suite("PostgreSQL connection loss")
struct PostgresConnectionLossTests {
    @Test func timeoutOptionsAreParsedPrintedAndChecked() throws {
        let location = try PostgresLocation(uri: "postgresql://me@h:5433/db?statement_timeout=1500&lock_timeout=90000")
        #expect(location.timeouts.statement == .milliseconds(1500))
        #expect(location.timeouts.commitLock == .milliseconds(90000))
        #expect(location.description == "postgresql://me@h:5433/db?statement_timeout=1500&lock_timeout=90000")
        let defaults = try PostgresLocation(uri: "postgresql://me@h/db")
        #expect(defaults.timeouts == PostgresTimeouts())
        #expect(defaults.description == "postgresql://me@h:5432/db")
        #expect(try PostgresLocation(uri: "postgresql://me@h/db?connect_timeout=3").timeouts.connect == .seconds(3))
        #expect(try PostgresLocation(uri: "postgresql://me@h/db?connect_timeout=3").description
            == "postgresql://me@h:5432/db?connect_timeout=3")
        for bad in ["0", "-1", "1.5", "", "86400001", "9223372036854775807", "99999999999999999999", "NaN", "1e3"] {
            for option in ["statement_timeout", "lock_timeout", "connect_timeout"] {
                let error = #expect(throws: StorageError.self) { try PostgresLocation(uri: "postgresql://me@h/db?\(option)=\(bad)") }
                #expect(error?.code == .invalidArgument, "\(option)=\(bad)")
            }
        }
        #expect(try PostgresLocation(uri: "postgresql://me@h/db?statement_timeout=86400000").timeouts.statement == .seconds(86_400))
    }

    /// The API's fields are open: any Duration converts without trapping, clamped to a week.
    @Test func timeoutsSetThroughTheAPIConvertWithoutTrapping() throws {
        var location = try PostgresLocation(uri: "postgresql://me@h/db")
        for extreme in [Duration.seconds(Int64.max), .seconds(Int64.min), .zero, .nanoseconds(1), .seconds(-1)] {
            location.timeouts.statement = extreme
            location.timeouts.commitLock = extreme
            let bounds = PostgresSQL.commitLockBounds(location.timeouts)
            #expect(bounds.count == 2)
            #expect(location.description.hasPrefix("postgresql://me@h:5432/db"))
        }
        #expect(PostgresTimeouts.milliseconds(.seconds(Int64.max)) == 604_800_000)
        #expect(PostgresTimeouts.milliseconds(.milliseconds(1500)) == 1500)
        #expect(PostgresTimeouts.milliseconds(.seconds(-5)) == 0)
        #expect(PostgresTimeouts.milliseconds(.nanoseconds(1)) == 0)
        location.timeouts.commitLock = .seconds(Int64.max)
        #expect(PostgresSQL.commitLockBounds(location.timeouts)
            == ["SET LOCAL statement_timeout = 604801000", "SET LOCAL lock_timeout = 604800000"])
    }

    @Test func aStatementWithNoAnswerInTimeIsConnectionLostAndItsConnectionIsClosed() throws {
        let server = try PostgresTestServer.start()
        let store = try PostgresStore(location: try server.makeDatabase())
        let link = try store.pool.checkOut()
        let other = try store.pool.checkOut()
        let outdated = try store.pool.checkOut()
        other.release()
        #expect(store.pool.idleCount == 1)
        // The server would cancel it itself at statement_timeout: lift that, so only the
        // client's deadline can end the wait.
        try link.run(PostgresStatement("SET statement_timeout = 0"), .get)
        let error = #expect(throws: StorageError.self) {
            try link.run(PostgresStatement("SELECT pg_sleep(30)"), .get, deadline: .milliseconds(500))
        }
        #expect(error?.code == .connectionLost)
        #expect(link.isLost)
        // A lost connection takes the pool's others with it: the idle one is closed, and one
        // checked out before the loss is not taken back.
        #expect(store.pool.idleCount == 0)
        link.release()
        outdated.release()
        #expect(store.pool.idleCount == 0)
        // The engine goes on working on a new connection.
        let space = try store.keySpace(named: "k")
        try store.put([1], [2], in: space, durability: .journaled)
        #expect(try store.get([1], in: space) == [2])
    }

    @Test func thePoolNeverHandsOutAClosedConnection() throws {
        let server = try PostgresTestServer.start()
        let store = try PostgresStore(location: try server.makeDatabase())
        let first = try store.pool.checkOut()
        let closed = first.connection
        first.release()
        #expect(store.pool.idleCount == 1)
        // The idle connection closes (as when its server goes away) while in the pool.
        try closed.close().blockingResult(within: .seconds(10))
        #expect(closed.isClosed)
        let next = try store.pool.checkOut()
        #expect(next.connection !== closed)
        #expect(!next.connection.isClosed)
        #expect(store.pool.idleCount == 0)
        try next.run(PostgresStatement("SELECT 1"), .get)
        next.release()
    }

    @Test func aStatementOnAConnectionTheServerEndedIsConnectionLost() throws {
        let server = try PostgresTestServer.start()
        let location = try server.makeDatabase()
        let store = try PostgresStore(location: location)
        let other = try PostgresStore(location: location)
        let link = try store.pool.checkOut()
        try link.run(PostgresStatement("SELECT 1"), .get)
        try terminateOtherBackends(through: other)
        let deadline = Date().addingTimeInterval(30)
        var failure: StorageError?
        while failure == nil, Date() < deadline {
            do {
                try link.run(PostgresStatement("SELECT 1"), .get)
                usleep(10_000)
            } catch {
                failure = error
            }
        }
        #expect(failure?.code == .connectionLost)
        #expect(link.isLost)
        link.release()
        let space = try store.keySpace(named: "k")
        try store.put([3], [4], in: space, durability: .journaled)
        #expect(try store.get([3], in: space) == [4])
    }

    @Test func aCommitLockWaitPastItsLockTimeoutIsTimedOutNotAHang() throws {
        let server = try PostgresTestServer.start()
        var location = try server.makeDatabase()
        location.timeouts.commitLock = .milliseconds(300)
        let holder = try PostgresStore(location: location)
        let waiter = try PostgresStore(location: location)
        let lock = try holder.lockCommits()
        let error = #expect(throws: StorageError.self) { _ = try waiter.lockCommits() }
        #expect(error?.code == .timedOut)
        lock.release()
        // Once the holder lets go, the waiter takes the lock on a fresh wait.
        let taken = try waiter.lockCommits()
        #expect(taken.isHeld)
        taken.release()
    }

    @Test func noDatabaseToConnectToIsConnectionLostAfterTheConnectTimeout() {
        // Port 1 on loopback: nothing listens, every attempt is refused.
        var location = PostgresLocation(host: "127.0.0.1", port: 1, user: "postgres", database: "none")
        location.timeouts.connect = .seconds(1)
        let error = #expect(throws: StorageError.self) { try PostgresStore(location: location) }
        #expect(error?.code == .connectionLost)
    }

    @Test func noAnswerInTimeIsClassifiedAsConnectionLost() {
        let location = PostgresLocation(host: "h", user: "u", database: "d")
        for failure in [PostgresWaitFailure.expired(.seconds(1)), .closedUnanswered] {
            let error = PostgresFailure.storageError(failure, operation: .get, location: location)
            #expect(error.code == .connectionLost)
            #expect(PostgresFailure.losesConnection(error))
        }
    }

    /// Ends every backend of the database but `store`'s own statement's (what a failover or
    /// an administrator's shutdown does to other connections).
    private func terminateOtherBackends(through store: PostgresStore) throws {
        _ = try store.pool.withLink { link throws(StorageError) in
            try link.run(PostgresStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"),
                .write)
        }
    }
}
