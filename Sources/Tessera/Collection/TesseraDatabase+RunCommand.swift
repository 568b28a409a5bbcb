// TesseraDatabase.runCommand: any database command MongoDB's drivers send (serverStatus,
// collStats, explain, validate, ...), run in-process by the same command dispatcher the wire
// server uses, without a socket, in the session's transaction when it has one; its reply as a
// document, a failure as a TesseraError.

import Commands
import Server

extension TesseraDatabase {
    /// Runs the command `command` (its first key names it: `["collStats": "scores"]`) on this
    /// database and returns MongoDB's reply (`ok: 1` and the command's fields).
    ///
    /// Commands run as a driver's would on a connection of their own; cursors a command opens
    /// (find, aggregate) are the dispatcher's, read with `getMore`. Given a session in a
    /// transaction, the commands a transaction may run (`find`, `aggregate`, `insert`,
    /// `update`, `delete`, `findAndModify`, `distinct`, `getMore`, ...) join it: they read its
    /// snapshot and their writes commit with it.
    ///
    /// - Throws: the reply's error (`code`, `codeName`, `errmsg`, `errorLabels`) when it is
    ///   not `ok`, e.g. `CommandNotFound` (59) for an unknown command,
    ///   `OperationNotSupportedInTransaction` (263) for any other command in a transaction
    ///   (commit and abort through ``ClientSession``); `IllegalOperation` (20) for an ended
    ///   session.
    public func runCommand(_ command: BSONDocument, session: ClientSession? = nil) async throws(TesseraError) -> BSONDocument {
        let dispatcher = try client.commandDispatcher { engine in
            CommandDispatcher(engine: engine, metrics: ServerMetrics(), logger: TesseraServer.embeddedLogger())
        }
        var body = command
        body["$db"] = .string(name)
        let request = CommandRequest(database: name, body: body)
        let transaction = try session?.joinedTransaction()
        let reply = try await EngineWork.run(client) { (_) throws(MongoError) -> BSONDocument in
            dispatcher.run(request, connection: Self.connection, transaction: transaction)
        }
        guard reply["ok"]?.doubleValue == 1 else { throw TesseraError(reply: reply) }
        return reply
    }

    /// The connection runCommand's commands run on.
    private static let connection = ConnectionInfo(id: 0, remoteAddress: "embedded", localAddress: "embedded",
                                                   availableCompressors: [])
}

extension TesseraError {
    /// The error of a failed command reply.
    init(reply: BSONDocument) {
        self.init(code: Int(reply["code"]?.int64Value ?? 8), codeName: reply["codeName"]?.stringValue ?? "UnknownError",
                  message: reply["errmsg"]?.stringValue ?? "the command failed",
                  errorLabels: reply["errorLabels"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}
