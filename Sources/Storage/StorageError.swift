// StorageError: the one error type the Storage layer throws.
// Owns the translation of RocksDB's `char** errptr` status strings into typed errors
// (freeing the C string exactly once) and keeps the operation and path that failed.
internal import CRocksDB

/// An error from the Storage layer: what failed, where, and RocksDB's own status text.
///
/// `status` is the message RocksDB reported (for example
/// `"IO error: While mkdir if missing: /data/db: File exists"`), kept verbatim so it can
/// reach the log line; `code` classifies it for callers that branch on the kind of failure.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, following RocksDB's `Status::Code` plus a few of this layer's own.
    public enum Code: String, Sendable, Hashable {
        /// A key, file or directory was not found.
        case notFound
        /// Data on disk failed a checksum or could not be decoded (also: a merge operator failed).
        case corruption
        /// The operation is not supported by this build or backend.
        case notSupported
        /// The caller passed an argument RocksDB or this layer rejects.
        case invalidArgument
        /// The file system reported an error.
        case ioError
        /// A merge is still in progress.
        case mergeInProgress
        /// The result is incomplete (for example a read that would block).
        case incomplete
        /// The database is shutting down.
        case shutdownInProgress
        /// The operation timed out.
        case timedOut
        /// The operation was aborted.
        case aborted
        /// A resource (for example the database lock) is busy.
        case busy
        /// The operation's deadline expired.
        case expired
        /// The operation failed transiently and may be retried.
        case tryAgain
        /// A compaction would have been too large.
        case compactionTooLarge
        /// RocksDB reported that the column family was dropped.
        case columnFamilyDropped
        /// The key space was dropped through this store; its handle can no longer be used.
        case keySpaceDropped
        /// The connection to a networked engine's database was lost or never answered in time
        /// (PostgreSQL down, failing over, or unreachable): whether the operation took effect
        /// is unknown, and it may succeed once the database is reachable again.
        case connectionLost
        /// RocksDB reported a status this layer does not recognise.
        case unknown
    }

    /// The operation that failed.
    public enum Operation: String, Sendable, Hashable {
        /// Opening a database.
        case open
        /// Listing a database's column families.
        case listKeySpaces
        /// Creating a column family.
        case createKeySpace
        /// Dropping a column family.
        case dropKeySpace
        /// A point read.
        case get
        /// A single put.
        case put
        /// A single delete.
        case delete
        /// A single merge.
        case merge
        /// Applying a write batch.
        case write
        /// Iterating over a range.
        case iterate
        /// Flushing memtables to SST files.
        case flush
        /// Flushing (and optionally syncing) the write-ahead log.
        case flushWAL
        /// A manual compaction.
        case compact
        /// Creating a checkpoint.
        case checkpoint
        /// Opening a backup engine.
        case openBackupEngine
        /// Creating a backup.
        case createBackup
        /// Verifying a backup.
        case verifyBackup
        /// Restoring a backup.
        case restoreBackup
        /// Purging old backups.
        case purgeBackups
        /// Destroying a database directory.
        case destroy
        /// Measuring a directory's size on disk.
        case diskUsage
        /// Verifying the checksums of the store's files.
        case verifyChecksums
    }

    /// The kind of failure.
    public let code: Code
    /// The operation that failed.
    public let operation: Operation
    /// The database, checkpoint or backup path involved, when there is one.
    public let path: String?
    /// RocksDB's status string (or this layer's message for errors it raises itself).
    public let status: String

    /// Creates an error; `code` defaults to the classification of `status`.
    public init(_ operation: Operation, path: String?, status: String, code: Code? = nil) {
        self.operation = operation
        self.path = path
        self.status = status
        self.code = code ?? StorageError.classify(status)
    }

    /// A one-line summary: operation, path and RocksDB's status.
    public var description: String {
        if let path {
            return "storage \(operation.rawValue) failed for \(path): \(status)"
        }
        return "storage \(operation.rawValue) failed: \(status)"
    }

    /// Whether the file system was full (ENOSPC): RocksDB's `IOStatus::NoSpace` reads
    /// "IO error: No space left on device…".
    public var isNoSpace: Bool {
        status.contains("No space left on device")
    }

    /// Whether this is a full disk RocksDB recovers from by itself once space is freed: a
    /// failed append (WAL, SST, MANIFEST) or a write refused because of one. RocksDB keeps such
    /// a background error until its SstFileManager sees free space, then flushes the memtables
    /// and switches to a new WAL, and writes succeed again. An fsync that failed (even with
    /// ENOSPC) is never recoverable: the kernel may have dropped the pages it could not write.
    public var isRecoverableNoSpace: Bool {
        isNoSpace && !["While fsync", "While fdatasync", "While sync_file_range", "While fcntl(F_FULLSYNC)"]
            .contains { status.contains($0) }
    }

    /// Maps the prefix RocksDB's `Status::ToString()` puts on every message to a `Code`.
    static func classify(_ status: String) -> Code {
        let prefixes: [(String, Code)] = [
            ("NotFound", .notFound),
            ("Corruption", .corruption),
            ("Not implemented", .notSupported),
            ("Invalid argument", .invalidArgument),
            ("IO error", .ioError),
            ("Merge in progress", .mergeInProgress),
            ("Result incomplete", .incomplete),
            ("Shutdown in progress", .shutdownInProgress),
            ("Operation timed out", .timedOut),
            ("Operation aborted", .aborted),
            ("Resource busy", .busy),
            ("Operation expired", .expired),
            ("Operation failed. Try again", .tryAgain),
            ("Compaction too large", .compactionTooLarge),
            ("Column family dropped", .columnFamilyDropped),
        ]
        for (prefix, code) in prefixes where status.hasPrefix(prefix) {
            return code
        }
        return .unknown
    }

    /// Runs a RocksDB C call that reports failure through `char** errptr`; if it set an
    /// error, frees the C string with `rocksdb_free` and throws it as a `StorageError`.
    ///
    /// Some C functions return an allocation even when they fail
    /// (`rocksdb_list_column_families`, `rocksdb_create_column_family`); `release` is
    /// called with the result before throwing so nothing leaks.
    static func check<Result>(
        _ operation: Operation,
        path: String?,
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result,
        releasingOnError release: (Result) -> Void = { _ in }
    ) throws(StorageError) -> Result {
        var message: UnsafeMutablePointer<CChar>? = nil
        let result = withUnsafeMutablePointer(to: &message) { call($0) }
        if let message {
            let text = String(cString: message)
            rocksdb_free(message)
            release(result)
            throw StorageError(operation, path: path, status: text)
        }
        return result
    }
}
