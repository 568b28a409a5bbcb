// MetricsEndpoint: the tiny HTTP/1.1 responder behind `--metrics-port`. `GET /metrics`
// answers the registry in Prometheus' text format (version 0.0.4); any other path is 404,
// any other method 405. One response per connection, then close: scrapers reconnect.

import NIOCore
import NIOHTTP1
import NIOPosix

/// Binds the metrics endpoint.
enum MetricsEndpoint {
    /// Listens on `host:port` and answers scrapes with `render()` (called on the event loop;
    /// `nil` answers 503, as during shutdown).
    static func bind(host: String, port: Int, group: any EventLoopGroup,
                     render: @escaping @Sendable () -> [UInt8]?) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

/// Answers one request when its head arrives.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> [UInt8]?
    private var answered = false

    init(render: @escaping @Sendable () -> [UInt8]?) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case let .head(head) = unwrapInboundIn(data), !answered else { return }
        answered = true
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let (status, body): (HTTPResponseStatus, [UInt8]) = switch (head.method, path) {
        case (.GET, "/metrics"):
            render().map { (HTTPResponseStatus.ok, $0) }
                ?? (HTTPResponseStatus.serviceUnavailable, Array("shutting down\n".utf8))
        case (.GET, _): (.notFound, Array("not found; try /metrics\n".utf8))
        default: (.methodNotAllowed, Array("only GET\n".utf8))
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
