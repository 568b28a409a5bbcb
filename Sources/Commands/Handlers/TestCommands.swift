// The test-only commands drivers' test suites call: configureFailPoint and waitForFailPoint,
// and Tessera's own `_tesseraCorruptIndex` (breaks an index so `validate` can be shown to
// notice). They exist only when the server started with `--enable-test-commands`
// (`enableTestCommands=1`); otherwise they answer 59 CommandNotFound, as mongod's unregistered ones.

import BSON
import Query

/// configureFailPoint, waitForFailPoint and _tesseraCorruptIndex.
enum TestCommands {
    /// The commands that exist only with test commands enabled.
    static let names: Set<String> = ["configureFailPoint", "waitForFailPoint", "_tesseraCorruptIndex"]

    static let handlers: [CommandHandler] = [
        CommandHandler(["configureFailPoint"], help: "modifies the settings of a fail point") { (context) throws(MongoError) -> BSONDocument in
            try checkAvailable(context)
            guard case let .string(name) = context.firstValue else {
                throw MongoError(.typeMismatch, "configureFailPoint: the fail point name must be a string")
            }
            let data = try context.document("data") ?? [:]
            let count = try context.server.failPoints.configure(name, mode: context.body["mode"], data: data)
            context.server.logger.info("fail point configured", metadata: [
                "failPoint": "\(name)", "mode": "\(context.body["mode"]?.extendedJSON() ?? "-")",
            ])
            return ["count": .int64(count)]
        },
        CommandHandler(["waitForFailPoint"], help: "waits until a fail point has been entered a number of times") { (context) throws(MongoError) -> BSONDocument in
            try checkAvailable(context)
            guard case let .string(name) = context.firstValue else {
                throw MongoError(.typeMismatch, "waitForFailPoint: the fail point name must be a string")
            }
            guard let target = try context.integer("timesEntered") else {
                throw MongoError(.location(40414), "BSON field 'waitForFailPoint.timesEntered' is missing but a required field")
            }
            guard context.body["maxTimeMS"] != nil else {
                throw MongoError(.location(40414), "BSON field 'waitForFailPoint.maxTimeMS' is missing but a required field")
            }
            while try context.server.failPoints.timesEntered(name) < target {
                try context.checkForInterrupt()
                PoolThread.sleep(.milliseconds(5))
            }
            return [:]
        },
        CommandHandler(["_tesseraCorruptIndex"], help: "test only: removes or adds index entries behind the write path") { (context) throws(MongoError) -> BSONDocument in
            try checkAvailable(context)
            guard case let .string(name) = context.firstValue else {
                throw MongoError(.typeMismatch, "_tesseraCorruptIndex: the namespace must be a string")
            }
            let namespace = try CollectionCommands.namespace(name)
            guard let index = try context.string("index") else {
                throw MongoError(.location(40414), "BSON field '_tesseraCorruptIndex.index' is missing but a required field")
            }
            let corruption: IndexCorruption
            if let id = context.body["removeEntriesOf"] {
                corruption = .removeEntries(ofID: id)
            } else if let id = context.body["addEntriesLike"], let phantom = context.body["phantomID"] {
                corruption = .addEntries(likeID: id, phantomID: phantom)
            } else {
                throw MongoError(.badValue, "_tesseraCorruptIndex needs 'removeEntriesOf', or 'addEntriesLike' and 'phantomID'")
            }
            let touched = try context.engine.corruptIndex(index, of: namespace, corruption)
            context.server.logger.warning("index corrupted on purpose (test command)", metadata: [
                "ns": "\(namespace)", "index": "\(index)", "entries": "\(touched)",
            ])
            return ["entries": .int64(Int64(touched))]
        },
    ]

    /// Throws CommandNotFound (59) without test commands, Unauthorized (13) outside `admin`.
    private static func checkAvailable(_ context: CommandContext) throws(MongoError) {
        guard context.server.testCommandsEnabled else {
            throw MongoError(.commandNotFound, "no such command: '\(context.name)'")
        }
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "\(context.name) may only be run against the admin database.")
        }
    }
}
