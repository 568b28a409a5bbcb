// PostgresPool: the synchronous bridge to postgres-nio. Owns a private one-thread
// EventLoopGroup, the idle connections, and running statements by blocking on their futures.
// Blocking (PostgresBlockingWait) is safe because no caller ever runs on this group's own event
// loop (it is private to the pool; the wire server's loops are another group), and the storage
// interface is synchronous by design.
internal import Logging
internal import NIOCore
internal import NIOPosix
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
    private let nextID = Atomic<Int>(0)
    /// The index in `location.hosts` of the host the last new connection went to.
    private let preferredHost = Atomic<Int>(0)
    let logger: Logger
    /// Idle connections kept for reuse; more are closed when checked back in.
    private let maximumIdle: Int

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
                _ = try? connection.close().blockingResult()
            }
        }
        group.shutdownGracefully { _ in }
    }

    /// Closes `connection` without waiting, keeping it alive until the close has finished:
    /// postgres-nio requires a connection to be closed before it is deinitialised.
    static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// An idle connection, or a new one.
    func checkOut() throws(StorageError) -> PostgresLink {
        if let connection = idle.withLock({ $0.popLast() }) {
            return PostgresLink(connection: connection, pool: self)
        }
        return PostgresLink(connection: try connect(), pool: self)
    }

    /// A new connection to the first of the location's hosts that accepts one and meets its
    /// `target_session_attrs`, starting with the host the last connection went to (libpq's
    /// host iteration: after a failover the old primary refuses or is read-only, and the
    /// promoted standby is found). Throws the last host's failure when none will do.
    private func connect() throws(StorageError) -> PostgresConnection {
        let hosts = location.hosts
        let start = preferredHost.load(ordering: .relaxed)
        var failure = StorageError(.open, path: location.description, status: "no PostgreSQL host to connect to", code: .ioError)
        for offset in 0 ..< hosts.count {
            let index = (start + offset) % hosts.count
            do {
                let connection = try connect(to: hosts[index])
                guard try accepts(connection) else {
                    Self.close(connection)
                    failure = StorageError(.open, path: location.description,
                                           status: "PostgreSQL \(hosts[index].host):\(hosts[index].port) is read-only (a standby)",
                                           code: .ioError)
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
                                  password: location.password, database: location.database, tls: .disable)
        }
        configuration.options.connectTimeout = .seconds(10)
        let id = nextID.add(1, ordering: .relaxed).newValue
        do {
            return try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id,
                                                  logger: logger).blockingResult()
        } catch {
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
                .blockingResult().rows
            return rows.first.flatMap { try? $0.makeRandomAccess()[0].decode(String.self) } == "off"
        } catch {
            Self.close(connection)
            throw PostgresFailure.storageError(error, operation: .open, location: location)
        }
    }

    /// Returns a connection for reuse (closed ones are dropped).
    func checkIn(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        let kept = idle.withLock { idle -> Bool in
            guard idle.count < maximumIdle else { return false }
            idle.append(connection)
            return true
        }
        if !kept { Self.close(connection) }
    }

    /// A checked-out connection inside a transaction its caller keeps open: `statements`
    /// (`BEGIN ...` and what the transaction starts with) have run on it. On failure the
    /// transaction is rolled back and the connection given up.
    func checkOut(opening statements: [String], _ operation: StorageError.Operation) throws(StorageError) -> PostgresLink {
        let link = try checkOut()
        do throws(StorageError) {
            try link.awaitAll(statements.map { link.send(PostgresStatement($0)) }, operation)
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

/// One checked-out connection: runs statements synchronously. Used by one caller at a time
/// (a snapshot shares its link with its cursors; postgres-nio queues their statements).
final class PostgresLink: @unchecked Sendable {
    let connection: PostgresConnection
    private let pool: PostgresPool
    private let released = Atomic<Bool>(false)

    init(connection: PostgresConnection, pool: PostgresPool) {
        self.connection = connection
        self.pool = pool
    }

    var location: PostgresLocation { pool.location }

    /// Sends `statement` without waiting: its future, to wait on later (pipelining).
    func send(_ statement: PostgresStatement) -> EventLoopFuture<PostgresQueryResult> {
        connection.query(PostgresQuery(unsafeSQL: statement.sql, binds: statement.binds), logger: pool.logger)
    }

    /// Runs `statement` and returns its rows.
    @discardableResult
    func run(_ statement: PostgresStatement, _ operation: StorageError.Operation) throws(StorageError) -> [PostgresRow] {
        do {
            return try send(statement).blockingResult().rows
        } catch {
            throw PostgresFailure.storageError(error, operation: operation, location: pool.location)
        }
    }

    /// Waits for every future, in order; throws the first failure after all have finished,
    /// so the connection is idle again whatever happened.
    func awaitAll(_ futures: [EventLoopFuture<PostgresQueryResult>], _ operation: StorageError.Operation) throws(StorageError) {
        var first: (any Error)?
        for future in futures {
            do { _ = try future.blockingResult() } catch { if first == nil { first = error } }
        }
        if let first { throw PostgresFailure.storageError(first, operation: operation, location: pool.location) }
    }

    /// Hands the connection back to the pool (once).
    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pool.checkIn(connection)
    }

    /// Ends the open transaction without waiting, then hands the connection back: for deinit,
    /// which must not block.
    func rollbackAndRelease() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let pool = self.pool
        let connection = self.connection
        send(PostgresStatement("ROLLBACK")).whenComplete { result in
            switch result {
            case .success: pool.checkIn(connection)
            case .failure: PostgresPool.close(connection)
            }
        }
    }
}
