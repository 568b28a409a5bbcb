// What every connection of one running server shares: the dispatcher (dropped at shutdown so
// the store closes deterministically), the thread pool commands run on, the metrics, the
// connection-id counter and the registry of open channels.

import BSON
import Commands
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// The shared state of a running server. Sendable: every mutable part sits behind a Mutex
/// or an Atomic; the thread pool and metrics are themselves thread-safe.
final class ServerRuntime: Sendable {
    let threadPool: NIOThreadPool
    let metrics: ServerMetrics
    let logger: Logger
    let connections = ConnectionRegistry()
    /// The topology hello reports; kept after the dispatcher is dropped, for waiting hellos.
    let topology: ServerTopology
    private let dispatcher: Mutex<CommandDispatcher?>
    private let lastConnectionID = Atomic<Int64>(0)

    /// The compressors this server offers, in preference order.
    static let availableCompressors = ["snappy", "zstd", "zlib"]

    init(dispatcher: CommandDispatcher, threadPool: NIOThreadPool, metrics: ServerMetrics, logger: Logger) {
        self.dispatcher = Mutex(dispatcher)
        topology = dispatcher.topology
        self.threadPool = threadPool
        self.metrics = metrics
        self.logger = logger
    }

    /// A new connection id, unique in this process run.
    func nextConnectionID() -> Int64 {
        lastConnectionID.add(1, ordering: .relaxed).newValue
    }

    /// Runs `request` (blocking; call on the thread pool). After shutdown, a ShutdownInProgress error.
    func run(_ request: CommandRequest, connection: ConnectionInfo) -> BSONDocument {
        guard let dispatcher = dispatcher.withLock({ $0 }) else { return Self.shutdownReply }
        return dispatcher.run(request, connection: connection)
    }

    /// The reply bytes of `request` when it is a point find Commands answers straight to
    /// BSON (see ``CommandDispatcher/runPointFind(_:connection:)``); nil when ``run(_:connection:)``
    /// must run it. Non-blocking: call it on the event loop.
    func runPointFind(_ request: CommandRequest, connection: ConnectionInfo) -> [UInt8]? {
        guard Self.pointFindLaneEnabled else { return nil }
        return dispatcher.withLock { $0 }?.runPointFind(request, connection: connection)
    }

    /// False when the environment sets `TESSERA_POINT_FIND_LANE=off`: every point find then
    /// takes the dispatcher's ordinary path (the before/after switch of `tessera bench`
    /// comparisons on one binary, and a way out should the lane ever misbehave).
    static let pointFindLaneEnabled: Bool = {
        #if canImport(Glibc)
        guard let value = getenv("TESSERA_POINT_FIND_LANE") else { return true }
        return String(cString: value) != "off"
        #else
        return true
        #endif
    }()

    /// True when Commands calls `request` quick enough to run on the event loop that read it.
    func isQuick(_ request: CommandRequest) -> Bool {
        dispatcher.withLock { $0 }?.isQuick(request) ?? false
    }

    /// The wait of `request` when it is a feed getMore with nothing to return yet (cheap,
    /// non-blocking: call it on the event loop); nil when it should run, or after shutdown.
    func feedWait(for request: CommandRequest, connection: ConnectionInfo) -> FeedWait? {
        dispatcher.withLock { $0 }?.feedWait(for: request, connection: connection)
    }

    /// Parks a feed wait (see ``CommandDispatcher/park(_:request:connection:wake:)``); nil
    /// when it is already over or the server is stopping.
    func park(_ wait: FeedWait, request: CommandRequest, connection: ConnectionInfo,
              wake: @escaping @Sendable () -> Void) -> FeedParking? {
        dispatcher.withLock { $0 }?.park(wait, request: request, connection: connection, wake: wake)
    }

    /// Parks a write the fsync lock holds back (see
    /// ``CommandDispatcher/parkWhileFsyncLocked(_:connection:wake:)``); nil when it should run
    /// now or the server is stopping.
    func parkWhileFsyncLocked(_ request: CommandRequest, connection: ConnectionInfo,
                              wake: @escaping @Sendable () -> Void) -> FsyncParking? {
        dispatcher.withLock { $0 }?.parkWhileFsyncLocked(request, connection: connection, wake: wake)
    }

    /// Releases a parked feed wait; true when killOp ended it. Safe after shutdown: the
    /// parking keeps what it needs.
    func unpark(_ parking: FeedParking) -> Bool {
        parking.release()
    }

    /// Frees Commands' state for a closed connection (on the thread pool when it still runs).
    func connectionClosed(_ id: Int64) {
        guard let dispatcher = dispatcher.withLock({ $0 }) else { return }
        let metrics = metrics
        threadPool.submit { _ in
            dispatcher.connectionClosed(id)
            // When the last client leaves, hand the allocator's free pages back to the system,
            // so the server's resident memory returns near its idle size after a burst.
            if metrics.snapshot.currentConnections == 0 { Self.releaseFreeMemory() }
        }
    }

    /// Returns free heap pages to the operating system (glibc keeps them otherwise).
    static func releaseFreeMemory() {
        #if canImport(Glibc)
        // malloc_trim is a glibc extension the Glibc module does not import; look it up.
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// Kills idle cursors (blocking; call on the thread pool).
    func reapIdleCursors() {
        dispatcher.withLock { $0 }?.reapIdleCursors()
    }

    /// Marks every running command interrupted by shutdown; returns how many there were.
    func interruptRunningOperations() -> Int {
        dispatcher.withLock { $0 }?.interruptAllForShutdown() ?? 0
    }

    /// What a metrics scrape reads from the dispatcher; nil after shutdown dropped it.
    var dispatcherFigures: DispatcherFigures? {
        dispatcher.withLock { $0 }?.figures
    }

    /// Drops the dispatcher so nothing can reach the store any more.
    func detachDispatcher() {
        dispatcher.withLock { $0 = nil }
    }

    /// The reply to commands that arrive while the server stops.
    static let shutdownReply: BSONDocument = [
        "ok": .double(0), "errmsg": "The server is in quiesce mode and will shut down",
        "code": .int32(91), "codeName": "ShutdownInProgress",
    ]
}

/// Tells a connection the server is shutting down: finish what was received, then close.
struct ServerQuiesceEvent: Sendable {}

/// The open client channels, for shutdown.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Tracks `channel` until it closes.
    func register(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    /// How many channels are open.
    var count: Int { channels.withLock { $0.count } }

    /// Asks every connection to finish its received requests and close.
    func quiesceAll() {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(ServerQuiesceEvent())
        }
    }

    /// Waits until every channel has closed, closing any still open after `timeout`. Does
    /// not depend on task cancellation, so a cancelled server still drains.
    func drain(timeout: Duration, on loop: any EventLoop) async {
        let open = channels.withLock { Array($0.values) }
        guard !open.isEmpty else { return }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let deadline = loop.scheduleTask(in: .nanoseconds(nanoseconds)) {
            for channel in open { channel.close(promise: nil) }
        }
        try? await EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: loop).get()
        deadline.cancel()
    }
}
