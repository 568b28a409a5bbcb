// ServerState: what every command handler shares — the query engine, configuration, parameters,
// metrics, cursors, sessions, running operations, opcounters and the in-memory log getLog serves.

import BSON
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
    /// The longest attribute a warning logs whole (mongod's `maxLogSizeKB`, 10).
    static let maximumLoggedAttributeBytes = 10 * 1024
    /// The most lines getLog keeps.
    static let logCapacity = 1024

    let engine: QueryEngine
    let configuration: CommandConfiguration
    let metrics: ServerMetrics
    let logger: Logger
    let cursors: CursorRegistry
    let sessions: SessionRegistry
    /// The server parameters; the reapers read theirs (`cursorTimeoutMillis`,
    /// `transactionLifetimeLimitSeconds`) on every round, so setParameter takes effect live.
    let parameters: ServerParameters
    let operations = OperationTable()
    /// The topologyVersion hello reports, and the awaitable hellos waiting for it to change.
    let topology = ServerTopology()
    /// Users, authenticated connections and authorization (`--auth`).
    let auth: AuthState
    /// The audit log (`--audit-log`), if any.
    let auditLog: AuditLog?
    let opCounters = Mutex(OpCounters())
    /// serverStatus's `opLatencies`.
    let opLatencies = OpLatencies()
    /// The database profiler and the slow-operation log.
    let profiler: Profiler
    /// `top`'s per-collection figures.
    let top = TopTable()
    /// serverStatus's `metrics.document`, `metrics.operation` and `metrics.queryExecutor`.
    let documentMetrics = DocumentMetrics()
    /// `fsync: 1, lock: true` / `fsyncUnlock`.
    let fsyncLock = FsyncLock()
    /// The snapshots recent snapshot reads ran at, for reads at the same `atClusterTime`.
    let snapshotHistory = SnapshotHistory()
    /// The test-only fail points (`configureFailPoint`, with `--enable-test-commands`).
    let failPoints = FailPoints()
    /// Each connection's `client.application.name` from its hello (failCommand's `appName`).
    private let applicationNames = Mutex<[Int64: String]>([:])
    /// When the reaper last expired retryable-write records (wall-clock milliseconds).
    let retryableWriteSweep = Mutex<Int64>(0)
    let started = ContinuousClock.now
    let startedAt = WallClock.now()
    private let logLines = Mutex<(lines: [String], total: Int)>(([], 0))

    init(engine: QueryEngine, configuration: CommandConfiguration, metrics: ServerMetrics, logger: Logger) {
        self.engine = engine
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        parameters = configuration.parameters
        profiler = Profiler(slowMillis: configuration.slowMilliseconds, sampleRate: configuration.slowOpSampleRate)
        sessions = SessionRegistry(maximumCount: Int(clamping: configuration.parameters.integer("maxSessions")),
                                   timeoutMinutes: Int32(clamping: configuration.parameters.integer("localLogicalSessionTimeoutMinutes")))
        SpillBudget.process.configure(maximumBytes: Int(clamping: configuration.parameters.integer("spillMaxBytes")),
                                      maximumFiles: Int(clamping: configuration.parameters.integer("spillMaxFiles")))
        let timeout = configuration.cursorTimeout.components
        let (millis, overflow) = timeout.seconds.multipliedReportingOverflow(by: 1000)
        parameters.configureDefault(
            "cursorTimeoutMillis", .int64(overflow ? .max : millis.addingReportingOverflow(timeout.attoseconds / 1_000_000_000_000_000).partialValue))
        auth = AuthState(enabled: configuration.authEnabled, engine: engine)
        auditLog = configuration.auditLogPath.map { AuditLog(path: $0, logger: logger) }
        cursors = CursorRegistry(timeout: configuration.cursorTimeout,
                                 maxPerConnection: configuration.maxCursorsPerConnection)
        engine.onValidationWarning { [weak self] namespace, document, errInfo in
            self?.logValidationWarning(namespace: namespace, document: document, errInfo: errInfo)
        }
        restoreProfileSettings()
    }

    /// Takes on the profiler settings stored before the restart; a failure is logged (the
    /// profiler then starts off).
    private func restoreProfileSettings() {
        do throws(MongoError) {
            let (stored, skipped) = try ProfileSettingsStore(engine: engine).load()
            profiler.restore(stored)
            for database in skipped {
                logger.warning("stored profiler filter no longer parses; profiling left off", metadata: ["db": "\(database)"])
            }
        } catch {
            logger.warning("cannot read the stored profiler settings", metadata: ["error": "\(error)"])
        }
    }

    /// Stores `database`'s profiler settings and the server-wide ones, so they outlive a
    /// restart; a failure is logged, never reported to the client.
    func saveProfileSettings(of database: String) {
        let store = ProfileSettingsStore(engine: engine)
        do throws(MongoError) {
            try store.save(profiler.profile(of: database), of: database)
            try store.saveServer(slowMillis: profiler.slowMilliseconds, sampleRate: profiler.sampleRate)
        } catch {
            logger.warning("cannot store the profiler settings", metadata: ["db": "\(database)", "error": "\(error)"])
        }
    }

    /// Logs mongod's warning 20294 for a write that fails its collection's validator and goes
    /// ahead (`validationAction: "warn"`), and keeps it for getLog. A document over mongod's
    /// 10 KB attribute limit (`maxLogSizeKB`) is logged as its `_id`, with its size.
    private func logValidationWarning(namespace: Namespace, document: BSONDocument, errInfo: BSONDocument) {
        let documentJSON = BSONValue.document(document).extendedJSON()
        let truncated = documentJSON.utf8.count > Self.maximumLoggedAttributeBytes
        let logged: BSONDocument = truncated ? ["_id": document["_id"] ?? .null] : document
        var errInfo = errInfo
        if truncated { errInfo["details"] = nil }
        let attributes: BSONDocument = [
            "namespace": .string(namespace.description), "document": .document(logged), "errInfo": .document(errInfo),
        ]
        var line: BSONDocument = [
            "t": .datetime(WallClock.now()), "s": "W", "c": "STORAGE", "id": .int32(20294),
            "msg": "Document would fail validation", "attr": .document(attributes),
        ]
        if truncated { line["size"] = .document(["document": .int64(Int64(documentJSON.utf8.count))]) }
        logger.warning("Document would fail validation", metadata: ["attr": "\(BSONValue.document(attributes).extendedJSON())"])
        remember(BSONValue.document(line).extendedJSON())
    }

    /// Accounts a finished command: `top`, the document metrics, the profiler and the
    /// slow-operation log.
    func commandFinished(_ command: FinishedCommand) {
        top.record(command.name, namespace: Profiler.namespace(command.request), duration: command.duration)
        if command.name == "dropDatabase" {
            top.dropDatabase(command.request.database)
            let settings = profiler.profile(of: command.request.database)
            if settings.level > 0 || settings.filter != nil {
                profiler.forget(command.request.database)
                saveProfileSettings(of: command.request.database)
            }
        }
        documentMetrics.record(command.name, reply: command.reply, tally: command.operation.tally)
        profiler.finished(command, server: self)
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

    /// Remembers the application name a connection's hello gave.
    func setApplicationName(_ name: String, connection: Int64) {
        applicationNames.withLock { $0[connection] = name }
    }

    /// The application name connection `id`'s hello gave, if any.
    func applicationName(connection id: Int64) -> String? {
        applicationNames.withLock { $0[id] }
    }

    /// Forgets a closed connection's application name.
    func forgetApplicationName(connection id: Int64) {
        _ = applicationNames.withLock { $0.removeValue(forKey: id) }
    }

    /// True when `tessera serve --enable-test-commands` (or `enableTestCommands=1`) started it.
    var testCommandsEnabled: Bool { parameters.bool("enableTestCommands") }

    /// Seconds since start.
    var uptime: Duration { ContinuousClock.now - started }
}
