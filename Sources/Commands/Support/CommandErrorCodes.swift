// The MongoDB error codes only the command layer raises (the codes of the layers below live
// with MongoError in BSON's vocabulary). Numbers and names as in MongoDB's error_codes.yml.

import BSON

extension MongoError.Code {
    /// 4: a required value is missing (e.g. a parameter `getParameter` does not know).
    static let noSuchKey = MongoError.Code(4, "NoSuchKey")
    /// 13: the operation is not allowed here (getMore on another namespace, renameCollection
    /// outside admin).
    static let unauthorized = MongoError.Code(13, "Unauthorized")
    /// 16: a batch is empty or longer than `maxWriteBatchSize`.
    static let invalidLength = MongoError.Code(16, "InvalidLength")
    /// 43: the cursor id is unknown (never existed, exhausted, killed or timed out).
    static let cursorNotFound = MongoError.Code(43, "CursorNotFound")
    /// 59: no command has this name.
    static let commandNotFound = MongoError.Code(59, "CommandNotFound")
    /// 96: the operation failed for a reason with no more specific code.
    static let operationFailed = MongoError.Code(96, "OperationFailed")
    /// 115: the command or option exists in MongoDB but Tessera does not support it.
    static let commandNotSupported = MongoError.Code(115, "CommandNotSupported")
    /// 117: the session's current transaction number is already in use for something else.
    static let conflictingOperationInProgress = MongoError.Code(117, "ConflictingOperationInProgress")
    /// 263: the command may not run inside a multi-document transaction.
    static let operationNotSupportedInTransaction = MongoError.Code(263, "OperationNotSupportedInTransaction")
    /// 332: a key pattern matches more than one index.
    static let ambiguousIndexKeyPattern = MongoError.Code(332, "AmbiguousIndexKeyPattern")
}
