// PostgresPool: the synchronous bridge to postgres-nio. Owns a private one-thread
// EventLoopGroup, the idle connections, and running statements by blocking on their futures,
// each wait bounded (PostgresTimeouts). Blocking (PostgresBlockingWait) is safe because no
// caller ever runs on this group's own event loop (it is private to the pool; the wire
// server's loops are another group), and the storage interface is synchronous by design.
// A connection that failed at the connection level, or did not answer in time, is closed and
// never handed out again.
#if canImport(Glibc)
internal import Glibc
#else
internal import Darwin
#endif
internal import Logging
internal import NIOCore
internal import NIOPosix
internal import NIOSSL
internal import PostgresNIO
internal import Storage
internal import Synchronization

/// Connections to one database, opened on demand and reused.
///
/// `@unchecked Sendable` because: the idle list is behind a `Mutex`; the event loop group
/// and the immutable settings are thread-safe.
final class PostgresPool: @unchecked Sendable {
    let location: PostgresLocation
    private let group: MultiThreadedEventLoopGroup
    private let idle = Mutex<[PostgresConnection]>([])
    /// Counts connection losses: a connection checked out before the latest one is not taken
    /// back (it may be to the server that just went away).
    private let generation = Atomic<Int>(0)
    private let nextID = Atomic<Int>(0)
    /// The index in `location.hosts` of the host the last new connection went to.
    private let preferredHost = Atomic<Int>(0)
    let logger: Logger
    /// Idle connections kept for reuse; more are closed when checked back in.
    private let maximumIdle: Int
    /// The TLS context every TCP connection shares, made on the first connection (nil inside
    /// while TLS is off); a bad root certificate file fails each connection attempt.
    private let tlsContext = Mutex<NIOSSLContext??>(nil)

    init(location: PostgresLocation, maximumIdle: Int = 16) {
        self.location = location
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.maximumIdle = maximumIdle
        var logger = Logger(label: "tessera.storage.postgres")
        logger.logLevel = .warning
        self.logger = logger
    }

    deinit {
        let connections = idle.withLock { $0 }
        if group.any().inEventLoop {
            // The last reference went away in a callback on our own loop: it cannot wait.
            connections.forEach(Self.close)
        } else {
            for connection in connections {
                _ = try? connection.close().blockingResult(within: location.timeouts.grace)
            }
        }
        group.shutdownGracefully { _ in }
    }

    /// Closes `connection` without waiting, keeping it alive until the close has finished:
    /// postgres-nio requires a connection to be closed before it is deinitialised.
    static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// An open idle connection, or a new one. Idle connections that closed meanwhile (the
    /// server went away) are dropped, never handed out.
    func checkOut() throws(StorageError) -> PostgresLink {
        while let connection = idle.withLock({ $0.popLast() }) {
            if connection.isClosed {
                Self.close(connection)
                continue
            }
            return PostgresLink(connection: connection, pool: self, generation: currentGeneration)
        }
        let generation = currentGeneration
        return PostgresLink(connection: try connect(), pool: self, generation: generation)
    }

    /// The number of connection losses so far.
    var currentGeneration: Int {
        generation.load(ordering: .acquiring)
    }

