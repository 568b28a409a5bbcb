// The PostgreSQL target of `tessera bench`: one postgres-nio connection per benchmark
// connection, driven synchronously from the connection's thread (the query's future is
// waited on, as the wire client waits on its socket), every result column read as text.

import BenchKit
import Dispatch
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A PostgreSQL server on loopback.
struct PostgresTarget: BenchTarget {
    let name = "postgres"
    let host: String
    let port: Int
    let user: String
    let database: String
    let postmasterPID: Int32?
    let dataDirectory: String?

    func connect(index: Int) throws(BenchError) -> BenchSession {
        let configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: nil, database: database, tls: .disable)
        var logger = Logger(label: "tessera.bench.postgres")
        logger.logLevel = .warning
        let connectionLogger = logger
        let outcome = ConnectOutcome()
        Task {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: index, logger: connectionLogger)
                outcome.result.withLock { $0 = .success(connection) }
            } catch {
                outcome.result.withLock { $0 = .failure(error) }
            }
            outcome.finished.signal()
        }
        outcome.finished.wait()
        switch outcome.result.withLock({ $0 }) {
        case let .success(connection)?:
            return .sql(PostgresSession(connection: connection, logger: logger))
        case let .failure(error)?:
            throw BenchError("cannot connect to PostgreSQL at \(host):\(port): \(String(reflecting: error))")
        case nil:
            throw BenchError("cannot connect to PostgreSQL at \(host):\(port)")
        }
    }

    func serverProcessIDs() -> [Int32] { postmasterPID.map { [$0] } ?? [] }

    func shutdown() {}
}

/// Where the connecting task leaves its connection for the waiting thread.
private final class ConnectOutcome: Sendable {
    let result = Mutex<Result<PostgresConnection, any Error>?>(nil)
    let finished = DispatchSemaphore(value: 0)
}

/// One PostgreSQL connection used by one thread.
final class PostgresSession: SQLSession {
    private let connection: PostgresConnection
    private let logger: Logger

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func execute(_ sql: String, _ parameters: [SQLValue]) throws(BenchError) -> [[String?]] {
        var binds = PostgresBindings(capacity: parameters.count)
        for parameter in parameters {
            switch parameter {
            case let .text(value): binds.append(value)
            case let .int(value): binds.append(value)
            case let .double(value): binds.append(value)
            case let .bool(value): binds.append(value)
            }
        }
        let result: PostgresQueryResult
        do {
            result = try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).wait()
        } catch {
            throw BenchError("PostgreSQL: \(String(reflecting: error)) in: \(sql.prefix(120))")
        }
        return result.rows.map { row in row.map { cell in (try? cell.decode(String?.self)) ?? nil } }
    }

    func close() {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in }
    }
}
