// The MongoDB error codes only the command layer raises (the storage and query layers'
// codes live in Documents' MongoError.Code). Numbers and names as in MongoDB's error_codes.yml.

import Documents

extension MongoError.Code {
    /// 4: a required value is missing (e.g. a parameter `getParameter` does not know).
    static let noSuchKey = MongoError.Code(4, "NoSuchKey")
    /// 13: the operation is not allowed here (getMore on another namespace, renameCollection
    /// outside admin).
    static let unauthorized = MongoError.Code(13, "Unauthorized")
    /// 16: a batch is empty or longer than `maxWriteBatchSize`.
    static let invalidLength = MongoError.Code(16, "InvalidLength")
    /// 20: the operation is not allowed in this state.
    static let illegalOperation = MongoError.Code(20, "IllegalOperation")
    /// 43: the cursor id is unknown (never existed, exhausted, killed or timed out).
    static let cursorNotFound = MongoError.Code(43, "CursorNotFound")
    /// 47: a required pre- or post-image of a change stream event is not available.
    static let noMatchingDocument = MongoError.Code(47, "NoMatchingDocument")
    /// 50: the command ran past its `maxTimeMS`.
    static let maxTimeMSExpired = MongoError.Code(50, "MaxTimeMSExpired")
    /// 59: no command has this name.
    static let commandNotFound = MongoError.Code(59, "CommandNotFound")
    /// 96: the operation failed for a reason with no more specific code.
    static let operationFailed = MongoError.Code(96, "OperationFailed")
    /// 115: the command or option exists in MongoDB but Tessera does not support it.
    static let commandNotSupported = MongoError.Code(115, "CommandNotSupported")
    /// 117: the session's current transaction number is already in use for something else.
    static let conflictingOperationInProgress = MongoError.Code(117, "ConflictingOperationInProgress")
    /// 260: a change stream resume token is malformed or cannot be resumed from.
    static let invalidResumeToken = MongoError.Code(260, "InvalidResumeToken")
    /// 263: the command may not run inside a multi-document transaction.
    static let operationNotSupportedInTransaction = MongoError.Code(263, "OperationNotSupportedInTransaction")
    /// 280: a change stream cannot continue (its pipeline changed the resume token).
    static let changeStreamFatalError = MongoError.Code(280, "ChangeStreamFatalError")
    /// 286: a resume point is older than the change history the server keeps.
    static let changeStreamHistoryLost = MongoError.Code(286, "ChangeStreamHistoryLost")
    /// 332: a key pattern matches more than one index.
    static let ambiguousIndexKeyPattern = MongoError.Code(332, "AmbiguousIndexKeyPattern")
    /// 11600: the operation was interrupted because the server is shutting down.
    static let interruptedAtShutdown = MongoError.Code(11600, "InterruptedAtShutdown")
    /// 11601: the operation was killed (killOp).
    static let interrupted = MongoError.Code(11601, "Interrupted")
}
