// The `top` admin command: per-collection time and counts since start (TopTable), in
// mongod's reply shape `{totals: {note, "<db.coll>": {total, readLock, writeLock, queries,
// getmore, insert, update, remove, commands}}}`, times in microseconds.

import BSON

/// mongod's `top`.
enum TopCommand {
    static let handlers: [CommandHandler] = [
        CommandHandler(["top"], help: "per-collection time and counts of reads, writes and commands") {
            (context) throws(MongoError) -> BSONDocument in
            guard context.database == "admin" else {
                throw MongoError(.unauthorized, "top may only be run against the admin database.")
            }
            return ["totals": .document(context.server.top.totals)]
        },
    ]
}
