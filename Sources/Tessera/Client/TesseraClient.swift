// TesseraClient: the embedding API's entry point — opens (or creates) a store in-process and
// hands out databases, sessions and change streams. Owns the client's life: the engine while
// open, the operations running on it (interrupted by close), the cursors and change streams
// open on it (closed by close), and the engine's background work (journal commits, TTL).

import Commands
import Foundation
import Query
import Synchronization

/// How a ``TesseraClient`` runs the store's background work.
public struct TesseraClientOptions: Sendable {
    /// How often unsynced writes are synced to the journal (mongod's `commitIntervalMs`,
    /// 100 ms): what an acknowledged write can lose in a crash of the machine.
    public var journalCommitInterval: Duration
    /// The pause between two passes of the TTL monitor, which deletes expired documents
    /// (mongod's `ttlMonitorSleepSecs`, 60 s); nil runs no monitor.
    public var ttlMonitorInterval: Duration?

    /// Options with mongod's defaults.
    public init(journalCommitInterval: Duration = .milliseconds(100), ttlMonitorInterval: Duration? = .seconds(60)) {
        self.journalCommitInterval = journalCommitInterval
        self.ttlMonitorInterval = ttlMonitorInterval
    }
}

/// A Tessera store opened in this process: the embedded counterpart of MongoSwift's
/// `MongoClient`.
///
/// ```swift
/// let client = try TesseraClient(path: "/var/lib/game")
/// let scores = client.db("game").collection("scores", withType: Score.self)
/// try await scores.insertOne(Score(_id: "g1/ada", game: 1, player: "ada", score: 7))
/// client.close()
/// ```
///
/// One client per data directory at a time: the store is locked while open. Every operation
/// is `async` and runs the engine's blocking work off the Swift concurrency pool; a
/// cancelled task interrupts its operation. ``close()`` ends the client.
public final class TesseraClient: Sendable {
    /// The data directory, or the `postgresql://` URI of the database the store is kept in.
    public let path: String
    private let state: Mutex<State>

    private struct State {
        /// The engine while the client is open.
        var engine: QueryEngine?
        /// The kill switches of running operations, by token.
        var operations: [Int: KillSwitch] = [:]
        var nextToken = 0
        /// Open cursors and change streams, by identity; they deregister when they close.
        var reads: [ObjectIdentifier: WeakRead] = [:]
        /// Servers started by ``serve(host:port:)`` or ``startServer(host:port:)``.
        var servers: [ObjectIdentifier: TesseraServerHandle] = [:]
        /// The command dispatcher of ``TesseraDatabase/runCommand(_:session:)``, made on
        /// first use.
        var dispatcher: CommandDispatcher?
    }