    /// After a connection was lost: closes every idle connection and keeps those checked out
    /// now from coming back. When one connection found its server gone, the others most likely
    /// lead to the same dead server (or to one that has since restarted, as another process);
    /// a request that took one would fail too, so the next ones connect afresh instead.
    func discardConnections() {
        generation.add(1, ordering: .acquiringAndReleasing)
        let discarded = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle
        }
        discarded.forEach(Self.close)
    }

    /// How many idle connections the pool holds (for tests).
    var idleCount: Int {
        idle.withLock { $0.count }
    }

    /// A new connection, trying every host in turn (`connectToAnyHost`) until one will do or
    /// the location's connect timeout has passed since the first try, pausing a little longer
    /// each time: a database that restarts or fails over within it costs the request a wait,
    /// not a failure. Only a lost connection (refused, reset, starting up, read-only) is tried
    /// again; any other failure (authentication, a missing database) is thrown at once.
    private func connect() throws(StorageError) -> PostgresConnection {
        let clock = ContinuousClock()
        let deadline = clock.now + location.timeouts.connect
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try connectToAnyHost()
            } catch {
                guard error.code == .connectionLost, clock.now + pause < deadline else { throw error }
                usleep(UInt32(clamping: PostgresTimeouts.milliseconds(pause) * 1000))
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    /// A new connection to the first of the location's hosts that accepts one and meets its
    /// `target_session_attrs`, starting with the host the last connection went to (libpq's
    /// host iteration: after a failover the old primary refuses or is read-only, and the
    /// promoted standby is found). Throws the last host's failure when none will do.
    private func connectToAnyHost() throws(StorageError) -> PostgresConnection {
        let hosts = location.hosts
        let start = preferredHost.load(ordering: .relaxed)
        var failure = StorageError(.open, path: location.description, status: "no PostgreSQL host to connect to", code: .connectionLost)
        for offset in 0 ..< hosts.count {
            let index = (start + offset) % hosts.count
            do {
                let connection = try connect(to: hosts[index])
                guard try accepts(connection) else {
                    Self.close(connection)
                    failure = StorageError(.open, path: location.description,
                                           status: "PostgreSQL \(hosts[index].host):\(hosts[index].port) is read-only (a standby)",
                                           code: .connectionLost)
                    continue
                }
                preferredHost.store(index, ordering: .relaxed)
                return connection
            } catch {
                failure = error
            }
        }
        throw failure
    }

    /// A connection to `endpoint` (or to the location's Unix socket).
    private func connect(to endpoint: PostgresHostPort) throws(StorageError) -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        if let socketPath = location.socketPath {
            configuration = .init(unixSocketPath: socketPath, username: location.user, password: location.password,
                                  database: location.database)
        } else {
            configuration = .init(host: endpoint.host, port: endpoint.port, username: location.user,
                                  password: location.password, database: location.database,
                                  tls: location.tls.connectionSetting(try sharedTLSContext()))
        }
        let timeouts = location.timeouts
        configuration.options.connectTimeout = .milliseconds(PostgresTimeouts.milliseconds(timeouts.connect))
        // Every statement and row lock wait on this connection is bounded by the server itself.
        let statementMilliseconds = String(PostgresTimeouts.milliseconds(timeouts.statement))
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", statementMilliseconds), ("lock_timeout", statementMilliseconds),
        ]
        let id = nextID.add(1, ordering: .relaxed).newValue
        let opening = PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger)
        do {
            return try opening.blockingResult(within: timeouts.connectDeadline)
        } catch {
            if error is PostgresWaitFailure {
                // Should it still open, close it rather than leak it.
                opening.whenSuccess { Self.close($0) }
            }
            throw PostgresFailure.storageError(error, operation: .open, location: location)
        }
    }

    /// Whether `connection` meets the location's `target_session_attrs`: for `read-write`,
    /// `SHOW transaction_read_only` (which PostgreSQL, CockroachDB and YugabyteDB all answer)
    /// must be `off`; a hot standby answers `on`.
    private func accepts(_ connection: PostgresConnection) throws(StorageError) -> Bool {
        guard location.targetSessionAttributes != .any else { return true }
        do {
            let rows = try connection.query(PostgresQuery(unsafeSQL: "SHOW transaction_read_only"), logger: logger)
                .blockingResult(within: location.timeouts.statementDeadline).rows
            return rows.first.flatMap { try? $0.makeRandomAccess()[0].decode(String.self) } == "off"
        } catch {
            Self.close(connection)
            throw PostgresFailure.storageError(error, operation: .open, location: location)
        }
    }

    /// The pool's TLS context (nil when TLS is off), made once.
    private func sharedTLSContext() throws(StorageError) -> NIOSSLContext? {
        if let made = tlsContext.withLock({ $0 }) { return made }
        let context = try location.tls.makeContext()
        tlsContext.withLock { $0 = .some(context) }
        return context
    }

    /// Returns a connection for reuse (closed ones are dropped).
    func checkIn(_ connection: PostgresConnection, generation: Int) {
        guard !connection.isClosed, generation == currentGeneration else {
            Self.close(connection)
            return
        }
        let kept = idle.withLock { idle -> Bool in
            guard idle.count < maximumIdle else { return false }
            idle.append(connection)
            return true
        }
        if !kept { Self.close(connection) }
    }

    /// A checked-out connection inside a transaction its caller keeps open: `statements`
    /// (`BEGIN ...` and what the transaction starts with) have run on it, each given
    /// `deadline` (the statement deadline when `nil`). On failure the transaction is rolled
    /// back and the connection given up.
    func checkOut(opening statements: [String], _ operation: StorageError.Operation,
                  deadline: Duration? = nil) throws(StorageError) -> PostgresLink {
        let link = try checkOut()
        do throws(StorageError) {
            try link.awaitAll(statements.map { link.send(PostgresStatement($0)) }, operation, deadline: deadline)
        } catch {
            link.rollbackAndRelease()
            throw error
        }
        return link
    }

    /// Runs `body` on a checked-out connection and checks it back in.
    func withLink<Result>(_ body: (PostgresLink) throws(StorageError) -> Result) throws(StorageError) -> Result {
        let link = try checkOut()
        defer { link.release() }
        return try body(link)
    }
}

