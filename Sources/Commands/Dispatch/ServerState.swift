// ServerState: what every command handler shares — the query engine, configuration, metrics,
// cursors, sessions, running operations, opcounters and the in-memory log getLog serves.

import BSON
import Documents
import Logging
import Query
import Synchronization

/// MongoDB's `opcounters`: operations by kind since start.
struct OpCounters: Sendable {
    var insert: Int64 = 0
    var query: Int64 = 0
    var update: Int64 = 0
    var delete: Int64 = 0
    var getmore: Int64 = 0
    var command: Int64 = 0

    var document: BSONDocument {
        ["insert": .int64(insert), "query": .int64(query), "update": .int64(update),
         "delete": .int64(delete), "getmore": .int64(getmore), "command": .int64(command)]
    }
}

/// The shared state of one command dispatcher.
final class ServerState: Sendable {
    /// The most lines getLog keeps.
    static let logCapacity = 1024

    let engine: QueryEngine
    let configuration: CommandConfiguration
    let metrics: ServerMetrics
    let logger: Logger
    let cursors: CursorRegistry
    let sessions = SessionRegistry()
    /// How long a transaction may stay open before the reaper aborts it (MongoDB's
    /// `transactionLifetimeLimitSeconds`, set with setParameter).
    let transactionLifetimeLimitSeconds = Atomic<Int64>(60)
    let operations = OperationTable()
    /// Users, authenticated connections and authorization (`--auth`).
    let auth: AuthState
    let opCounters = Mutex(OpCounters())
    let started = ContinuousClock.now
    let startedAt = WallClock.now()
    private let logLines = Mutex<(lines: [String], total: Int)>(([], 0))

    init(engine: QueryEngine, configuration: CommandConfiguration, metrics: ServerMetrics, logger: Logger) {
        self.engine = engine
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        auth = AuthState(enabled: configuration.authEnabled, engine: engine)
        cursors = CursorRegistry(timeout: configuration.cursorTimeout,
                                 maxPerConnection: configuration.maxCursorsPerConnection)
    }

    /// Changes the opcounters.
    func count(_ body: (inout OpCounters) -> Void) {
        opCounters.withLock { body(&$0) }
    }

    /// Keeps `line` for getLog (the last `logCapacity` lines).
    func remember(_ line: String) {
        logLines.withLock { log in
            log.lines.append(line)
            log.total += 1
            if log.lines.count > Self.logCapacity { log.lines.removeFirst(log.lines.count - Self.logCapacity) }
        }
    }

    /// The kept log lines and how many were ever written.
    var log: (lines: [String], total: Int) { logLines.withLock { $0 } }

    /// Seconds since start.
    var uptime: Duration { ContinuousClock.now - started }
}
