// InboundFrameDecoder: the channel side of Wire's MessageFramer. Feeds the socket's bytes to
// the framer, passes each frame to the connection handler, and tells the handler whether the
// stream stands in the middle of a message (so a read timeout then means a stalled client).

import NIOCore
import Wire

/// Tells the connection whether the stream stands in the middle of a message (so a read
/// timeout then means a stalled client, not an idle one).
struct PartialMessageEvent: Sendable {
    let isPartial: Bool
}

/// A `ByteToMessageDecoder` producing Wire's ``InboundFrame``s and ``PartialMessageEvent``s.
struct InboundFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame

    private var framer = MessageFramer()
    /// Whether the last ``PartialMessageEvent`` said a message was partly received.
    private var reportedPartial = false

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let frame = framer.nextFrame(from: &buffer)
        if let frame { context.fireChannelRead(wrapInboundOut(frame)) }
        let partial = framer.isInsideMessage(buffer)
        if partial != reportedPartial {
            reportedPartial = partial
            context.fireUserInboundEventTriggered(PartialMessageEvent(isPartial: partial))
        }
        return frame == nil ? .needMoreData : .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while case .continue = try decode(context: context, buffer: &buffer) {}
        if let frame = framer.frameAtEndOfStream(&buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        return .needMoreData
    }
}
