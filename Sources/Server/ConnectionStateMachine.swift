// The per-connection state machine: requests run one at a time in arrival order (a client
// may pipeline; replies go out in request order), compressors negotiated by the handshake,
// exhaust streams (getMore batches, awaitable hello replies), and the ways a connection ends
// (client gone, lost framing, server shutting down). Pure: the handler performs the actions
// it returns, including the waits of awaitable hellos and of feed getMores (change streams,
// awaitData cursors) with nothing to return yet (a timer and a notification, not a thread).

import BSON
import Commands
import NIOCore
import Wire

/// The state of one client connection.
struct ConnectionStateMachine {
    /// Where the connection is in its life.
    enum Lifecycle: Equatable {
        /// Reading and serving requests.
        case open
        /// The server is shutting down or framing was lost: finish what was received, then close.
        case closing
        /// The channel is gone; nothing more is written.
        case closed
    }

    /// One wait of an awaitable hello: until the topology moves on from `version` or
    /// `milliseconds` pass, whichever comes first.
    struct HelloWait: Equatable {
        /// Tells this wait's wake-ups from those of an earlier, finished one.
        let id: UInt64
        /// The topology version the client last saw.
        let version: TopologyVersion
        /// The client's `maxAwaitTimeMS`.
        let milliseconds: Int64
    }

    /// Where the connection's awaitable hello stands (the SDAM streaming protocol).
    enum HelloState {
        /// No hello waits.
        case idle
        /// The client's awaitable hello waits; nothing has answered it yet.
        case awaiting(PendingCommand, HelloWait)
        /// A streaming hello: replies flagged moreToCome went out, and the next one waits. It
        /// answers the last reply sent (`requestID`) and waits on the version that reply carried.
        case streaming(PendingCommand, HelloWait)

        /// The wait under way, if any.
        var wait: HelloWait? {
            switch self {
            case .idle: nil
            case let .awaiting(_, wait), let .streaming(_, wait): wait
            }
        }
    }

    /// One parked feed getMore: until a write commits past `wait.sequence`, its cursor goes,
    /// killOp names it, or `wait.milliseconds` pass.
    struct FeedParkedWait: Equatable {
        /// Tells this wait's wake-ups from those of an earlier, finished one.
        let id: UInt64
        /// What Commands said the getMore waits for.
        let wait: FeedWait
    }

    /// Where the connection's getMore on a feed cursor stands.
    enum FeedState {
        /// No getMore is being checked or waits.
        case idle
        /// A getMore is asked whether it has anything to return (``Action/checkFeed(_:)``).
        case checking(PendingCommand)
        /// The getMore has nothing to return yet and waits without a thread.
        case parked(PendingCommand, FeedParkedWait)

        /// The wait under way, if any.
        var wait: FeedParkedWait? {
            if case let .parked(_, wait) = self { return wait }
            return nil
        }
    }

    /// What the handler must do next.
    enum Action: Equatable {
        /// Nothing until the next event.
        case wait
        /// Run this command on the thread pool, then call ``commandCompleted(_:)``.
        case run(PendingCommand)
        /// Write this reply (compressed with `compressor` if non-nil), then call ``next()``.
        case write(OutboundReply, compressor: Compressor?)
        /// Write this reply, whose body is already BSON bytes, as ``write(_:compressor:)``.
        case writeEncoded(EncodedReply, compressor: Compressor?)
        /// Wait without holding a thread (a timer and a topology notification) until the
        /// topology moves on from `version` or the time is up, then call
        /// ``helloWaitEnded(_:)`` with its id. When the version is no longer current, call it at once.
        case awaitTopologyChange(HelloWait)
        /// Ask Commands (cheaply, on the event loop) whether this getMore reads a feed with
        /// nothing to return yet, then call ``feedChecked(_:)`` with the answer.
        case checkFeed(PendingCommand)
        /// Park the getMore without holding a thread (a timer, a commit notification, a
        /// cursor-removal notification, a killable operation) until something may be ready or
        /// the time is up, then call ``feedWaitEnded(_:interrupted:)`` with its id. When it
        /// cannot be parked (already ready), call that at once.
        case awaitFeed(FeedParkedWait)
        /// Close the channel.
        case close
        /// The connection is finished: tell Commands to free its state (cursors, sessions).
        case release

        static func == (lhs: Action, rhs: Action) -> Bool {
            switch (lhs, rhs) {
            case (.wait, .wait), (.close, .close), (.release, .release): true
            case let (.run(a), .run(b)): a.requestID == b.requestID
            case let (.write(a, ca), .write(b, cb)): a == b && ca == cb
            case let (.writeEncoded(a, ca), .writeEncoded(b, cb)): a == b && ca == cb
            case let (.awaitTopologyChange(a), .awaitTopologyChange(b)): a == b
            case let (.checkFeed(a), .checkFeed(b)): a.requestID == b.requestID
            case let (.awaitFeed(a), .awaitFeed(b)): a == b
            default: false
            }
        }
    }

