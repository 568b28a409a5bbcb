// Splits the byte stream into messages by their 16-byte header. An oversized but plausible
// message is skipped as its bytes arrive (never buffered) and reported for an error reply; a
// header whose length cannot be trusted stops decoding so the connection can close.

import NIOCore
import Wire

/// One framed unit of the inbound stream.
enum InboundFrame {
    /// A whole message: its header and exactly the bytes after it.
    case message(MessageHeader, ByteBuffer)
    /// A message whose bytes were skipped; the stream is still in step.
    case rejected(MessageHeader, WireError)
    /// The stream lost its framing (header known if one was read); nothing after it is read.
    case unframeable(MessageHeader?, WireError)
}

/// Tells the connection whether the stream stands in the middle of a message (so a read
/// timeout then means a stalled client, not an idle one).
struct PartialMessageEvent: Sendable {
    let isPartial: Bool
}

/// A `ByteToMessageDecoder` producing ``InboundFrame``s.
struct MessageFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame

    private enum State {
        case readingHeader
        case discarding(MessageHeader, remaining: Int, error: WireError)
        case stopped
    }

    private var state = State.readingHeader
    /// Whether the last ``PartialMessageEvent`` said a message was partly received.
    private var reportedPartial = false

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let result = try decodeFrame(context: context, buffer: &buffer)
        let partial: Bool
        switch state {
        case .discarding: partial = true
        case .readingHeader: partial = buffer.readableBytes > 0
        case .stopped: partial = false
        }
        if partial != reportedPartial {
            reportedPartial = partial
            context.fireUserInboundEventTriggered(PartialMessageEvent(isPartial: partial))
        }
        return result
    }

    private mutating func decodeFrame(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .stopped:
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        case let .discarding(header, remaining, error):
            let skipped = min(remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skipped)
            if skipped < remaining {
                state = .discarding(header, remaining: remaining - skipped, error: error)
                return .needMoreData
            }
            state = .readingHeader
            context.fireChannelRead(wrapInboundOut(.rejected(header, error)))
            return .continue
        case .readingHeader:
            guard let header = MessageHeader.peek(in: buffer) else { return .needMoreData }
            switch header.framing {
            case .message:
                guard buffer.readableBytes >= Int(header.messageLength) else { return .needMoreData }
                buffer.moveReaderIndex(forwardBy: MessageHeader.size)
                guard let body = buffer.readSlice(length: header.bodyLength) else { return .needMoreData }
                context.fireChannelRead(wrapInboundOut(.message(header, body)))
                return .continue
            case let .discard(error):
                state = .discarding(header, remaining: Int(header.messageLength), error: error)
                return .continue
            case let .unframeable(error):
                state = .stopped
                buffer.moveReaderIndex(to: buffer.writerIndex)
                context.fireChannelRead(wrapInboundOut(.unframeable(header, error)))
                return .needMoreData
            }
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while case .continue = try decode(context: context, buffer: &buffer) {}
        if case .readingHeader = state, buffer.readableBytes > 0, buffer.readableBytes < MessageHeader.size {
            let available = buffer.readableBytes
            buffer.moveReaderIndex(to: buffer.writerIndex)
            state = .stopped
            context.fireChannelRead(wrapInboundOut(.unframeable(nil, .truncatedHeader(available: available))))
        }
        return .needMoreData
    }
}
