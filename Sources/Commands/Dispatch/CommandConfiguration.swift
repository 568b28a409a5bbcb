// CommandConfiguration: the tunables of the Commands layer (cursor timeout and limits,
// what getCmdLineOpts reports, the parameter registry). Set once by the server at start.

public import BSON

/// How the command layer behaves.
public struct CommandConfiguration: Sendable {
    /// How long a cursor may sit unused before `reapIdleCursors` kills it (MongoDB's
    /// `cursorTimeoutMillis`, 10 minutes by default). `noCursorTimeout` cursors are exempt.
    public var cursorTimeout: Duration
    /// The most cursors one connection may hold open at once; opening one more fails
    /// with `OperationFailed` (96). MongoDB has no such limit; Tessera caps memory with it.
    public var maxCursorsPerConnection: Int
    /// What `getCmdLineOpts` answers: `{argv: [...], parsed: {...}}`.
    public var commandLine: BSONDocument
    /// The server version `buildInfo` and `serverStatus` report, as MongoDB's
    /// `major.minor.patch`; drivers gate features on it.
    public var mongoVersion: (major: Int32, minor: Int32, patch: Int32)
    /// Tessera's own version, reported next to the MongoDB-compatible one.
    public var tesseraVersion: String
    /// Lines `getLog: "startupWarnings"` returns.
    public var startupWarnings: [String]
    /// The server parameters (getParameter, setParameter, `--set-parameter`). `cursorTimeout`
    /// is the default of its `cursorTimeoutMillis` unless that was set at start.
    public var parameters: ServerParameters
    /// Whether clients must authenticate and be authorized for each command (`--auth`).
    public var authEnabled: Bool
    /// Where the audit log goes (`--audit-log FILE`), or `nil` for none.
    public var auditLogPath: String?
    /// Commands that take at least this many milliseconds are logged as slow and recorded
    /// by a level-1 profiler (mongod's `--slowms`, 100 by default).
    public var slowMilliseconds = 100
    /// The share of slow commands logged and profiled (mongod's `--slowOpSampleRate`).
    public var slowOpSampleRate = 1.0

    /// The defaults above; MongoDB 8.0 compatibility.
    public init(
        cursorTimeout: Duration = .seconds(600), maxCursorsPerConnection: Int = 1000,
        commandLine: BSONDocument = ["argv": .array([]), "parsed": .document(BSONDocument())],
        mongoVersion: (major: Int32, minor: Int32, patch: Int32) = (8, 0, 0),
        tesseraVersion: String = "0.5.0", startupWarnings: [String] = [],
        parameters: ServerParameters = ServerParameters(), authEnabled: Bool = false,
        auditLogPath: String? = nil
    ) {
        self.authEnabled = authEnabled
        self.auditLogPath = auditLogPath
        self.cursorTimeout = cursorTimeout
        self.maxCursorsPerConnection = maxCursorsPerConnection
        self.commandLine = commandLine
        self.mongoVersion = mongoVersion
        self.tesseraVersion = tesseraVersion
        self.startupWarnings = startupWarnings
        self.parameters = parameters
    }

    /// `major.minor.patch`.
    var versionString: String { "\(mongoVersion.major).\(mongoVersion.minor).\(mongoVersion.patch)" }
}
