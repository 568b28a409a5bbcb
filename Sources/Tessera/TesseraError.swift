// TesseraError: the one error every operation of the embedding API throws — MongoDB's code,
// code name and message, with the labels drivers read (TransientTransactionError,
// UnknownTransactionCommitResult). Built from the engine's MongoError, or for failures of the
// API itself (encoding a value, decoding a document, a closed client, a cancelled task).

/// An error from a Tessera operation, as MongoDB would report it.
///
/// `code` and `codeName` are MongoDB's (11000 `DuplicateKey`, 112 `WriteConflict`, ...), so
/// code written against a MongoDB driver can match on the same numbers. `errorLabels` carries
/// the labels a driver would see (`TransientTransactionError` on a write conflict inside a
/// transaction), which ``TesseraClient/withTransaction(isolation:options:_:)`` reads to retry.
public struct TesseraError: Error, Sendable, Equatable, CustomStringConvertible {
    /// MongoDB's numeric error code.
    public let code: Int
    /// MongoDB's name for the code (`DuplicateKey`, `WriteConflict`, ...).
    public let codeName: String
    /// What went wrong.
    public let message: String
    /// Labels such as `TransientTransactionError`; empty for most errors.
    public let errorLabels: [String]
    /// Extra fields MongoDB reports with this error (a duplicate key's `keyPattern` and
    /// `keyValue`; a bulk write's failing `index`), empty for most errors.
    public let details: BSONDocument
    /// For a failed ``TesseraCollection/insertMany(_:options:session:)`` or
    /// ``TesseraCollection/bulkWrite(_:options:session:)``: every write that failed, by the
    /// position of its document or operation (MongoDB's `writeErrors`); empty otherwise.
    public let writeFailures: [BulkWriteFailure]
    /// For a failed insertMany or bulkWrite: what was written before (ordered) or besides
    /// (unordered) the failures — MongoSwift's `BulkWriteError.result`; nil otherwise.
    public let result: BulkWriteResult?

    /// The label of an error after which a whole transaction may be retried.
    public static let transientTransactionErrorLabel = "TransientTransactionError"
    /// The label of a commit whose outcome is unknown, after which the commit may be retried.
    public static let unknownTransactionCommitResultLabel = "UnknownTransactionCommitResult"

    /// An error with the given parts.
    public init(code: Int, codeName: String, message: String, errorLabels: [String] = [],
                details: BSONDocument = BSONDocument(), writeFailures: [BulkWriteFailure] = [],
                result: BulkWriteResult? = nil) {
        self.code = code
        self.codeName = codeName
        self.message = message
        self.errorLabels = errorLabels
        self.details = details
        self.writeFailures = writeFailures
        self.result = result
    }

    /// Whether the error carries `label`.
    public func hasErrorLabel(_ label: String) -> Bool {
        errorLabels.contains(label)
    }

    /// `codeName (code): message`.
    public var description: String {
        "\(codeName) (\(code)): \(message)"
    }

    /// The engine's error, its labels lifted out of its details.
    init(_ error: MongoError) {
        var details = BSONDocument()
        var labels: [String] = []
        for element in error.details {
            if element.key == "errorLabels", case let .array(values) = element.value {
                labels = values.compactMap(\.stringValue)
            } else {
                details.append(element.key, element.value)
            }
        }
        self.init(code: Int(error.code.rawValue), codeName: error.code.name, message: error.message,
                  errorLabels: labels, details: details)
    }

    /// This error with `fields` added to its details.
    func adding(_ fields: BSONDocument) -> TesseraError {
        var details = details
        for element in fields { details[element.key] = element.value }
        return TesseraError(code: code, codeName: codeName, message: message, errorLabels: errorLabels, details: details,
                            writeFailures: writeFailures, result: result)
    }

    /// The error of a bulk write (or insertMany) whose writes `failures` failed, the others
    /// having done `result`: the first failure's code, name and message, with `index` (its
    /// position) and the counts of `result` in ``details`` and every failure in
    /// ``writeFailures``.
    static func bulkWrite(_ failures: [BulkWriteFailure], result: BulkWriteResult) -> TesseraError? {
        guard let first = failures.first else { return nil }
        var details = first.details
        for element in result.document { details[element.key] = element.value }
        details["index"] = .int64(Int64(first.index))
        return TesseraError(code: first.code, codeName: first.codeName, message: first.message,
                            errorLabels: first.errorLabels, details: details, writeFailures: failures, result: result)
    }

    /// A value could not be encoded as a BSON document.
    static func encoding(_ error: any Error) -> TesseraError {
        TesseraError(code: 2, codeName: "BadValue", message: "cannot encode the value as a BSON document: \(error)")
    }

    /// A document could not be decoded as the collection's type.
    static func decoding(_ error: any Error, type: Any.Type) -> TesseraError {
        TesseraError(code: 14, codeName: "TypeMismatch", message: "cannot decode a document as \(type): \(error)")
    }

    /// An argument of the API itself was out of range.
    static func badValue(_ message: String) -> TesseraError {
        TesseraError(code: 2, codeName: "BadValue", message: message)
    }

    /// The client was closed.
    static let clientClosed = TesseraError(code: 20, codeName: "IllegalOperation", message: "the Tessera client is closed")

    /// The calling task was cancelled.
    static let cancelled = TesseraError(code: 11601, codeName: "Interrupted", message: "the operation's task was cancelled")
}
