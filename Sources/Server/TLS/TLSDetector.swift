// The first handler of a connection when TLS is on: it reads the connection's first bytes
// and decides whether the client speaks TLS (a TLS record starts 0x16 0x03 0x00…0x04) or
// MongoDB's wire protocol, then puts the TLS handlers in its place or, for a plain client,
// steps aside (allowTLS, preferTLS) or closes the connection (requireTLS). The bytes it read
// go on unchanged to whatever follows it. Neither the first bytes nor the TLS handshake may
// stall longer than the partial-message timeout.

import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// What a connection's first bytes say about its protocol.
enum ConnectionProtocol: Equatable, Sendable {
    /// A TLS handshake record.
    case tls
    /// Anything else: a MongoDB message header.
    case plain
    /// Too few bytes to tell yet.
    case undecided

    /// The protocol of a connection that started with `bytes`.
    ///
    /// One byte is not enough: a MongoDB header starts with the little-endian message length,
    /// so a 278-byte first message (0x116) starts with 0x16 too. A TLS record continues with
    /// its version's major byte 3 and minor byte 0…4, which as a message length would make the
    /// first message at least 66,326 bytes long (drivers start with a hello under 1 KiB).
    static func of<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ConnectionProtocol {
        var iterator = bytes.makeIterator()
        guard let contentType = iterator.next() else { return .undecided }
        guard contentType == 0x16 else { return .plain }
        guard let major = iterator.next() else { return .undecided }
        guard major == 0x03 else { return .plain }
        guard let minor = iterator.next() else { return .undecided }
        return minor <= 0x04 ? .tls : .plain
    }
}

/// Sniffs the first bytes and sets up the rest of the TLS pipeline.
final class TLSDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let acceptsPlain: Bool
    private let makeTLSHandlers: () -> [any ChannelHandler]
    private let logger: Logger
    private let stall: TimeAmount
    /// The bytes read before the decision.
    private var buffered: ByteBuffer?
    /// Closes a connection whose first bytes do not come within `stall`.
    private var deadline: Scheduled<Void>?

    /// A detector; `makeTLSHandlers` makes the handlers a TLS connection continues with
    /// (NIOSSL's server handler and ``TLSClientIdentity``). A client that sends too few bytes
    /// to decide within `stall` is disconnected.
    init(acceptsPlain: Bool, logger: Logger, stall: TimeAmount = .seconds(30),
         makeTLSHandlers: @escaping () -> [any ChannelHandler]) {
        self.acceptsPlain = acceptsPlain
        self.logger = logger
        self.stall = stall
        self.makeTLSHandlers = makeTLSHandlers
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: stall) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = buffered {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        buffered = bytes
        switch ConnectionProtocol.of(bytes.readableBytesView) {
        case .undecided:
            return
        case .tls:
            do {
                try context.pipeline.syncOperations.addHandlers(makeTLSHandlers(), position: .after(self))
            } catch {
                logger.warning("cannot set up TLS for a connection", metadata: ["error": "\(error)"])
                context.close(promise: nil)
                return
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .plain where acceptsPlain:
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .plain:
            buffered = nil
            logger.warning("closing a connection that does not use TLS (--tls-mode requireTLS)", metadata: [
                "remote": "\(context.remoteAddress.map { "\($0)" } ?? "unknown")",
            ])
            context.close(promise: nil)
        }
    }

    /// Hands the bytes read so far to the handler after this one, then leaves.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if let bytes = buffered, bytes.readableBytes > 0 {
            buffered = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.leavePipeline(removalToken: removalToken)
    }
}

/// The verified client certificate of a TLS connection, announced once its handshake is
/// done (before any request is read): ``ConnectionHandler`` records the subject.
struct TLSEstablishedEvent: Sendable {
    /// The subject (RFC 2253) of the certificate the client presented and the server
    /// verified; nil when it presented none.
    var clientCertificateSubject: String?
}

/// Follows NIOSSL's handler: when the handshake completes, reads the client's certificate and
/// fires ``TLSEstablishedEvent``; a handshake that stalls is cut off, and a client that closes
/// without TLS's close_notify (most drivers just close the socket) ends the connection quietly
/// instead of as an error.
final class TLSClientIdentity: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let logger: Logger
    private let stall: TimeAmount
    /// Closes a connection whose handshake does not complete within `stall`.
    private var deadline: Scheduled<Void>?

    /// Reads the client certificate; a handshake that takes longer than `stall` ends the connection.
    init(logger: Logger, stall: TimeAmount = .seconds(30)) {
        self.logger = logger
        self.stall = stall
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: stall) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        deadline?.cancel()
        deadline = nil
        var subject: String?
        if let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).peerCertificate {
            do {
                subject = try CertificateSubject.rfc2253(certificateDER: try certificate.toDERBytes())
            } catch {
                logger.warning("cannot read the client certificate's subject", metadata: ["error": "\(error)"])
            }
        }
        context.fireUserInboundEventTriggered(event)
        context.fireUserInboundEventTriggered(TLSEstablishedEvent(clientCertificateSubject: subject))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tlsError = error as? NIOSSLError, case .uncleanShutdown = tlsError {
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }
}
