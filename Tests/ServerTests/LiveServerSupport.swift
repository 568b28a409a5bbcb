// Runs a real TesseraServer in-process on a free port with a temporary store, and a
// blocking raw-socket client that sends bytes and reads whole wire messages back.

import BSON
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Server
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// Starts a server on 127.0.0.1:0 with a fresh data directory, runs `body` with it and its
/// port, then shuts it down gracefully and removes the directory. Returns the data path's
/// parent, already removed, for nothing; callers that need the store after shutdown use `afterShutdown`.
func withLiveServer(
    commandThreads: Int = 4,
    _ body: (TesseraServer, Int) async throws -> Void,
    afterShutdown: (String) throws -> Void = { _ in }
) async throws {
    let parent = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-server-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: parent) }
    let dbPath = parent.appendingPathComponent("data").path
    var logger = Logger(label: "tessera.test")
    logger.logLevel = .critical
    let server = TesseraServer(
        configuration: ServerConfiguration(host: "127.0.0.1", port: 0, dbPath: dbPath, cursorReapInterval: .seconds(1),
                                           shutdownTimeout: .seconds(5), commandThreads: commandThreads),
        logger: logger)
    let group = ServiceGroup(services: [server], logger: logger)
    let running = Task { try await group.run() }
    do {
        let address = try await server.localAddress()
        try await body(server, address.port ?? 0)
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
    try afterShutdown(dbPath)
}

/// Why the raw client failed.
struct RawClientError: Error, CustomStringConvertible {
    let description: String
}

/// A blocking TCP client speaking raw bytes, with a receive timeout so a test cannot hang.
final class RawClient {
    private let fd: Int32
    private var nextRequestID: Int32 = 100

    init(port: Int, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw RawClientError(description: "connect: errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Sends all of `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawClientError(description: "send: errno \(errno)") }
            sent += n
        }
    }

    /// Encodes and sends `message`; returns its request id.
    @discardableResult
    func send(_ message: WireMessage, compressor: Compressor? = nil) throws -> Int32 {
        nextRequestID += 1
        var buffer = ByteBuffer()
        try message.encode(requestID: nextRequestID, responseTo: 0, compressor: compressor, into: &buffer)
        try send(Array(buffer.readableBytesView))
        return nextRequestID
    }

    /// Reads exactly `count` bytes; nil when the peer closed first.
    func read(_ count: Int) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return nil }
            if n < 0 {
                if errno == ECONNRESET { return nil }
                throw RawClientError(description: "recv: errno \(errno) (timeout?)")
            }
            got += n
        }
        return bytes
    }

    /// Reads one whole message; nil when the peer closed.
    func readMessage() throws -> InboundMessage? {
        guard let head = try read(16) else { return nil }
        var headBuffer = ByteBuffer(bytes: head)
        guard let header = MessageHeader.decode(from: &headBuffer), header.bodyLength >= 0 else {
            throw RawClientError(description: "bad reply header")
        }
        guard let body = try read(header.bodyLength) else { return nil }
        return try WireMessage.decode(header: header, body: ByteBuffer(bytes: body))
    }

    /// Sends `command` on `database` as OP_MSG and returns the reply body.
    func command(_ command: BSONDocument, database: String = "admin", compressor: Compressor? = nil) throws -> BSONDocument {
        var body = command
        body.append("$db", .string(database))
        let id = try send(.msg(OpMsg(body: body)), compressor: compressor)
        guard let reply = try readMessage() else { throw RawClientError(description: "closed instead of replying") }
        guard reply.header.responseTo == id, case let .msg(message) = reply.message, let document = message.body else {
            throw RawClientError(description: "unexpected reply \(reply)")
        }
        return document
    }

    /// True when bytes from the server are waiting to be read (looks without waiting).
    func hasPendingBytes() -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLIN) != 0
    }

    /// True when the peer closes the connection (reading and discarding any replies first).
    func closesConnection() throws -> Bool {
        while true {
            if try readMessage() == nil { return true }
        }
    }
}

/// The bytes of a frame with `opCode` and `body`, length computed.
func rawFrame(requestID: Int32, opCode: Int32, body: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    for value in [Int32(16 + body.count), requestID, 0, opCode] {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    return bytes + body
}

/// A document's BSON bytes.
func bsonBytes(_ document: BSONDocument) -> [UInt8] { (try? document.bsonBytes()) ?? [] }
