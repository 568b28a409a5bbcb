// The two Tessera targets: a running server over TCP (the bench's own wire client), and
// Tessera embedded in the bench process — the same CommandDispatcher the server runs, over the
// same CommandStore, called directly, so the TCP/embedded ratio is what the network and the
// wire codec cost (it stays on the command path on purpose; the Tessera API has its own bench).

import BSON
import Commands
import Foundation
import Logging

/// A Tessera server reached over TCP, or TLS over TCP.
public struct TCPTarget: BenchTarget {
    /// `tcp`, or `tls` when connections use TLS.
    public var name: String { tls == nil ? "tcp" : "tls" }
    /// TLS for every connection, if used.
    public let tls: ClientTLS?
    /// What every connection logs in with, if anything.
    public let credentials: Credentials?
    /// The server's address.
    public let host: String
    /// The server's port.
    public let port: Int
    /// The server's process, when known (from `--server-pid` or `serverStatus.pid`).
    public let serverPID: Int32?
    /// The server's data directory, when given.
    public let dataDirectory: String?

    /// A target for the server at `host:port`. When `serverPID` is nil the server's own
    /// `serverStatus` names it (the bench and the server share the machine).
    /// Connections use `tls` when given and log in with `credentials` when given.
    public init(host: String, port: Int, serverPID: Int32?, dataDirectory: String?,
                tls: ClientTLS? = nil, credentials: Credentials? = nil) throws(BenchError) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.tls = tls
        self.credentials = credentials
        if let serverPID {
            self.serverPID = serverPID
        } else {
            let probe = try WireConnection(host: host, port: port, tls: tls, credentials: credentials)
            defer { probe.close() }
            let status = try probe.command(["serverStatus": 1], database: "admin")
            self.serverPID = status["pid"]?.int64Value.map { Int32($0) }
        }
    }

    /// A new wire connection.
    public func connect(index: Int) throws(BenchError) -> BenchSession {
        .document(try WireConnection(host: host, port: port, tls: tls, credentials: credentials))
    }

    /// The server's pid, if known.
    public func serverProcessIDs() -> [Int32] { serverPID.map { [$0] } ?? [] }

    /// Nothing to free: connections close with their threads.
    public func shutdown() {}
}

/// Tessera in the bench's own process.
public final class EmbeddedTarget: BenchTarget {
    /// `embedded`.
    public let name = "embedded"
    /// The store's directory.
    public let dataDirectory: String?
    private let dispatcher: CommandDispatcher

    /// Opens (creating if needed) the store at `path`.
    public init(path: String) throws(BenchError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BenchError("cannot create \(path): \(error)")
        }
        let store: CommandStore
        do {
            store = try CommandStore(path: path)
        } catch {
            throw BenchError("cannot open the store at \(path): \(error)")
        }
        var logger = Logger(label: "tessera.bench.embedded")
        logger.logLevel = .warning
        dispatcher = CommandDispatcher(store: store, metrics: ServerMetrics(), logger: logger)
        dataDirectory = path
    }

    /// A session that calls the dispatcher directly.
    public func connect(index: Int) throws(BenchError) -> BenchSession {
        .document(EmbeddedSession(dispatcher: dispatcher, connectionID: Int64(index + 1)))
    }

    /// The bench process itself (workload generation included).
    public func serverProcessIDs() -> [Int32] { [getpid()] }

    /// Nothing to free: the store closes when the target is released.
    public func shutdown() {}
}

/// One in-process "connection": the dispatcher with this session's connection id.
final class EmbeddedSession: DocumentSession {
    private let dispatcher: CommandDispatcher
    private let connection: ConnectionInfo

    init(dispatcher: CommandDispatcher, connectionID: Int64) {
        self.dispatcher = dispatcher
        self.connection = ConnectionInfo(
            id: connectionID, remoteAddress: "embedded", localAddress: "embedded", availableCompressors: [])
    }

    func command(_ body: BSONDocument, database: String, documents: [BSONDocument]?) throws(BenchError) -> BSONDocument {
        let reply = dispatcher.run(request(body, database: database, documents: documents, unacknowledged: false),
                                   connection: connection)
        try WireConnection.check(reply, for: body)
        return reply
    }

    func send(_ body: BSONDocument, database: String, documents: [BSONDocument]?) throws(BenchError) {
        _ = dispatcher.run(request(body, database: database, documents: documents, unacknowledged: true),
                           connection: connection)
    }

    func close() {
        dispatcher.connectionClosed(connection.id)
    }

    private func request(
        _ body: BSONDocument, database: String, documents: [BSONDocument]?, unacknowledged: Bool
    ) -> CommandRequest {
        var command = body
        if let documents { command.append("documents", .array(documents.map { .document($0) })) }
        command.append("$db", .string(database))
        return CommandRequest(database: database, body: command, isUnacknowledged: unacknowledged)
    }
}
