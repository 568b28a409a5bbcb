// PostgresFailure: turns postgres-nio's errors into the Storage layer's `StorageError`,
// classifying SQLSTATEs: serialization failures and deadlocks (40001, 40P01) are `.tryAgain`
// (the Documents layer reports them as MongoDB's WriteConflict, 112); a lost connection —
// no answer in time, the socket closed or refused, SQLSTATE class 08, an administrator's or
// crash shutdown (57P01/57P02/57P03), a host that turned read-only on failover (25006) — is
// `.connectionLost` (HostUnreachable, 6); a lock wait past `lock_timeout` (55P03) `.timedOut`
// (LockTimeout, 24). Also says which failures leave a connection unfit for reuse.
internal import PostgresNIO
internal import Storage

/// Classification of PostgreSQL errors for the storage interface.
enum PostgresFailure {
    /// SQLSTATEs that mean "retry the transaction": serialization_failure, deadlock_detected.
    static let retryable: Set<String> = ["40001", "40P01"]
    /// SQLSTATEs after which this connection (or this host) can no longer be used:
    /// admin_shutdown, crash_shutdown, cannot_connect_now, read_only_sql_transaction (the
    /// host is a standby now: the primary failed over); class 08 is checked by prefix.
    static let connectionLostStates: Set<String> = ["57P01", "57P02", "57P03", "25006"]

    /// The SQLSTATE `error` carries, if the server sent one.
    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Whether the transaction that failed with `error` may simply be run again.
    static func isRetryable(_ error: StorageError) -> Bool {
        error.code == .tryAgain
    }

    /// Whether a statement that failed with `error` leaves its connection unfit for reuse.
    static func losesConnection(_ error: StorageError) -> Bool {
        error.code == .connectionLost
    }

    /// A `StorageError` for `error`, with the server's message and SQLSTATE when it sent one.
    static func storageError(_ error: any Error, operation: StorageError.Operation, location: PostgresLocation) -> StorageError {
        if let error = error as? StorageError { return error }
        switch error as? PostgresWaitFailure {
        case let .expired(bound)?:
            return StorageError(operation, path: location.description,
                                status: "PostgreSQL did not answer within \(bound); the connection was closed", code: .connectionLost)
        case .closedUnanswered?:
            return StorageError(operation, path: location.description,
                                status: "the PostgreSQL connection closed before the statement was answered", code: .connectionLost)
        case nil:
            break
        }
        guard let psql = error as? PSQLError else {
            // A channel error: the connection was refused, reset or timed out.
            return StorageError(operation, path: location.description, status: "PostgreSQL connection: \(error)", code: .connectionLost)
        }
        guard let info = psql.serverInfo, let state = info[.sqlState] else {
            return StorageError(operation, path: location.description, status: "PostgreSQL connection: \(String(reflecting: psql.code))",
                                code: clientSideCode(psql.code))
        }
        let message = info[.message] ?? "error"
        let code: StorageError.Code
        switch state {
        case _ where retryable.contains(state): code = .tryAgain
        case _ where connectionLostStates.contains(state), _ where state.hasPrefix("08"): code = .connectionLost
        case "53100": code = .ioError  // disk_full: "No space left on device" appears in the message
        case "55P03": code = .timedOut  // lock_not_available: lock_timeout expired
        case "57014": code = .aborted  // query_canceled (statement_timeout)
        case _ where state.hasPrefix("22"), _ where state.hasPrefix("42"): code = .invalidArgument
        default: code = .unknown
        }
        return StorageError(operation, path: location.description, status: "PostgreSQL \(state): \(message)", code: code)
    }

    /// The code for a postgres-nio failure that carries no server answer: the connection's
    /// end for a closed or broken connection, `.ioError` for the protocol and authentication
    /// failures (the server answered, but not as it should).
    private static func clientSideCode(_ code: PSQLError.Code) -> StorageError.Code {
        switch code {
        case .clientClosedConnection, .serverClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            .connectionLost
        default:
            .ioError
        }
    }
}
