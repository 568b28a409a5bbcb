// Transaction commands: commitTransaction and abortTransaction (run through SessionStatement,
// which owns the session state; these handlers only answer a call without a transaction),
// and setParameter for transactionLifetimeLimitSeconds.

import BSON
import Documents

/// Transaction commands.
enum TransactionCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["commitTransaction"], help: "commits a multi-document transaction") { (context) throws(MongoError) -> BSONDocument in
            throw MongoError(.invalidOptions, "commitTransaction must be run within a transaction (lsid, txnNumber, autocommit: false)")
        },
        CommandHandler(["abortTransaction"], help: "aborts a multi-document transaction") { (context) throws(MongoError) -> BSONDocument in
            throw MongoError(.invalidOptions, "abortTransaction must be run within a transaction (lsid, txnNumber, autocommit: false)")
        },
        CommandHandler(["setParameter"], help: "sets server parameters (transactionLifetimeLimitSeconds)") { (context) throws(MongoError) -> BSONDocument in
            try setParameter(context)
        },
    ]

    /// setParameter: `{setParameter: 1, transactionLifetimeLimitSeconds: N}` → `{was: old}`.
    static func setParameter(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "setParameter may only be run against the admin database.")
        }
        var reply = BSONDocument()
        for element in context.body.dropFirst() {
            switch element.key {
            case "transactionLifetimeLimitSeconds":
                guard let seconds = try context.integer(element.key), seconds >= 1 else {
                    throw MongoError(.badValue, "transactionLifetimeLimitSeconds must be greater than or equal to 1")
                }
                let was = context.server.transactionLifetimeLimitSeconds.exchange(seconds, ordering: .relaxed)
                reply.append("was", .int32(Int32(clamping: was)))
            case "lsid", "$db", "$readPreference", "$clusterTime", "comment", "txnNumber", "apiVersion", "apiStrict",
                 "apiDeprecationErrors":
                continue
            default:
                throw MongoError(.invalidOptions, "attempted to set unrecognized parameter [\(element.key)], use help:true to see options")
            }
        }
        guard !reply.isEmpty else { throw MongoError(.noSuchKey, "no option found to set, use help:true to see options ") }
        return reply
    }
}
