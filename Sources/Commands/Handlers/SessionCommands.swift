// Logical session commands: startSession, endSessions, killSessions, refreshSessions and
// killAllSessions. Ending or killing a session kills its cursors, aborts its open
// transaction and deletes its retryable-write record; under `--auth` only one's own
// sessions, unless one holds killAnySession.

import BSON

/// Session commands.
enum SessionCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["startSession"], help: "starts a logical session") { (context) throws(MongoError) -> BSONDocument in
            let id = try context.server.sessions.start()
            return ["id": .document(["id": .binary(id)]), "timeoutMinutes": .int32(context.server.sessions.timeoutMinutes)]
        },
        CommandHandler(["endSessions"], help: "ends logical sessions and their cursors") { (context) throws(MongoError) -> BSONDocument in
            let ids = context.server.killableSessions(try SessionRegistry.sessionIDs(in: context.firstValue, command: context.name),
                                                      command: context.name, connection: context.connection)
            context.server.sessions.end(ids)
            context.server.cursors.kill(sessions: Set(ids))
            try context.engine.forgetRetryableWrites(sessions: ids)
            return BSONDocument()
        },
        CommandHandler(["killSessions"], help: "kills logical sessions and their cursors") { (context) throws(MongoError) -> BSONDocument in
            let ids = context.server.killableSessions(try SessionRegistry.sessionIDs(in: context.firstValue, command: context.name),
                                                      command: context.name, connection: context.connection)
            context.server.sessions.end(ids)
            context.server.cursors.kill(sessions: Set(ids))
            try context.engine.forgetRetryableWrites(sessions: ids)
            return BSONDocument()
        },
        CommandHandler(["killAllSessions"], help: "kills every logical session and its cursors") { (context) throws(MongoError) -> BSONDocument in
            let all = context.server.cursors.allSessions().union(context.server.sessions.all)
            context.server.sessions.end(all)
            context.server.cursors.kill(sessions: all)
            try context.engine.forgetRetryableWrites(sessions: all)
            return BSONDocument()
        },
        CommandHandler(["refreshSessions"], help: "keeps logical sessions alive") { (context) throws(MongoError) -> BSONDocument in
            for id in try SessionRegistry.sessionIDs(in: context.firstValue, command: context.name) {
                try context.server.sessions.touch(id)
            }
            return BSONDocument()
        },
    ]
}
