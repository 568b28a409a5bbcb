// PostgresFailure: turns postgres-nio's errors into the Storage layer's `StorageError`,
// classifying SQLSTATEs: serialization failures and deadlocks (40001, 40P01) are `.tryAgain`
// (the Documents layer reports them as MongoDB's WriteConflict, 112), lost connections `.ioError`.
internal import PostgresNIO
internal import Storage

/// Classification of PostgreSQL errors for the storage interface.
enum PostgresFailure {
    /// SQLSTATEs that mean "retry the transaction": serialization_failure, deadlock_detected.
    static let retryable: Set<String> = ["40001", "40P01"]

    /// The SQLSTATE `error` carries, if the server sent one.
    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Whether the transaction that failed with `error` may simply be run again.
    static func isRetryable(_ error: StorageError) -> Bool {
        error.code == .tryAgain
    }

    /// A `StorageError` for `error`, with the server's message and SQLSTATE when it sent one.
    static func storageError(_ error: any Error, operation: StorageError.Operation, location: PostgresLocation) -> StorageError {
        if let error = error as? StorageError { return error }
        guard let psql = error as? PSQLError else {
            return StorageError(operation, path: location.description, status: "PostgreSQL: \(error)", code: .ioError)
        }
        guard let info = psql.serverInfo, let state = info[.sqlState] else {
            // No server answer: the connection failed or closed.
            return StorageError(operation, path: location.description, status: "PostgreSQL connection: \(String(reflecting: psql.code))",
                                code: .ioError)
        }
        let message = info[.message] ?? "error"
        let code: StorageError.Code
        switch state {
        case _ where retryable.contains(state): code = .tryAgain
        case "53100": code = .ioError  // disk_full: "No space left on device" appears in the message
        case "57014": code = .aborted  // query_canceled
        case "57P01", "57P02", "57P03": code = .shutdownInProgress
        case _ where state.hasPrefix("08"): code = .ioError
        case _ where state.hasPrefix("22"), _ where state.hasPrefix("42"): code = .invalidArgument
        default: code = .unknown
        }
        return StorageError(operation, path: location.description, status: "PostgreSQL \(state): \(message)", code: code)
    }
}
