// MessageFramer: splits an inbound byte stream into messages by their 16-byte header. An
// oversized but plausible message is skipped as its bytes arrive (never buffered) and reported
// for an error reply; a header whose length cannot be trusted stops framing so the connection
// can close. Pure state over a ByteBuffer: no channel, no events (Server's decoder adds those).

public import NIOCore

/// One framed unit of the inbound stream.
public enum InboundFrame: Sendable, Equatable {
    /// A whole message: its header and exactly the bytes after it.
    case message(MessageHeader, ByteBuffer)
    /// A message whose bytes were skipped; the stream is still in step.
    case rejected(MessageHeader, WireError)
    /// The stream lost its framing (header known if one was read); nothing after it is read.
    case unframeable(MessageHeader?, WireError)
}

/// The framing state of one inbound stream: feed it the stream's buffer, take frames out.
public struct MessageFramer: Sendable {
    private enum State: Sendable {
        case readingHeader
        case discarding(MessageHeader, remaining: Int, error: WireError)
        case stopped
    }

    private var state = State.readingHeader

    /// A framer at the start of a stream.
    public init() {}

    /// The next frame in `buffer`, consuming its bytes (and any bytes being skipped), or nil
    /// when more bytes are needed. After an ``InboundFrame/unframeable(_:_:)`` frame every
    /// later byte is consumed and ignored.
    public mutating func nextFrame(from buffer: inout ByteBuffer) -> InboundFrame? {
        switch state {
        case .stopped:
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        case let .discarding(header, remaining, error):
            let skipped = min(remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skipped)
            if skipped < remaining {
                state = .discarding(header, remaining: remaining - skipped, error: error)
                return nil
            }
            state = .readingHeader
            return .rejected(header, error)
        case .readingHeader:
            guard let header = MessageHeader.peek(in: buffer) else { return nil }
            switch header.framing {
            case .message:
                guard buffer.readableBytes >= Int(header.messageLength) else { return nil }
                buffer.moveReaderIndex(forwardBy: MessageHeader.size)
                guard let body = buffer.readSlice(length: header.bodyLength) else { return nil }
                return .message(header, body)
            case let .discard(error):
                state = .discarding(header, remaining: Int(header.messageLength), error: error)
                return nextFrame(from: &buffer)  // skips what has arrived (the state is now .discarding)
            case let .unframeable(error):
                state = .stopped
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return .unframeable(header, error)
            }
        }
    }

    /// Whether the stream stands inside a message, given the bytes `buffer` still holds after
    /// ``nextFrame(from:)`` returned nil: part of a header or body is buffered, or a skipped
    /// message's bytes are still arriving. A stopped stream is never inside a message.
    public func isInsideMessage(_ buffer: ByteBuffer) -> Bool {
        switch state {
        case .discarding: true
        case .readingHeader: buffer.readableBytes > 0
        case .stopped: false
        }
    }

    /// At the end of the stream: an ``InboundFrame/unframeable(_:_:)`` frame for leftover bytes
    /// too few to hold a header, or nil. (A partly received body at the end is dropped silently.)
    public mutating func frameAtEndOfStream(_ buffer: inout ByteBuffer) -> InboundFrame? {
        guard case .readingHeader = state, buffer.readableBytes > 0, buffer.readableBytes < MessageHeader.size else {
            return nil
        }
        let available = buffer.readableBytes
        buffer.moveReaderIndex(to: buffer.writerIndex)
        state = .stopped
        return .unframeable(nil, .truncatedHeader(available: available))
    }
}
