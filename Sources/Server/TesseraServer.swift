// TesseraServer: the Server layer's entry type and a swift-service-lifecycle Service. run()
// opens the store, binds, starts the TTL monitor, serves until graceful shutdown, then stops
// accepting and the TTL monitor, interrupts running operations, lets every connection finish
// the requests it received (for at most `shutdownTimeout`), stops the thread pool and closes
// the store; an operation that ignores its interrupt past the timeout does not hold the exit.
// A server made over a shared engine (the embedding API's `serve`) leaves the engine open and
// its background work (TTL monitor, journal commits) to the engine's owner.

public import BSON
public import Commands
import Foundation
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization
import Wire

/// How a server is set up.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The TCP port; 0 picks a free one (see ``TesseraServer/localAddress()``).
    public var port: Int
    /// The store's directory; created if missing.
    public var dbPath: String
    /// What `getCmdLineOpts` reports: `{argv: [...], parsed: {...}}`.
    public var commandLine: BSONDocument
    /// How often idle cursors are reaped.
    public var cursorReapInterval: Duration
    /// How long shutdown waits for interrupted operations and connections to finish before
    /// closing the connections; then as long again for the command threads, after which the
    /// server syncs the journal and exits without waiting for them.
    public var shutdownTimeout: Duration
    /// Threads running commands (storage work blocks, so this is more than the core count).
    public var commandThreads: Int
    /// The server parameters, with anything set at start (`--set-parameter`).
    public var parameters: ServerParameters
    /// Whether clients must authenticate (SCRAM) and hold roles for what they run (`--auth`).
    public var auth: Bool
    /// The most client connections open at once (`--max-connections`); the one over it is
    /// closed at once, after a log line.
    public var maxConnections: Int = 10_000
    /// How long a connection may stall in the middle of a message (header or body partly
    /// received) before it is closed: a client that never finishes a message holds no
    /// buffer forever. Idle connections between messages are not affected.
    public var partialMessageTimeout: Duration = .seconds(30)
    /// Where the audit log is appended (`--audit-log`), or `nil` for none.
    public var auditLog: String?
    /// TLS (`--tls-mode` and its files, loaded by ``ServerTLS/load(_:)``); nil serves plain TCP only.
    public var tls: ServerTLS?
    /// The Prometheus endpoint's port (`--metrics-port`; 0 picks a free one), or `nil` for none.
    public var metricsPort: Int?
    /// The address the metrics endpoint listens on (`--metrics-bind`; loopback by default).
    public var metricsHost = "127.0.0.1"
    /// The slow-operation threshold in milliseconds (`--slow-ms`).
    public var slowMilliseconds = 100
    /// The share of slow operations logged and profiled (`--slow-op-sample-rate`).
    public var slowOpSampleRate = 1.0
    /// After a full disk, the free space (bytes) at which writes resume (`--disk-reserve-mb`);
    /// `nil` keeps the storage engine's default (64 MiB).
    public var diskReserveBytes: Int?

    /// A configuration; the defaults are `mongod`'s (127.0.0.1:27017) with data in `data/`.
    public init(
        host: String = "127.0.0.1", port: Int = 27017, dbPath: String = "data",
        commandLine: BSONDocument = ["argv": .array([]), "parsed": .document(BSONDocument())],
        cursorReapInterval: Duration = .seconds(5), shutdownTimeout: Duration = .seconds(5),
        commandThreads: Int = max(8, System.coreCount * 4),
        parameters: ServerParameters = ServerParameters(), auth: Bool = false
    ) {
        self.auth = auth
        self.host = host
        self.port = port
        self.dbPath = dbPath
        self.commandLine = commandLine
        self.cursorReapInterval = cursorReapInterval
        self.shutdownTimeout = shutdownTimeout
        self.commandThreads = commandThreads
        self.parameters = parameters
    }
}

/// Tessera's MongoDB-protocol TCP server.
public final class TesseraServer: Service, Sendable {
    /// The configuration it was made with.
    public let configuration: ServerConfiguration
    /// Counters shared with the commands (`serverStatus`).
    public let metrics: ServerMetrics
    /// The Prometheus registry behind `--metrics-port`, when it is set.
    private let metricsRegistry: MetricsRegistry?
    private let metricsAddress = Mutex<SocketAddress?>(nil)
    private let logger: Logger
    private let group: any EventLoopGroup
    private let binding = Mutex(Binding.pending([]))
    /// The store a host shares with this server, or nil when ``run()`` opens its own at
    /// `configuration.dbPath`.
    private let sharedStore: CommandStore?

