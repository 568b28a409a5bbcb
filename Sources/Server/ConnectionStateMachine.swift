// The per-connection state machine: requests run one at a time in arrival order (a client
// may pipeline; replies go out in request order), compressors negotiated by the handshake,
// and the ways a connection ends (client gone, lost framing, server shutting down).
// Pure: the handler performs the actions it returns.

import BSON
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

    /// What the handler must do next.
    enum Action: Equatable {
        /// Nothing until the next event.
        case wait
        /// Run this command on the thread pool, then call ``commandCompleted(_:)``.
        case run(PendingCommand)
        /// Write this reply (compressed with `compressor` if non-nil), then call ``next()``.
        case write(OutboundReply, compressor: Compressor?)
        /// Close the channel.
        case close
        /// The connection is finished: tell Commands to free its state (cursors, sessions).
        case release

        static func == (lhs: Action, rhs: Action) -> Bool {
            switch (lhs, rhs) {
            case (.wait, .wait), (.close, .close), (.release, .release): true
            case let (.run(a), .run(b)): a.requestID == b.requestID
            case let (.write(a, ca), .write(b, cb)): a == b && ca == cb
            default: false
            }
        }
    }

    private(set) var lifecycle = Lifecycle.open
    private var queue = CircularBuffer<ConnectionWork>()
    private var running: PendingCommand?
    /// The `getMore` to run again once its `moreToCome` reply is written (exhaust cursors).
    private var exhaustContinuation: PendingCommand?
    private var closeRequested = false
    private var released = false
    /// Compressors the handshake agreed on; replies may use only these.
    private(set) var negotiatedCompressors: Set<Compressor> = []

    /// True while a command runs on the thread pool.
    var isRunning: Bool { running != nil }

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
        return next()
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
        let streams = lifecycle == .open && command.continuesExhaust(after: reply)
        if streams { exhaustContinuation = command }
        let outbound = OutboundReply(responseTo: command.requestID, message: command.reply(reply, moreToCome: streams),
                                     compressor: command.compressor)
        return .write(outbound, compressor: replyCompressor(for: command.compressor))
    }

    /// A reply was written with `requestID`. An exhaust stream's next batch answers it;
    /// otherwise this is ``next()``.
    mutating func replyWritten(requestID: Int32) -> Action {
        if var continuation = exhaustContinuation {
            exhaustContinuation = nil
            guard lifecycle == .open, running == nil else { return next() }
            continuation.requestID = requestID
            running = continuation
            return .run(continuation)
        }
        return next()
    }

    /// What to do after the previous action completed.
    mutating func next() -> Action {
        guard lifecycle != .closed else { return running == nil ? releaseOnce() : .wait }
        guard running == nil else { return .wait }
        guard let work = queue.popFirst() else {
            if lifecycle == .closing { closeRequested = true; return .close }
            return .wait
        }
        switch work {
        case let .command(command):
            running = command
            return .run(command)
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
        return next()
    }

    /// The channel closed (either side).
    mutating func channelClosed() -> Action {
        lifecycle = .closed
        exhaustContinuation = nil
        queue.removeAll()
        return running == nil ? releaseOnce() : .wait
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
