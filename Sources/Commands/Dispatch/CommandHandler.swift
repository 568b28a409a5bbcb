// CommandHandler: one command's entry in the dispatch table — its names, which opcounter it
// bumps, whether the legacy OP_QUERY path may run it, and the function that runs it.

import BSON

/// Which `opcounters` field a command increments when dispatched.
enum OpCounterKind: Sendable {
    /// `command` (most commands).
    case command
    /// `query` (find).
    case query
    /// `getmore`.
    case getmore
    /// None at dispatch: the write commands count each statement themselves.
    case perStatement
}

/// A command the dispatcher can run.
struct CommandHandler: Sendable {
    /// Every name it answers to (MongoDB's names are case-sensitive; `isMaster` has the
    /// alias `ismaster`).
    let names: [String]
    /// The opcounter it bumps.
    let counter: OpCounterKind
    /// Whether a legacy OP_QUERY may carry it (the handshake only, as in MongoDB 7).
    let allowsLegacy: Bool
    /// A one-line description for listCommands.
    let help: String
    /// Runs it; the reply gets `ok: 1.0` appended.
    let run: @Sendable (CommandContext) throws(MongoError) -> BSONDocument

    init(_ names: [String], counter: OpCounterKind = .command, allowsLegacy: Bool = false, help: String,
         run: @escaping @Sendable (CommandContext) throws(MongoError) -> BSONDocument) {
        self.names = names
        self.counter = counter
        self.allowsLegacy = allowsLegacy
        self.help = help
        self.run = run
    }
}

/// Every command, by name.
enum CommandTable {
    /// All handlers.
    static let handlers: [CommandHandler] =
        HandshakeCommands.handlers + DiagnosticCommands.handlers + SessionCommands.handlers
        + QueryCommands.handlers + WriteCommands.handlers + CollectionCommands.handlers + IndexCommands.handlers
        + TransactionCommands.handlers + ParameterCommands.handlers + AuthCommands.handlers
        + X509Authentication.handlers
        + UserCommands.handlers + RoleCommands.handlers + TestCommands.handlers + BulkWriteCommand.handlers + BackupCommands.handlers
        + ProfileCommand.handlers + TopCommand.handlers + MaintenanceCommands.handlers

    /// Handlers keyed by every name.
    static let byName: [String: CommandHandler] = {
        var table: [String: CommandHandler] = [:]
        for handler in handlers {
            for name in handler.names { table[name] = handler }
        }
        return table
    }()
}