    private enum Binding {
        case pending([CheckedContinuation<SocketAddress, any Error>])
        case bound(SocketAddress)
        case failed(any Error)
    }

    /// Why the server could not start.
    public struct StartError: Error, CustomStringConvertible {
        /// What failed, with its cause.
        public let description: String
    }

    /// A server; nothing happens until ``run()``.
    public init(
        configuration: ServerConfiguration, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.logger = logger
        self.group = eventLoopGroup
        let registry = configuration.metricsPort.map { _ in MetricsRegistry() }
        metricsRegistry = registry
        metrics = ServerMetrics(commandObserver: registry)
        sharedStore = nil
    }

    /// A server over `store`, which its host opened and keeps using while the server runs
    /// (the embedding API's `serve`, with `CommandStore(engine:)`): ``run()`` neither opens
    /// nor closes the store, nor starts or stops its TTL monitor and journal commits, which
    /// stay the host's. `configuration.dbPath` is only reported (`getCmdLineOpts`).
    public init(
        configuration: ServerConfiguration, sharing store: CommandStore,
        logger: Logger = TesseraServer.embeddedLogger(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.logger = logger
        self.group = eventLoopGroup
        sharedStore = store
        let registry = configuration.metricsPort.map { _ in MetricsRegistry() }
        metricsRegistry = registry
        metrics = ServerMetrics(commandObserver: registry)
    }

    /// The logger of a server inside another program: warnings and errors only, on standard
    /// error, so serving does not write to the host program's output.
    public static func embeddedLogger() -> Logger {
        var logger = Logger(label: "tessera.serve") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        return logger
    }

    /// The TCP port the server listens on, once bound (the one picked for port 0); throws
    /// if it failed to start.
    public func boundPort() async throws -> Int {
        guard let port = try await localAddress().port else {
            throw StartError(description: "the server's address has no port")
        }
        return port
    }

    /// The metrics endpoint's address once it listens (`nil` without `metricsPort`).
    public var metricsLocalAddress: SocketAddress? { metricsAddress.withLock { $0 } }

    /// The address the server listens on, once bound; throws if it failed to start.
    public func localAddress() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<SocketAddress, any Error>? = binding.withLock { state in
                switch state {
                case var .pending(waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return nil
                case let .bound(address): return .success(address)
                case let .failed(error): return .failure(error)
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private func settleBinding(_ result: Result<SocketAddress, any Error>) {
        let waiters = binding.withLock { state -> [CheckedContinuation<SocketAddress, any Error>] in
            guard case let .pending(waiters) = state else { return [] }
            switch result {
            case let .success(address): state = .bound(address)
            case let .failure(error): state = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    /// Serves until graceful shutdown (or cancellation), then shuts down cleanly.
    public func run() async throws {
        let store: CommandStore
        let ownsStore = sharedStore == nil
        do {
            if let sharedStore {
                store = sharedStore
            } else {
                // A URI (`--storage postgresql://...`) names a database, not a directory.
                if !configuration.dbPath.contains("://") {
                    try FileManager.default.createDirectory(atPath: configuration.dbPath, withIntermediateDirectories: true)
                }
                let parameters = configuration.parameters
                store = try CommandStore(
                    path: configuration.dbPath, maximumCollections: Int(clamping: parameters.integer("maxCollections")),
                    maximumShapes: Int(clamping: parameters.integer("maxShapes")),
                    maximumShapesPerCollection: Int(clamping: parameters.integer("maxShapesPerCollection")),
                    diskReserveBytes: configuration.diskReserveBytes)
            }
        } catch {
            let failure = StartError(description: "cannot open the store at \(configuration.dbPath): \(error)")
            settleBinding(.failure(failure))
            throw failure
        }
        let threadPool = NIOThreadPool(numberOfThreads: configuration.commandThreads)
        threadPool.start()
        var commandConfiguration = CommandConfiguration(
            commandLine: configuration.commandLine, parameters: configuration.parameters,
            authEnabled: configuration.auth, auditLogPath: configuration.auditLog)
        commandConfiguration.slowMilliseconds = configuration.slowMilliseconds
        commandConfiguration.slowOpSampleRate = configuration.slowOpSampleRate
        let dispatcher = CommandDispatcher(store: store, configuration: commandConfiguration, metrics: metrics, logger: logger)
        let runtime = ServerRuntime(dispatcher: dispatcher, threadPool: threadPool, metrics: metrics, logger: logger)
        let release = store.release

        let serverChannel: any Channel
        do {
            serverChannel = try await bind(runtime)
        } catch {
            settleBinding(.failure(error))
            runtime.detachDispatcher()
            try? await threadPool.shutdownGracefully()
            throw StartError(description: "cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        let metricsChannel: (any Channel)?
        do {
            metricsChannel = try await bindMetrics(runtime)
        } catch {
            serverChannel.close(promise: nil)
            settleBinding(.failure(error))
            runtime.detachDispatcher()
            try? await threadPool.shutdownGracefully()
            throw StartError(description: "cannot listen for metrics on \(configuration.metricsHost):\(configuration.metricsPort ?? 0): \(error)")
        }
        let address = serverChannel.localAddress
        logger.info("Tessera listening", metadata: [
            "address": "\(ConnectionHandler.hostPort(address))", "dbpath": "\(configuration.dbPath)",
            "tls": "\(configuration.tls.map { "\($0.mode.rawValue), \($0.serverSubjectName)" } ?? "disabled")",
        ])
        if let address { settleBinding(.success(address)) }

        let interval = TimeAmount.nanoseconds(Int64(configuration.cursorReapInterval.components.seconds) * 1_000_000_000
            + configuration.cursorReapInterval.components.attoseconds / 1_000_000_000)
        let reapLoop = group.next()
        let reaper = reapLoop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { _ in
            threadPool.runIfActive(eventLoop: reapLoop) { runtime.reapIdleCursors() }
        }
        if ownsStore {
            startTTLMonitor(store, threadPool: threadPool)
            let parameters = configuration.parameters
            store.startJournalCommits(every: { parameters.journalCommitInterval })
        }

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await serverChannel.closeFuture.get()
            } onGracefulShutdown: {
                serverChannel.close(promise: nil)
            }
        } onCancel: {
            serverChannel.close(promise: nil)
        }

        try? await metricsChannel?.close().get()
        logger.info("shutting down: no longer accepting connections", metadata: [
            "open connections": "\(runtime.connections.count)",
        ])
        // Streaming hellos learn of the shutdown first (a new topologyVersion, then
        // ShutdownInProgress), so drivers stop using this server at once.
        runtime.topology.beginQuiesce()
        runtime.connections.quiesceAll()
        // Running commands answer InterruptedAtShutdown (11600) at their next interrupt check.
        let interrupted = runtime.interruptRunningOperations()
        if interrupted > 0 {
            logger.info("interrupting running operations", metadata: ["operations": "\(interrupted)"])
        }
        if ownsStore {
            await store.stopTTLMonitorAndWait()
            logger.info("TTL monitor stopped", metadata: ["deletedDocuments": "\(store.ttlDeletedDocuments)"])
        }
        await runtime.connections.drain(timeout: configuration.shutdownTimeout, on: reapLoop)
        // Connections are closed; commands still running on the pool stop at their next check.
        _ = runtime.interruptRunningOperations()
        reaper.cancel()
        if ownsStore { store.stopJournalCommits() }
        let threadsStopped = await Self.stop(threadPool, within: configuration.shutdownTimeout, on: reapLoop)
        runtime.detachDispatcher()
        do {
            try store.waitForJournal()
        } catch {
            logger.error("final journal flush failed", metadata: [
                "error": "\(error)", "storage": "\(error.causeDescription)",
            ])
        }
        if !threadsStopped {
            // An operation that never checks its interrupt still runs on a command thread and
            // holds the store. Every committed write is in the synced WAL, which the next open
            // replays; exiting here skips only RocksDB's close (and static destructors that
            // would race the running thread).
            logger.error("operations still running after the shutdown timeout; exiting without waiting for them", metadata: [
                "timeout": "\(configuration.shutdownTimeout)",
            ])
            _exit(0)
        }
        _ = consume store
        _ = consume dispatcher
        // The last holder may be a work item the stopped thread pool drops on another thread
        // just after this point: give it the shutdown timeout to let go, so the store is
        // closed before the process exits (NativeDatabase also waits for a close in progress).
        let releaseDeadline = ContinuousClock.now + configuration.shutdownTimeout
        while ownsStore, !release.isComplete, ContinuousClock.now < releaseDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if !ownsStore {
            logger.info("stopped serving; the host keeps the store open")
        } else if release.isComplete {
            logger.info("store closed", metadata: ["dbpath": "\(configuration.dbPath)"])
        } else {
            logger.warning("store still referenced at shutdown; it closes when released")
        }
    }

    /// Stops `threadPool`, waiting at most `timeout` for the work it runs; returns whether it
    /// stopped in time.
    private static func stop(_ threadPool: NIOThreadPool, within timeout: Duration, on loop: any EventLoop) async -> Bool {
        let outcome = loop.makePromise(of: Bool.self)
        let settled = SettleOnce()
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let deadline = loop.scheduleTask(in: .nanoseconds(nanoseconds)) {
            if settled.claim() { outcome.succeed(false) }
        }
        threadPool.shutdownGracefully(queue: .global()) { _ in
            if settled.claim() { outcome.succeed(true) }
        }
        let stopped = (try? await outcome.futureResult.get()) ?? false
        deadline.cancel()
        return stopped
    }

    /// Starts deleting expired documents: the monitor reads `ttlMonitorEnabled` and
    /// `ttlMonitorSleepSecs` before every pass, and runs each pass on the command thread pool,
    /// never on an event loop. Shutdown stops it between two batches.
    private func startTTLMonitor(_ store: CommandStore, threadPool: NIOThreadPool) {
        let parameters = configuration.parameters
        let logger = logger
        store.startTTLMonitor(schedule: { parameters.ttlSchedule }, runner: { pass in
            do {
                try await threadPool.runIfActive { pass() }
            } catch {
                logger.debug("TTL pass skipped: the thread pool has stopped")
            }
        }, onFailure: { error in
            logger.error("TTL pass failed", metadata: [
                "error": "\(error)", "storage": "\(error.causeDescription)",
            ])
        })
        let schedule = parameters.ttlSchedule
        logger.info("TTL monitor started", metadata: [
            "enabled": "\(schedule.isEnabled)", "sleepSecs": "\(schedule.interval.components.seconds)",
        ])
    }

    /// Starts the metrics endpoint when `metricsPort` is set.
    private func bindMetrics(_ runtime: ServerRuntime) async throws -> (any Channel)? {
        guard let registry = metricsRegistry, let port = configuration.metricsPort else { return nil }
        let channel = try await MetricsEndpoint.bind(host: configuration.metricsHost, port: port, group: group) {
            runtime.dispatcherFigures.map { registry.render(server: runtime.metrics.snapshot, dispatcher: $0) }
        }
        metricsAddress.withLock { $0 = channel.localAddress }
        logger.info("metrics endpoint listening", metadata: [
            "address": "http://\(ConnectionHandler.hostPort(channel.localAddress))/metrics",
        ])
        return channel
    }

    private func bind(_ runtime: ServerRuntime) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [maxConnections = configuration.maxConnections,
                                        stall = configuration.partialMessageTimeout, tls = configuration.tls] channel in
                let open = runtime.connections.count
                guard open < maxConnections else {
                    runtime.logger.warning("connection refused because too many open connections", metadata: [
                        "open": "\(open)", "maxConnections": "\(maxConnections)",
                        "remote": "\(channel.remoteAddress.map { "\($0)" } ?? "unknown")",
                    ])
                    return channel.close()
                }
                runtime.connections.register(channel)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(tls.detector(logger: runtime.logger, stall: TimeAmount(stall)))
                    }
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: TimeAmount(stall)))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(InboundFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(runtime: runtime, channel: channel))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }
}

/// A flag the first caller of ``claim()`` wins, so a promise raced by two callbacks is
/// completed once.
private final class SettleOnce: Sendable {
    private let claimed = Mutex(false)

    /// `true` for the first caller only.
    func claim() -> Bool {
        claimed.withLock { claimed in
            if claimed { return false }
            claimed = true
            return true
        }
    }
}