    private(set) var lifecycle = Lifecycle.open
    private var queue = CircularBuffer<ConnectionWork>()
    private var running: PendingCommand?
    /// The `getMore` to run again once its `moreToCome` reply is written (exhaust cursors).
    private var exhaustContinuation: PendingCommand?
    /// The awaitable hello waiting on this connection, if any.
    private(set) var hello = HelloState.idle
    private var lastHelloWaitID: UInt64 = 0
    /// The feed getMore being checked or waiting on this connection, if any.
    private(set) var feed = FeedState.idle
    private var lastFeedWaitID: UInt64 = 0
    private var closeRequested = false
    private var released = false
    /// Compressors the handshake agreed on; replies may use only these.
    private(set) var negotiatedCompressors: Set<Compressor> = []

    /// True while a command runs on the thread pool.
    var isRunning: Bool { running != nil }

    /// The wait of the awaitable hello under way; the handler cancels the timer and topology
    /// notification of any other.
    var helloWait: HelloWait? { hello.wait }

    /// The parked feed wait under way; the handler releases the registrations of any other.
    var feedWait: FeedParkedWait? { feed.wait }

    /// The request of the parked feed getMore (for currentOp while it waits).
    var parkedFeedRequest: CommandRequest {
        if case let .parked(command, _) = feed { return command.request }
        return CommandRequest(database: "admin", body: ["getMore": .int64(0)])
    }

    /// How many received requests may wait behind the running one before the connection
    /// stops reading from its socket. Bounds what a client that pipelines (or sends
    /// unacknowledged writes faster than they are applied) can make the server hold.
    static let maximumQueued = 8

    /// False while ``maximumQueued`` requests wait: the handler holds back socket reads until
    /// the queue drains, so TCP flow control slows the client down.
    var acceptsInput: Bool { queue.count < Self.maximumQueued }

    /// A frame's work arrived; returns what to do.
    mutating func received(_ work: ConnectionWork) -> Action {
        guard lifecycle != .closed, !closeRequested else { return .wait }
        queue.append(work)
        // Another request ends a hello's wait (and a hello stream): answer it now, then serve
        // the request.
        if let wait = hello.wait { return helloWaitEnded(wait.id) }
        return next()
    }

    /// The wait `id` is over: the topology changed, the time is up, another request came or
    /// the server is shutting down. Runs the hello so that it answers with the topology as it
    /// is now. A wake-up of a wait that already ended does nothing.
    mutating func helloWaitEnded(_ id: UInt64) -> Action {
        guard let wait = hello.wait, wait.id == id else { return .wait }
        let command: PendingCommand
        switch hello {
        case .idle: return .wait
        case let .awaiting(waiting, _), let .streaming(waiting, _): command = waiting
        }
        hello = .idle
        guard lifecycle != .closed else { return next() }
        running = command
        return .run(command)
    }

    /// Commands answered ``Action/checkFeed(_:)``: `wait` when the getMore has nothing to
    /// return yet (it parks, unless the server is shutting down), nil when it should run.
    mutating func feedChecked(_ wait: FeedWait?) -> Action {
        guard case let .checking(command) = feed else { return .wait }
        feed = .idle
        guard lifecycle != .closed else { return next() }
        guard let wait, lifecycle == .open else { return runFeed(command, interrupted: false) }
        lastFeedWaitID &+= 1
        let parked = FeedParkedWait(id: lastFeedWaitID, wait: wait)
        feed = .parked(command, parked)
        return .awaitFeed(parked)
    }

    /// The feed wait `id` is over: a write committed, the time is up, the cursor went, killOp
    /// named it (`interrupted`) or the server is shutting down. Runs the getMore, which builds
    /// its batch without waiting again. A wake-up of a wait that already ended does nothing.
    mutating func feedWaitEnded(_ id: UInt64, interrupted: Bool) -> Action {
        guard case let .parked(command, wait) = feed, wait.id == id else { return .wait }
        feed = .idle
        guard lifecycle != .closed else { return next() }
        return runFeed(command, interrupted: interrupted)
    }

    /// The running command finished with `reply`.
    mutating func commandCompleted(_ reply: BSONDocument) -> Action {
        guard let command = running else { return .wait }
        running = nil
        if lifecycle == .closed { return releaseOnce() }
        if command.isHandshake, case let .array(names) = reply["compression"] {
            negotiatedCompressors = Set(names.compactMap { value -> Compressor? in
                guard case let .string(name) = value else { return nil }
                return Compressor(name: name)
            })
        }
        if command.request.isUnacknowledged { return next() }
        // A hello stream goes on while nothing else waits to be served.
        let helloStream = lifecycle == .open && queue.isEmpty ? command.helloStreamContinuation(after: reply) : nil
        let streams = helloStream != nil || (lifecycle == .open && command.continuesExhaust(after: reply))
        if streams { exhaustContinuation = helloStream ?? command }
        let outbound = OutboundReply(responseTo: command.requestID, message: command.reply(reply, moreToCome: streams),
                                     compressor: command.compressor)
        return .write(outbound, compressor: replyCompressor(for: command.compressor))
    }