/// One checked-out connection: runs statements synchronously, each wait bounded. Used by one
/// caller at a time (a snapshot shares its link with its cursors; postgres-nio queues their
/// statements). Once a statement fails at the connection level (or gets no answer in time)
/// the link is lost: its connection is closed and never returns to the pool.
///
/// `@unchecked Sendable` because: `connection` is thread-safe (postgres-nio), the pool is
/// `Sendable`, and the two flags are atomics.
final class PostgresLink: @unchecked Sendable {
    let connection: PostgresConnection
    private let pool: PostgresPool
    private let released = Atomic<Bool>(false)
    private let lost = Atomic<Bool>(false)

    /// The pool's count of connection losses when the link was checked out.
    private let generation: Int

    init(connection: PostgresConnection, pool: PostgresPool, generation: Int) {
        self.connection = connection
        self.pool = pool
        self.generation = generation
    }

    var location: PostgresLocation { pool.location }

    /// Sends `statement` without waiting: its future, to wait on later (pipelining).
    func send(_ statement: PostgresStatement) -> EventLoopFuture<PostgresQueryResult> {
        connection.query(PostgresQuery(unsafeSQL: statement.sql, binds: statement.binds), logger: pool.logger)
    }

    /// Whether the connection is lost: a statement failed at the connection level or got no
    /// answer in time, or the socket closed.
    var isLost: Bool {
        lost.load(ordering: .acquiring) || connection.isClosed
    }

    /// Runs `statement` and returns its rows, waiting at most `deadline` (the statement
    /// deadline when `nil`). On a lost link it fails at once, sending nothing.
    @discardableResult
    func run(_ statement: PostgresStatement, _ operation: StorageError.Operation,
             deadline: Duration? = nil) throws(StorageError) -> [PostgresRow] {
        guard !isLost else {
            abandon()
            throw StorageError(operation, path: pool.location.description, status: "the PostgreSQL connection was lost",
                               code: .connectionLost)
        }
        do {
            return try wait(for: send(statement), deadline: deadline).rows
        } catch {
            throw failure(error, operation)
        }
    }

    /// Waits for every future, in order, each at most `deadline` (the statement deadline when
    /// `nil`); throws the first failure after all have finished, so the connection is idle
    /// again whatever happened. Once the connection is lost the rest fail at once.
    func awaitAll(_ futures: [EventLoopFuture<PostgresQueryResult>], _ operation: StorageError.Operation,
                  deadline: Duration? = nil) throws(StorageError) {
        var first: StorageError?
        for future in futures {
            do {
                _ = try wait(for: future, deadline: isLost ? pool.location.timeouts.grace : deadline)
            } catch {
                if first == nil { first = failure(error, operation) }
            }
        }
        if let first { throw first }
    }

    /// The result of `future`; when it does not come (the deadline passed, or the connection
    /// closed with it pending) the connection is closed, which fails the statements still
    /// queued on it, and the link marked lost.
    private func wait(for future: EventLoopFuture<PostgresQueryResult>, deadline: Duration?) throws -> PostgresQueryResult {
        let connection = self.connection
        do {
            return try future.blockingResult(within: deadline ?? pool.location.timeouts.statementDeadline) {
                connection.isClosed
            }
        } catch let failure as PostgresWaitFailure {
            abandon()
            throw failure
        }
    }

    /// The `StorageError` for `error`; marks the link lost when the error says the
    /// connection is.
    private func failure(_ error: any Error, _ operation: StorageError.Operation) -> StorageError {
        let failure = PostgresFailure.storageError(error, operation: operation, location: pool.location)
        if PostgresFailure.losesConnection(failure) { abandon() }
        return failure
    }

    /// Marks the link lost and closes its connection without waiting.
    func abandon() {
        guard !lost.exchange(true, ordering: .acquiringAndReleasing) else { return }
        PostgresPool.close(connection)
        pool.discardConnections()
    }

    /// Hands the connection back to the pool (once), or closes it when it is lost.
    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if isLost {
            abandon()
        } else {
            pool.checkIn(connection, generation: generation)
        }
    }

    /// Ends the open transaction without waiting, then hands the connection back: for deinit,
    /// which must not block. A ROLLBACK with no answer within the statement deadline closes
    /// the connection (which also ends the transaction on the server).
    func rollbackAndRelease() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let pool = self.pool
        let connection = self.connection
        let generation = self.generation
        guard !isLost else {
            abandon()
            return
        }
        let deadline = pool.location.timeouts.statementDeadline
        let watchdog = connection.eventLoop.scheduleTask(in: .milliseconds(PostgresTimeouts.milliseconds(deadline))) {
            PostgresPool.close(connection)
        }
        send(PostgresStatement("ROLLBACK")).whenComplete { result in
            watchdog.cancel()
            switch result {
            case .success: pool.checkIn(connection, generation: generation)
            case .failure: PostgresPool.close(connection)
            }
        }
    }
}