    /// Opens the store at `path`, creating the directory and an empty store when missing.
    ///
    /// A `postgresql://USER[:PASSWORD]@HOST:PORT[,HOST:PORT...]/DB[?options]` URI in place of
    /// a directory keeps the store in that PostgreSQL database instead (the engine
    /// `tessera serve --storage` uses; docs/scale-out.md), creating its tables when missing;
    /// servers and clients on the same database share one store.
    ///
    /// - Throws: `InternalError` (1) when the directory cannot be created, holds something
    ///   that is not a Tessera store, or is open in another client or process, and when the
    ///   database cannot be reached or the URI is not valid.
    public init(path: String, options: TesseraClientOptions = TesseraClientOptions()) throws(TesseraError) {
        self.path = path
        let engine: QueryEngine
        // A database URI names no directory: making one would leave a stray `postgresql:` here.
        if !QueryEngine.isDatabaseURI(path) {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw TesseraError(code: 1, codeName: "InternalError", message: "cannot create the data directory \(path): \(error)")
            }
        }
        do throws(StoreOpenError) {
            engine = try QueryEngine(path: path)
        } catch {
            throw TesseraError(code: 1, codeName: "InternalError", message: "cannot open the store at \(path): \(error)")
        }
        let journalInterval = options.journalCommitInterval
        engine.startJournalCommits(every: { journalInterval })
        if let interval = options.ttlMonitorInterval {
            engine.startTTLMonitor(schedule: { TTLSchedule(isEnabled: true, interval: interval) },
                                   runner: EngineWork.runTTLPass)
        }
        state = Mutex(State(engine: engine))
    }

    deinit {
        close()
    }

    /// The database `name` (it exists once a collection in it does).
    public func db(_ name: String) -> TesseraDatabase {
        TesseraDatabase(name: name, client: self)
    }

    /// The databases, in name order, matching `filter` (on `name`, `sizeOnDisk`, `empty`)
    /// when given: those that hold at least one collection and, as mongod and the server's
    /// `listDatabases` list them, `config` and `local` when the store keeps what mongod keeps
    /// there (retryable-write records; the change log, which every write adds to).
    ///
    /// A database's `sizeOnDisk` is the store's disk usage shared out by document count (the
    /// store keeps no per-database files), `config`'s and `local`'s the bytes of their
    /// records, as the `listDatabases` command reports them.
    public func listDatabases(_ filter: BSONDocument? = nil, session: ClientSession? = nil)
        async throws(TesseraError) -> [DatabaseSpecification] {
        try ClientSession.checkOutsideTransaction(session, command: "listDatabases")
        return try await EngineWork.run(self) { (_) throws(MongoError) -> [DatabaseSpecification] in
            let engine = try self.openEngine()
            let matcher = try filter.map { (spec) throws(MongoError) -> Filter in try Filter(spec) }
            return try engine.sizedDatabases().databases.compactMap { database in
                let specification = DatabaseSpecification(name: database.name, sizeOnDisk: Int(clamping: database.sizeOnDisk),
                                                          empty: false)
                guard let matcher else { return specification }
                return matcher.matches(specification.document) ? specification : nil
            }
        }
    }

    /// The names of the databases ``listDatabases(_:session:)`` lists.
    public func listDatabaseNames(_ filter: BSONDocument? = nil, session: ClientSession? = nil)
        async throws(TesseraError) -> [String] {
        try ClientSession.checkOutsideTransaction(session, command: "listDatabases")
        if filter == nil {
            return try await EngineWork.run(self) { (_) throws(MongoError) -> [String] in
                try self.openEngine().listedDatabases().names
            }
        }
        return try await listDatabases(filter, session: session).map(\.name)
    }

    /// A new session: pass it as the `session:` argument of operations; its transactions
    /// (``ClientSession/startTransaction(options:)``) make them atomic. End it with
    /// ``ClientSession/end()``.
    public func startSession(options: ClientSessionOptions? = nil) -> ClientSession {
        ClientSession(client: self, options: options ?? ClientSessionOptions())
    }

    /// Runs `body` with a new session and ends the session after it, however it ends.
    public func withSession<Result>(
        isolation: isolated (any Actor)? = #isolation, options: ClientSessionOptions? = nil,
        _ body: (ClientSession) async throws -> Result
    ) async throws -> Result {
        let session = startSession(options: options)
        defer { session.end() }
        return try await body(session)
    }

    /// How many cursors and change streams are open on this client: each holds an engine
    /// read (a position and, for a transaction's cursor, its snapshot) until it is exhausted,
    /// killed, cancelled with its task, or released.
    public var openCursorCount: Int {
        state.withLock { state in state.reads.values.filter { $0.read != nil }.count }
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool {
        state.withLock { $0.engine == nil }
    }

    /// Closes the client: stops its servers, closes its cursors and change streams,
    /// interrupts running operations and releases the store, whose files close when the last
    /// running operation ends (at once when none runs). Further operations throw
    /// `IllegalOperation` (20). Closing twice is harmless.
    public func close() {
        let (engine, reads, servers, operations) = state.withLock { state in
            defer {
                state.engine = nil
                state.reads = [:]
                state.servers = [:]
                state.dispatcher = nil
            }
            return (state.engine, state.reads.values.compactMap(\.read), Array(state.servers.values),
                    Array(state.operations.values))
        }
        guard let engine else { return }
        for server in servers { server.stopInBackground() }
        for read in reads { read.close() }
        for killSwitch in operations { killSwitch.kill() }
        engine.stopJournalCommits()
        try? engine.waitForJournal()
    }

    // MARK: The engine, for the API's types

    /// The engine, while the client is open.
    ///
    /// - Throws: `IllegalOperation` (20) once closed.
    func engine() throws(TesseraError) -> QueryEngine {
        guard let engine = state.withLock({ $0.engine }) else { throw .clientClosed }
        return engine
    }

    /// ``engine()`` for engine work: the same error as a MongoError.
    func openEngine() throws(MongoError) -> QueryEngine {
        guard let engine = state.withLock({ $0.engine }) else {
            throw MongoError(.illegalOperation, TesseraError.clientClosed.message)
        }
        return engine
    }

    /// The dispatcher running ``TesseraDatabase/runCommand(_:session:)``'s commands, made on
    /// first use with `make` over the engine.
    ///
    /// - Throws: `IllegalOperation` (20) once closed.
    func commandDispatcher(_ make: (QueryEngine) -> CommandDispatcher) throws(TesseraError) -> CommandDispatcher {
        try state.withLock { (state) throws(TesseraError) -> CommandDispatcher in
            guard let engine = state.engine else { throw .clientClosed }
            if let dispatcher = state.dispatcher { return dispatcher }
            let dispatcher = make(engine)
            state.dispatcher = dispatcher
            return dispatcher
        }
    }

    /// Registers a running operation's kill switch; returns its token.
    ///
    /// - Throws: `IllegalOperation` (20) once closed.
    func operationStarted(_ killSwitch: KillSwitch) throws(TesseraError) -> Int {
        try state.withLock { (state) throws(TesseraError) -> Int in
            guard state.engine != nil else { throw .clientClosed }
            state.nextToken += 1
            state.operations[state.nextToken] = killSwitch
            return state.nextToken
        }
    }

    /// Forgets a finished operation.
    func operationEnded(_ token: Int) {
        _ = state.withLock { $0.operations.removeValue(forKey: token) }
    }

    /// Registers an open cursor or change stream.
    ///
    /// - Throws: `IllegalOperation` (20) once closed.
    func readOpened(_ read: any EngineRead) throws(TesseraError) {
        try state.withLock { (state) throws(TesseraError) in
            guard state.engine != nil else { throw .clientClosed }
            state.reads[ObjectIdentifier(read)] = WeakRead(read: read)
        }
    }

    /// Forgets a closed cursor or change stream.
    func readClosed(_ read: any EngineRead) {
        _ = state.withLock { $0.reads.removeValue(forKey: ObjectIdentifier(read)) }
    }

    /// Registers a started server (stopped by ``close()``).
    ///
    /// - Throws: `IllegalOperation` (20) once closed.
    func serverStarted(_ server: TesseraServerHandle) throws(TesseraError) {
        try state.withLock { (state) throws(TesseraError) in
            guard state.engine != nil else { throw .clientClosed }
            state.servers[ObjectIdentifier(server)] = server
        }
    }

    /// Forgets a stopped server.
    func serverStopped(_ server: TesseraServerHandle) {
        _ = state.withLock { $0.servers.removeValue(forKey: ObjectIdentifier(server)) }
    }
}

/// Something open on the engine that ``TesseraClient/close()`` closes: a cursor's read or a
/// change stream.
protocol EngineRead: AnyObject, Sendable {
    /// Releases what the read holds; harmless when repeated.
    func close()
}

/// A registry entry that does not keep its read alive.
private struct WeakRead: Sendable {
    weak let read: (any EngineRead)?
}

/// A database as ``TesseraClient/listDatabases(_:session:)`` lists it.
public struct DatabaseSpecification: Sendable, Equatable {
    /// The database's name.
    public let name: String
    /// Its share of the store's disk usage in bytes (for `config` and `local`, their records' bytes).
    public let sizeOnDisk: Int
    /// Whether it holds no data (never, for a listed database).
    public let empty: Bool

    /// `{name, sizeOnDisk, empty}`, what a filter matches.
    var document: BSONDocument {
        ["name": .string(name), "sizeOnDisk": .int64(Int64(sizeOnDisk)), "empty": .bool(empty)]
    }
}