    /// The running command, an OP_MSG point find, finished with its reply already encoded
    /// (`body`, the BSON of the reply document). Such a command is neither a handshake nor
    /// a getMore, so no compressor is negotiated and no stream goes on.
    mutating func commandCompleted(encoded body: [UInt8]) -> Action {
        guard let command = running else { return .wait }
        running = nil
        if lifecycle == .closed { return releaseOnce() }
        guard case let .msg(checksum) = command.replyKind, !command.request.isUnacknowledged else { return next() }
        let reply = EncodedReply(responseTo: command.requestID, flags: checksum ? .checksumPresent : [], body: body)
        return .writeEncoded(reply, compressor: replyCompressor(for: command.compressor))
    }

    /// A reply was written with `requestID`. An exhaust stream's next batch (or a hello
    /// stream's next reply, after its wait) answers it; otherwise this is ``next()``.
    mutating func replyWritten(requestID: Int32) -> Action {
        if var continuation = exhaustContinuation {
            exhaustContinuation = nil
            continuation.requestID = requestID
            if let awaitable = continuation.awaitableHello, lifecycle != .closed, running == nil {
                // The client was promised another reply: send it after the wait, or at once
                // when a request came meanwhile or the server is shutting down.
                guard lifecycle == .open, queue.isEmpty else {
                    running = continuation
                    return .run(continuation)
                }
                return startHelloWait(continuation, awaitable, streaming: true)
            }
            guard lifecycle == .open, running == nil else { return next() }
            return startCommand(continuation)
        }
        return next()
    }

    /// What to do after the previous action completed.
    mutating func next() -> Action {
        guard lifecycle != .closed else { return running == nil ? releaseOnce() : .wait }
        // Not while a command runs, a hello waits, or a stream's reply is being written.
        guard running == nil, hello.wait == nil, exhaustContinuation == nil, case .idle = feed else { return .wait }
        guard let work = queue.popFirst() else {
            if lifecycle == .closing { closeRequested = true; return .close }
            return .wait
        }
        switch work {
        case let .command(command):
            if lifecycle == .open, let awaitable = command.awaitableHello {
                return startHelloWait(command, awaitable, streaming: false)
            }
            return startCommand(command)
        case let .reply(reply):
            return .write(reply, compressor: replyCompressor(for: reply.compressor))
        case .drop:
            return next()
        case let .replyAndClose(reply, _):
            queue.removeAll()
            lifecycle = .closing
            if let reply { return .write(reply, compressor: nil) }
            closeRequested = true
            return .close
        }
    }

    /// The server is shutting down: finish the requests already received, then close.
    mutating func quiesce() -> Action {
        guard lifecycle == .open else { return .wait }
        lifecycle = .closing
        // A waiting hello answers at once (ShutdownInProgress, with the new topologyVersion).
        if let wait = hello.wait { return helloWaitEnded(wait.id) }
        // So does a parked feed getMore: it returns what is there now.
        if let wait = feed.wait { return feedWaitEnded(wait.id, interrupted: false) }
        return next()
    }

    /// The channel closed (either side).
    mutating func channelClosed() -> Action {
        lifecycle = .closed
        exhaustContinuation = nil
        hello = .idle
        feed = .idle
        queue.removeAll()
        return running == nil ? releaseOnce() : .wait
    }

    /// Runs `command`, or first asks whether it is a feed getMore that would only wait.
    private mutating func startCommand(_ command: PendingCommand) -> Action {
        if lifecycle == .open, command.isGetMore, !command.request.isUnacknowledged {
            feed = .checking(command)
            return .checkFeed(command)
        }
        running = command
        return .run(command)
    }

    /// Runs a feed getMore whose wait is over (or was not needed): it must not wait again.
    private mutating func runFeed(_ command: PendingCommand, interrupted: Bool) -> Action {
        var command = command
        command.request.waitsOnConnection = true
        command.request.wasInterrupted = interrupted
        running = command
        return .run(command)
    }

    private mutating func startHelloWait(_ command: PendingCommand, _ awaitable: AwaitableHello,
                                         streaming: Bool) -> Action {
        lastHelloWaitID &+= 1
        let wait = HelloWait(id: lastHelloWaitID, version: awaitable.topologyVersion,
                             milliseconds: awaitable.maxAwaitTimeMS)
        hello = streaming ? .streaming(command, wait) : .awaiting(command, wait)
        return .awaitTopologyChange(wait)
    }

    private mutating func releaseOnce() -> Action {
        if released { return .wait }
        released = true
        return .release
    }

    private func replyCompressor(for requested: Compressor?) -> Compressor? {
        guard let requested, negotiatedCompressors.contains(requested) else { return nil }
        return requested
    }
}
