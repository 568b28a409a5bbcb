// A dispatcher over a real store in a temporary directory, and helpers to run commands the
// way the Server does (one CommandRequest per command, per connection).

import BSON
import Commands
import Documents
import Logging
import Query
import TestSupport

/// A dispatcher on a fresh store; `run` sends commands as connection `connection`.
struct CommandTestServer {
    let engine: QueryEngine
    let dispatcher: CommandDispatcher
    let metrics: ServerMetrics

    /// Runs `body` with a server on a temporary store.
    static func with<Result>(
        configuration: CommandConfiguration = CommandConfiguration(),
        _ body: (CommandTestServer) throws -> Result
    ) throws -> Result {
        try withTemporaryStorePath { path in
            let engine = try QueryEngine(path: path)
            let metrics = ServerMetrics()
            let dispatcher = CommandDispatcher(engine: engine, configuration: configuration, metrics: metrics,
                                               logger: Logger(label: "tessera.commands.test"))
            return try body(CommandTestServer(engine: engine, dispatcher: dispatcher, metrics: metrics))
        }
    }

    /// The reply to `body` sent to `database` on connection `connection`.
    @discardableResult
    func run(_ body: BSONDocument, database: String = "test", connection: Int64 = 1,
             compressors: [String] = ["snappy", "zstd", "zlib"], legacy: Bool = false) -> BSONDocument {
        dispatcher.run(
            CommandRequest(database: database, body: body, isLegacy: legacy),
            connection: ConnectionInfo(id: connection, remoteAddress: "127.0.0.1:5\(connection)",
                                       localAddress: "127.0.0.1:27017", availableCompressors: compressors))
    }
}

extension BSONDocument {
    /// `ok` as a number.
    var ok: Double? { self["ok"]?.doubleValue }
    /// `code` as an Int.
    var code: Int? { self["code"]?.int64Value.map { Int($0) } }
}
