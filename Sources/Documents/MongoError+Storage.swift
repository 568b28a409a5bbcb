// MongoError from StorageError: the one place the Documents layer turns a storage engine's
// failure into the error users meet, keeping the StorageError as the cause for the log line.
// (MongoError itself lives in BSON's vocabulary, which cannot see Storage.)

public import BSON
public import Storage

extension MongoError {
    /// A storage failure, keeping the engine's status: `OutOfDiskSpace` when the file system
    /// is full, `WriteConflict` (labelled `TransientTransactionError`, so drivers retry) when
    /// the engine gave up on a transaction that kept conflicting (`.tryAgain`: a SQL engine's
    /// serialization failure, SQLSTATE 40001), `HostUnreachable` when the connection to the
    /// engine's database was lost (`.connectionLost`: a retryable write gets
    /// `RetryableWriteError` from the dispatcher), `LockTimeout` when a lock wait ran out
    /// (`.timedOut`: PostgreSQL's `lock_timeout`, RocksDB's lock wait), otherwise `InternalError`.
    static func storage(_ error: StorageError) -> MongoError {
        switch error.code {
        case .tryAgain:
            return MongoError(.writeConflict, "Write conflict in the storage engine: \(error.description)",
                              cause: error, details: ["errorLabels": ["TransientTransactionError"]])
        case .connectionLost:
            return MongoError(.hostUnreachable, "The storage engine's database is unreachable: \(error.description)", cause: error)
        case .timedOut:
            return MongoError(.lockTimeout, "Timed out waiting for a lock in the storage engine: \(error.description)", cause: error)
        default:
            return MongoError(error.isNoSpace ? .outOfDiskSpace : .internalError, error.description, cause: error)
        }
    }

    /// The error every write gets once a journal write or sync has failed: the store refuses writes
    /// until it is reopened, because a retried fsync cannot prove the earlier writes reached
    /// the disk.
    static func journalFailed(_ error: StorageError) -> MongoError {
        // A full disk suspends writes only until RocksDB recovers; no restart is needed.
        if error.isRecoverableNoSpace { return .storage(error) }
        return MongoError(error.isNoSpace ? .outOfDiskSpace : .internalError,
                   "writes are refused since a journal (WAL) write or sync failed; restart the server to recover: \(error.description)",
                   cause: error)
    }

    /// The storage failure behind this error, when its cause is one.
    public var storageError: StorageError? {
        cause as? StorageError
    }
}
