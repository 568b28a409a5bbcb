// The contract between the Server (sockets, framing) and the Commands layer: what a command
// request carries, what the server tells Commands about a connection, and the counters both
// sides update for serverStatus. Commands never sees NIO types; Server never interprets
// command documents beyond the reply's `compression` field and `ok`.

public import BSON
import Synchronization

/// One command as it arrived: the OP_MSG body (or legacy OP_QUERY on `$cmd`) with every
/// kind-1 document sequence appended to the body as an array under its identifier.
public struct CommandRequest: Sendable {
    /// The database from `$db` (OP_MSG) or the `db.$cmd` namespace (OP_QUERY).
    public var database: String
    /// The command document; its first key names the command.
    public var body: BSONDocument
    /// True when the client set `moreToCome`: it reads no reply, so errors only get logged.
    public var isUnacknowledged: Bool
    /// True when the request came as a legacy OP_QUERY (only the handshake may do this).
    public var isLegacy: Bool
    /// The server holds feed getMores (change streams, awaitData cursors) on the connection
    /// until something is ready (see ``CommandDispatcher/feedWait(for:connection:)``): the
    /// getMore builds its batch without a blocking wait, so it never holds a thread.
    public var waitsOnConnection = false
    /// killOp ended this getMore's wait on the connection: it answers Interrupted.
    public var wasInterrupted = false

    /// A request from its parts.
    public init(database: String, body: BSONDocument, isUnacknowledged: Bool = false, isLegacy: Bool = false) {
        self.database = database
        self.body = body
        self.isUnacknowledged = isUnacknowledged
        self.isLegacy = isLegacy
    }
}

/// What the server knows about the connection a request came in on.
public struct ConnectionInfo: Sendable {
    /// The server-assigned connection id (`connectionId` in `hello`), unique per process.
    public var id: Int64
    /// The client's address, `host:port`.
    public var remoteAddress: String
    /// The server's address on this connection, `host:port`.
    public var localAddress: String
    /// The compressors this server can use, in preference order (`snappy`, `zstd`, `zlib`).
    /// `hello` answers with the ones the client also offers.
    public var availableCompressors: [String]
    /// The subject of the client's verified TLS certificate in RFC 2253 form, when it
    /// presented one: the user MONGODB-X509 authenticates as.
    public var clientCertificateSubject: String?

    /// Connection facts from their parts.
    public init(id: Int64, remoteAddress: String, localAddress: String, availableCompressors: [String]) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.availableCompressors = availableCompressors
    }
}

/// Counters the server and the commands update, reported by `serverStatus`.
public final class ServerMetrics: Sendable {
    private let counters = Mutex(Counters())

    /// A snapshot of every counter.
    public struct Counters: Sendable {
        /// Connections open now.
        public var currentConnections: Int = 0
        /// Connections accepted since start.
        public var totalConnections: Int = 0
        /// Bytes read from clients.
        public var bytesIn: Int = 0
        /// Bytes written to clients.
        public var bytesOut: Int = 0
        /// Messages received.
        public var requests: Int = 0

        /// All zero.
        public init() {}
    }

    /// Told of every command's outcome and duration (the metrics endpoint), or `nil`.
    public let commandObserver: (any CommandObserver)?

    /// Empty counters; `commandObserver` hears of every command the dispatcher runs.
    public init(commandObserver: (any CommandObserver)? = nil) {
        self.commandObserver = commandObserver
    }

    /// Current values.
    public var snapshot: Counters { counters.withLock { $0 } }

    /// Changes the counters under the lock.
    public func update(_ body: (inout Counters) -> Void) {
        counters.withLock { body(&$0) }
    }
}
