// MongoError: the one error type users meet, carrying MongoDB's numeric code, code name and
// a message. Thrown by the layer that knows what went wrong; the wire layer maps it to a reply
// in one place. Part of the shared vocabulary at the bottom layer so every layer can throw it;
// a lower layer's failure (a StorageError) rides along as `cause` and stays visible in logs.

/// An error with MongoDB's `code`, `codeName` and a human-readable message.
public struct MongoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// MongoDB's numeric error code and its name.
    public struct Code: Sendable, Hashable {
        /// The numeric code, as sent in `code` on the wire.
        public let rawValue: Int32
        /// The name, as sent in `codeName` on the wire.
        public let name: String

        /// A code from its number and name.
        public init(_ rawValue: Int32, _ name: String) {
            self.rawValue = rawValue
            self.name = name
        }

        /// 1: an unexpected internal failure (storage, corruption).
        public static let internalError = Code(1, "InternalError")
        /// 2: a value the operation cannot accept.
        public static let badValue = Code(2, "BadValue")
        /// 6: the server could not reach a host it needs (for Tessera: the database under a
        /// networked storage engine); a retryable write may be retried.
        public static let hostUnreachable = Code(6, "HostUnreachable")
        /// 9: a request or argument could not be parsed.
        public static let failedToParse = Code(9, "FailedToParse")
        /// 14: a value has the wrong BSON type.
        public static let typeMismatch = Code(14, "TypeMismatch")
        /// 15: arithmetic overflowed (for example a date out of range).
        public static let overflow = Code(15, "Overflow")
        /// 20: the operation is not allowed in this state.
        public static let illegalOperation = Code(20, "IllegalOperation")
        /// 24: a lock was not granted in time (another writer held it); the operation may be retried.
        public static let lockTimeout = Code(24, "LockTimeout")
        /// 26: the database or collection does not exist.
        public static let namespaceNotFound = Code(26, "NamespaceNotFound")
        /// 27: the index does not exist.
        public static let indexNotFound = Code(27, "IndexNotFound")
        /// 28: an update path cannot be created or traversed in the document.
        public static let pathNotViable = Code(28, "PathNotViable")
        /// 34: an update would pad an array with too many nulls.
        public static let cannotBackfillArray = Code(34, "CannotBackfillArray")
        /// 40: two update operators touch the same or overlapping paths.
        public static let conflictingUpdateOperators = Code(40, "ConflictingUpdateOperators")
        /// 47: a required pre- or post-image of a change stream event is not available.
        public static let noMatchingDocument = Code(47, "NoMatchingDocument")
        /// 48: the collection already exists.
        public static let namespaceExists = Code(48, "NamespaceExists")
        /// 52: a field name starts with `$` where that is not allowed.
        public static let dollarPrefixedFieldName = Code(52, "DollarPrefixedFieldName")
        /// 53: the `_id` value is of a type `_id` may not have.
        public static let invalidIdField = Code(53, "InvalidIdField")
        /// 54: a field that must hold a single value is an array or is matched twice.
        public static let notSingleValueField = Code(54, "NotSingleValueField")
        /// 55: `$ref`/`$id`/`$db` fields that do not form a DBRef.
        public static let invalidDBRef = Code(55, "InvalidDBRef")
        /// 56: an update path has an empty field name.
        public static let emptyFieldName = Code(56, "EmptyFieldName")
        /// 66: an update tried to change an immutable field such as `_id`.
        public static let immutableField = Code(66, "ImmutableField")
        /// 67: an index specification cannot be built (bad key pattern, bad TTL, ...).
        public static let cannotCreateIndex = Code(67, "CannotCreateIndex")
        /// 72: an option is not allowed here (e.g. dropping the `_id` index).
        public static let invalidOptions = Code(72, "InvalidOptions")
        /// 73: a database or collection name is not allowed.
        public static let invalidNamespace = Code(73, "InvalidNamespace")
        /// 85: an index with this name exists with different options.
        public static let indexOptionsConflict = Code(85, "IndexOptionsConflict")
        /// 86: an index with this name exists with a different key pattern.
        public static let indexKeySpecsConflict = Code(86, "IndexKeySpecsConflict")
        /// 111: an upsert query names part of a field that must be given whole.
        public static let notExactValueField = Code(111, "NotExactValueField")
        /// 112: a write met a concurrent change of the same document (retry the transaction).
        public static let writeConflict = Code(112, "WriteConflict")
        /// 136: a tailable cursor's position in a capped collection was evicted.
        public static let cappedPositionLost = Code(136, "CappedPositionLost")
        /// 168: an aggregation expression names an operator that does not exist.
        public static let invalidPipelineOperator = Code(168, "InvalidPipelineOperator")
        /// 171: a compound index key would need the cartesian product of two arrays.
        public static let cannotIndexParallelArrays = Code(171, "CannotIndexParallelArrays")
        /// 175: a running scan lost its index or collection (dropped meanwhile).
        public static let queryPlanKilled = Code(175, "QueryPlanKilled")
        /// 197: an index specification has a field MongoDB does not know.
        public static let invalidIndexSpecificationOption = Code(197, "InvalidIndexSpecificationOption")
        /// 217: a retried write's statement ran but its result is no longer known (a crash
        /// between its writes and the record of its reply); it is not run again.
        public static let incompleteTransactionHistory = Code(217, "IncompleteTransactionHistory")
        /// 224: a query feature is not allowed in this context.
        public static let queryFeatureNotAllowed = Code(224, "QueryFeatureNotAllowed")
        /// 225: a `txnNumber` older than the session's newest.
        public static let transactionTooOld = Code(225, "TransactionTooOld")
        /// 241: `$convert` (or `$toInt`, `$toDate`...) could not convert a value.
        public static let conversionFailure = Code(241, "ConversionFailure")
        /// 251: no open transaction has this number (it was aborted, or never started).
        public static let noSuchTransaction = Code(251, "NoSuchTransaction")
        /// 256: the transaction has already been committed.
        public static let transactionCommitted = Code(256, "TransactionCommitted")
        /// 50: the operation ran past its `maxTimeMS`.
        public static let maxTimeMSExpired = Code(50, "MaxTimeMSExpired")
        /// 146: an accumulator or stage went over its memory limit (`$push`, `$addToSet`).
        public static let exceededMemoryLimit = Code(146, "ExceededMemoryLimit")
        /// 260: a change stream resume token is malformed or cannot be resumed from.
        public static let invalidResumeToken = Code(260, "InvalidResumeToken")
        /// The server holds as many logical sessions as it may (`maxSessions`).
        public static let tooManyLogicalSessions = Code(261, "TooManyLogicalSessions")
        /// 280: a change stream cannot continue (its pipeline changed the resume token).
        public static let changeStreamFatalError = Code(280, "ChangeStreamFatalError")
        /// 286: a resume point is older than the change history the server keeps.
        public static let changeStreamHistoryLost = Code(286, "ChangeStreamHistoryLost")
        /// 291: the planner found no way to run the query (a `$geoNear` without its index, a
        /// hinted wildcard index that cannot bound the query).
        public static let noQueryExecutionPlans = Code(291, "NoQueryExecutionPlans")
        /// 292: a blocking aggregation stage went over its memory limit without `allowDiskUse`.
        public static let queryExceededMemoryLimitNoDiskUseAllowed = Code(292, "QueryExceededMemoryLimitNoDiskUseAllowed")
        /// 10334: a document is larger than the maximum BSON size.
        public static let bsonObjectTooLarge = Code(10334, "BSONObjectTooLarge")
        /// 11000: a write would duplicate a unique key.
        public static let duplicateKey = Code(11000, "DuplicateKey")
        /// 11600: the operation was stopped because the server is shutting down.
        public static let interruptedAtShutdown = Code(11600, "InterruptedAtShutdown")
        /// 11601: the operation was killed (killOp).
        public static let interrupted = Code(11601, "Interrupted")
        /// The file system is full (RocksDB reported ENOSPC).
        public static let outOfDiskSpace = Code(14031, "OutOfDiskSpace")

        /// A code MongoDB raises from one place in its source, named `Location<code>` on the
        /// wire (for example 51091 for an invalid regular expression).
        public static func location(_ rawValue: Int32) -> Code {
            Code(rawValue, "Location\(rawValue)")
        }
    }

    /// The code and code name.
    public let code: Code
    /// What went wrong, for the user.
    public let message: String
    /// The lower-layer failure behind this error (a storage engine's error behind an
    /// `InternalError` or `OutOfDiskSpace`), kept for logs; nil for errors in the statement.
    public let cause: (any Error & Sendable)?
    /// Extra fields MongoDB puts in this error's reply or write error, such as a duplicate
    /// key's `keyPattern` and `keyValue`; empty for most errors.
    public let details: BSONDocument

    /// An error with `code` and `message`, and any extra reply fields in `details`.
    /// `cause` is the lower-layer failure behind it, if any.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil, details: BSONDocument = [:]) {
        self.code = code
        self.message = message
        self.cause = cause
        self.details = details
    }

    /// Whether this error came from the storage engine (I/O, full disk, a failed journal)
    /// rather than from the statement itself; retrying the statement cannot help.
    public var isStorageFailure: Bool {
        cause != nil || code == .outOfDiskSpace
    }

    /// The cause for a log line: its description, or `-` when there is none.
    public var causeDescription: String {
        cause.map { "\($0)" } ?? "-"
    }

    /// `codeName: message`.
    public var description: String {
        "\(code.name) (\(code.rawValue)): \(message)"
    }

    /// Equal when code and message are equal.
    public static func == (lhs: MongoError, rhs: MongoError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}
