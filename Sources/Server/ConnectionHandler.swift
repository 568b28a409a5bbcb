// The channel handler for one client: routes each frame to work, drives the connection
// state machine, runs commands on the thread pool (or, for the point reads and handshakes
// Commands calls quick, on the event loop itself), writes the replies in request order, and
// stops reading from the socket while too many received requests wait (back-pressure for
// pipelined and unacknowledged writes), and holds awaitable hellos, feed getMores with
// nothing to return and writes the fsync lock holds back on an event-loop timer and a
// notification (never a thread). Knows no command semantics beyond what the state machine
// reads.

import BSON
import Commands
import Logging
import NIOCore
import NIOPosix
import Wire

/// Serves one client connection.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine = ConnectionStateMachine()
    private let runtime: ServerRuntime
    private let id: Int64
    /// What Commands learns of the connection; the client certificate's subject is added
    /// once a TLS handshake completes (before the first request is read).
    private var info: ConnectionInfo
    private let logger: Logger
    private var nextRequestID: Int32 = 1
    /// A socket read was asked for while the machine was full; issue it once the queue drains.
    private var readHeldBack = false
    /// Whether the frame decoder holds part of a message (see ``PartialMessageEvent``).
    private var midMessage = false
    /// The timer and topology notification of the awaitable hello waiting, if any.
    private var helloWaker: (id: UInt64, timer: Scheduled<Void>, registration: ServerTopology.Registration)?
    /// The timer and registrations of the feed getMore parked, if any.
    private var feedWaker: (id: UInt64, timer: Scheduled<Void>, parking: FeedParking)?
    /// The write parked on the fsync lock, if any (the machine sees it as running), with
    /// its maxTimeMS timer.
    private var fsyncWaker: (id: UInt64, timer: Scheduled<Void>?, parking: FsyncParking)?
    /// Numbers fsync parkings, so a late wake-up of an earlier one does nothing.
    private var lastFsyncParking: UInt64 = 0

    init(runtime: ServerRuntime, channel: any Channel) {
        self.runtime = runtime
        id = runtime.nextConnectionID()
        info = ConnectionInfo(
            id: id, remoteAddress: Self.hostPort(channel.remoteAddress),
            localAddress: Self.hostPort(channel.localAddress), availableCompressors: ServerRuntime.availableCompressors)
        var logger = runtime.logger
        logger[metadataKey: "connection"] = "\(id)"
        logger[metadataKey: "remote"] = "\(info.remoteAddress)"
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        runtime.metrics.update {
            $0.currentConnections += 1
            $0.totalConnections += 1
        }
        logger.info("connection accepted")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        runtime.metrics.update { $0.currentConnections -= 1 }
        logger.info("connection closed")
        perform(machine.channelClosed(), context: context)
        if releaseFsyncWait() {
            // The parked write never ran: end it so the machine releases the connection.
            perform(machine.commandCompleted(ServerRuntime.shutdownReply), context: context)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let length: Int
        switch frame {
        case let .message(header, _), let .rejected(header, _): length = Int(header.messageLength)
        case .unframeable: length = 0
        }
        runtime.metrics.update {
            $0.bytesIn += length
            $0.requests += 1
        }
        let work = ConnectionWork.route(frame)
        switch work {
        case let .reply(reply):
            logger.debug("request answered with an error", metadata: ["responseTo": "\(reply.responseTo)"])
        case let .drop(error):
            logger.warning("unacknowledged request failed", metadata: ["error": "\(error)"])
        case let .replyAndClose(_, error):
            logger.warning("closing connection: stream out of step", metadata: ["error": "\(error)"])
        case .command:
            break
        }
        perform(machine.received(work), context: context)
    }

    func read(context: ChannelHandlerContext) {
        if machine.acceptsInput {
            context.read()
        } else {
            readHeldBack = true
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let partial = event as? PartialMessageEvent {
            midMessage = partial.isPartial
            return
        }
        if let established = event as? TLSEstablishedEvent {
            info.clientCertificateSubject = established.clientCertificateSubject
            logger.info("TLS established", metadata: ["clientCertificate": "\(established.clientCertificateSubject ?? "none")"])
            return
        }
        if case IdleStateHandler.IdleStateEvent.read = event {
            // Idle between messages is fine (drivers pool connections); stalled inside one is not.
            if midMessage {
                logger.warning("closing a connection stalled in the middle of a message")
                context.close(promise: nil)
            }
            return
        }
        guard event is ServerQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        perform(machine.quiesce(), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func perform(_ first: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        var action = first
        defer {
            cancelFinishedHelloWait()
            releaseFinishedFeedWait()
            resumeReadingIfDrained(context: context)
        }
        while true {
            switch action {
            case .wait:
                return
            case let .run(command) where runtime.isQuick(command.request):
                if let encoded = runtime.runPointFind(command.request, connection: info) {
                    action = machine.commandCompleted(encoded: encoded)
                    continue
                }
                let reply = runtime.run(command.request, connection: info)
                if CommandDispatcher.closesConnection(reply) {
                    context.close(promise: nil)
                    return
                }
                action = machine.commandCompleted(reply)
            case let .run(command):
                start(command, context: context)
                return
            case let .write(reply, compressor):
                let (requestID, written) = write(reply, compressor: compressor, context: context)
                if !reply.message.isStreamed, context.channel.isWritable {
                    action = machine.replyWritten(requestID: requestID)
                    continue
                }
                goOnWhenWritten(written, requestID: requestID, context: context)
                return
            case let .writeEncoded(reply, compressor):
                let (requestID, written) = write(reply, compressor: compressor, context: context)
                if context.channel.isWritable {
                    action = machine.replyWritten(requestID: requestID)
                    continue
                }
                goOnWhenWritten(written, requestID: requestID, context: context)
                return
            case let .awaitTopologyChange(wait):
                guard startWaking(wait, context: context) else {
                    action = machine.helloWaitEnded(wait.id)
                    continue
                }
                return
            case let .checkFeed(command):
                action = machine.feedChecked(runtime.feedWait(for: command.request, connection: info))
            case let .awaitFeed(wait):
                guard startWaking(wait, context: context) else {
                    action = machine.feedWaitEnded(wait.id, interrupted: false)
                    continue
                }
                return
            case .close:
                context.close(promise: nil)
                return
            case .release:
                runtime.connectionClosed(id)
                return
            }
        }
    }

    /// Tells the machine the reply `requestID` was written once `written` completes: an
    /// exhaust stream goes on once its reply reached the socket, as mongod's does, and so does
    /// the next request of a client whose replies wait unsent: a client that stops reading
    /// stalls its requests instead of filling our memory (the queue bound then stops reading
    /// from it).
    private func goOnWhenWritten(_ written: EventLoopFuture<Void>, requestID: Int32, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.whenComplete { _ in
            let (handler, context) = bound.value
            handler.perform(handler.machine.replyWritten(requestID: requestID), context: context)
        }
    }

    /// Arranges for ``ConnectionStateMachine/helloWaitEnded(_:)`` when the topology moves on from
    /// `wait.version` or `wait.milliseconds` pass. False when the version is no longer current
    /// (or shutdown began): the hello answers at once.
    private func startWaking(_ wait: ConnectionStateMachine.HelloWait, context: ChannelHandlerContext) -> Bool {
        cancelFinishedHelloWait()
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let wake: @Sendable () -> Void = {
            loop.execute {
                let (handler, context) = bound.value
                handler.perform(handler.machine.helloWaitEnded(wait.id), context: context)
            }
        }
        guard let registration = runtime.topology.notifyOnChange(from: wait.version, wake) else { return false }
        let timer = loop.scheduleTask(in: .milliseconds(wait.milliseconds)) { wake() }
        helloWaker = (wait.id, timer, registration)
        return true
    }

    /// Cancels the timer and notification of a hello wait the machine no longer has (it ended,
    /// or the connection closed), so neither keeps the handler alive.
    private func cancelFinishedHelloWait() {
        guard let waker = helloWaker, machine.helloWait?.id != waker.id else { return }
        helloWaker = nil
        waker.timer.cancel()
        runtime.topology.cancel(waker.registration)
    }

    /// Parks a feed getMore: arranges for ``feedWoke(_:context:)`` when a write commits past
    /// its sequence, its cursor goes, killOp names it or its time is up. False when it is
    /// already over (or the server is stopping): the getMore runs at once.
    private func startWaking(_ wait: ConnectionStateMachine.FeedParkedWait, context: ChannelHandlerContext) -> Bool {
        releaseFinishedFeedWait()
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let wake: @Sendable () -> Void = {
            loop.execute {
                let (handler, context) = bound.value
                handler.feedWoke(wait.id, context: context)
            }
        }
        guard let parking = runtime.park(wait.wait, request: machine.parkedFeedRequest, connection: info, wake: wake)
        else { return false }
        let timer = loop.scheduleTask(in: .milliseconds(wait.wait.milliseconds)) { wake() }
        feedWaker = (wait.id, timer, parking)
        return true
    }

    /// A parked feed wait's notification or timer fired: release its registrations and run
    /// the getMore (Interrupted when killOp ended it). Late wake-ups of a finished wait do nothing.
    private func feedWoke(_ id: UInt64, context: ChannelHandlerContext) {
        guard let waker = feedWaker, waker.id == id, machine.feedWait?.id == id else { return }
        feedWaker = nil
        waker.timer.cancel()
        let interrupted = runtime.unpark(waker.parking)
        perform(machine.feedWaitEnded(id, interrupted: interrupted), context: context)
    }

    /// Releases the timer and registrations of a feed wait the machine no longer has (it
    /// ended on shutdown, or the connection closed).
    private func releaseFinishedFeedWait() {
        guard let waker = feedWaker, machine.feedWait?.id != waker.id else { return }
        feedWaker = nil
        waker.timer.cancel()
        _ = runtime.unpark(waker.parking)
    }

    /// Issues the socket read held back while the queue was full, once it has room again.
    private func resumeReadingIfDrained(context: ChannelHandlerContext) {
        guard readHeldBack, machine.acceptsInput else { return }
        readHeldBack = false
        context.read()
    }

    /// Holds `command` on the connection while the fsync lock holds it back; true when parked
    /// (it starts, or answers Interrupted or MaxTimeMSExpired, when woken).
    private func parkWhileFsyncLocked(_ command: PendingCommand, context: ChannelHandlerContext) -> Bool {
        lastFsyncParking &+= 1
        let id = lastFsyncParking
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let wake: @Sendable (Bool) -> Void = { timedOut in
            loop.execute {
                let (handler, context) = bound.value
                handler.fsyncWoke(id, command: command, timedOut: timedOut, context: context)
            }
        }
        guard let parking = runtime.parkWhileFsyncLocked(command.request, connection: info, wake: { wake(false) })
        else { return false }
        let timer = parking.milliseconds.map { loop.scheduleTask(in: .milliseconds($0)) { wake(true) } }
        fsyncWaker = (id, timer, parking)
        return true
    }

    /// A parked write woke: it answers at once (killOp, shutdown, maxTimeMS) or starts (and
    /// parks again if the lock was taken again meanwhile). Late wake-ups do nothing.
    private func fsyncWoke(_ id: UInt64, command: PendingCommand, timedOut: Bool, context: ChannelHandlerContext) {
        guard let waker = fsyncWaker, waker.id == id else { return }
        fsyncWaker = nil
        waker.timer?.cancel()
        if let reply = waker.parking.release(timedOut: timedOut) {
            perform(machine.commandCompleted(reply), context: context)
        } else {
            start(command, context: context)
        }
    }

    /// Drops a parked write's registrations (the connection closed); false when none was parked.
    private func releaseFsyncWait() -> Bool {
        guard let waker = fsyncWaker else { return false }
        fsyncWaker = nil
        waker.timer?.cancel()
        _ = waker.parking.release(timedOut: false)
        return true
    }

    private func start(_ command: PendingCommand, context: ChannelHandlerContext) {
        if parkWhileFsyncLocked(command, context: context) { return }
        let runtime = self.runtime
        let info = self.info
        let request = command.request
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        runtime.threadPool.runIfActive(eventLoop: context.eventLoop) {
            runtime.run(request, connection: info)
        }.whenComplete { result in
            let (handler, context) = bound.value
            let reply: BSONDocument
            switch result {
            case let .success(document): reply = document
            case .failure: reply = ServerRuntime.shutdownReply
            }
            if CommandDispatcher.closesConnection(reply) {
                // failCommand's closeConnection: drop this connection, answer nothing.
                handler.logger.info("closing connection: failCommand fail point")
                context.close(promise: nil)
                return
            }
            handler.perform(handler.machine.commandCompleted(reply), context: context)
        }
    }

    /// Encodes and sends `reply`; returns the request id it was sent with, and the write.
    private func write(_ reply: OutboundReply, compressor: Compressor?,
                       context: ChannelHandlerContext) -> (requestID: Int32, written: EventLoopFuture<Void>) {
        var buffer = context.channel.allocator.buffer(capacity: 512)
        do {
            try reply.message.encode(requestID: nextRequestID, responseTo: reply.responseTo, compressor: compressor, into: &buffer)
        } catch {
            logger.error("reply could not be encoded", metadata: ["error": "\(error)"])
            buffer.clear()
            let fallback = ConnectionWork.errorDocument(error)
            let message: WireMessage = if case .reply = reply.message {
                .reply(OpReply(documents: [fallback]))
            } else {
                .msg(OpMsg(body: fallback))
            }
            try? message.encode(requestID: nextRequestID, responseTo: reply.responseTo, into: &buffer)
        }
        return send(buffer, context: context)
    }

    /// Sends `reply`, whose body is already BSON (one copy, into the outbound buffer);
    /// returns the request id it was sent with, and the write.
    private func write(_ reply: EncodedReply, compressor: Compressor?,
                       context: ChannelHandlerContext) -> (requestID: Int32, written: EventLoopFuture<Void>) {
        let requestID = nextRequestID
        var buffer = context.channel.allocator.buffer(capacity: reply.body.count + 64)
        do {
            try WireMessage.encodeMsg(flags: reply.flags, body: reply.body, requestID: requestID,
                                      responseTo: reply.responseTo, compressor: compressor, into: &buffer)
        } catch {
            logger.error("reply could not be encoded", metadata: ["error": "\(error)"])
            buffer.clear()
            try? WireMessage.msg(OpMsg(body: ConnectionWork.errorDocument(error)))
                .encode(requestID: requestID, responseTo: reply.responseTo, into: &buffer)
        }
        return send(buffer, context: context)
    }

    /// Writes and flushes one encoded message; returns the request id it used, and the write.
    private func send(_ buffer: ByteBuffer, context: ChannelHandlerContext) -> (requestID: Int32, written: EventLoopFuture<Void>) {
        let requestID = nextRequestID
        nextRequestID &+= 1
        let count = buffer.readableBytes
        runtime.metrics.update { $0.bytesOut += count }
        return (requestID, context.writeAndFlush(wrapOutboundOut(buffer)))
    }

    /// `host:port` of a socket address (`unknown` when there is none).
    static func hostPort(_ address: SocketAddress?) -> String {
        guard let address, let host = address.ipAddress, let port = address.port else { return "unknown" }
        if case .v6 = address { return "[\(host)]:\(port)" }
        return "\(host):\(port)"
    }
}

extension WireMessage {
    /// True for a reply of an exhaust stream (OP_MSG flagged moreToCome): more replies follow.
    var isStreamed: Bool {
        if case let .msg(message) = self { return message.flags.contains(.moreToCome) }
        return false
    }
}
