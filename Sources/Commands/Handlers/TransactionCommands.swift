// Transaction commands: commitTransaction and abortTransaction (run through SessionStatement,
// which owns the session state; these handlers only answer a call without a transaction).

import BSON

/// Transaction commands.
enum TransactionCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["commitTransaction"], help: "commits a multi-document transaction") { (context) throws(MongoError) -> BSONDocument in
            throw MongoError(.invalidOptions, "commitTransaction must be run within a transaction (lsid, txnNumber, autocommit: false)")
        },
        CommandHandler(["abortTransaction"], help: "aborts a multi-document transaction") { (context) throws(MongoError) -> BSONDocument in
            throw MongoError(.invalidOptions, "abortTransaction must be run within a transaction (lsid, txnNumber, autocommit: false)")
        },
    ]
}
