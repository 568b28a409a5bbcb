// WireConnection: the bench's own MongoDB client — one blocking TCP socket, optionally TLS
// (ClientTLS) and a login as drivers do it (hello with speculative SCRAM-SHA-256 or X.509,
// then saslContinue), OP_MSG encoded and decoded by the Wire target's codec. No driver, no
// Python: only what a driver must do.

public import BSON
import Commands
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Wire

/// Closes a file descriptor (the global `close`, which the connection's own `close()` hides).
private func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(descriptor)
    #else
    _ = Darwin.close(descriptor)
    #endif
}

/// A blocking MongoDB wire-protocol connection used by one thread.
public final class WireConnection: DocumentSession {
    private let socket: Int32
    private var nextRequestID: Int32 = 1
    /// The TLS session, when the connection uses TLS.
    private let tls: TLSFilter?
    /// Plaintext TLS delivered beyond what was asked for so far.
    private var plaintext = ByteBuffer()

    /// Connects to `host:port` (a numeric IPv4 address or `localhost`) with `TCP_NODELAY`,
    /// as drivers do; with `tls`, over TLS (handshake done before returning); with
    /// `credentials`, logs in before returning.
    public init(host: String, port: Int, tls: ClientTLS? = nil, credentials: Credentials? = nil) throws(BenchError) {
        let address = host == "localhost" ? "127.0.0.1" : host
        #if canImport(Glibc)
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &peer.sin_addr) == 1 else {
            closeDescriptor(fd)
            throw BenchError("not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            closeDescriptor(fd)
            throw BenchError("cannot connect to \(host):\(port): \(reason)")
        }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        socket = fd
        do {
            self.tls = try tls.map { (tls) throws(BenchError) in try TLSFilter(tls, host: address, port: port) }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        if let credentials {
            try authenticate(credentials)
        } else if self.tls != nil {
            // Finish the TLS handshake now, as a driver's hello would: TLS errors show at connect.
            _ = try command(["hello": 1, "helloOk": true], database: "admin")
        }
    }

    deinit { closeDescriptor(socket) }

    /// Closes the socket (the descriptor is released when the connection is freed), after
    /// TLS's close_notify when the connection uses TLS.
    public func close() {
        if let tls {
            for record in tls.closingRecords() { try? sendAll(record) }
        }
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Sends an OP_MSG and reads its reply.
    public func command(_ body: BSONDocument, database: String, documents: [BSONDocument]?) throws(BenchError) -> BSONDocument {
        let document = try uncheckedCommand(body, database: database, documents: documents)
        try Self.check(document, for: body)
        return document
    }

    /// Sends an OP_MSG and returns its reply as the server sent it: `ok: 0` and a write's
    /// `writeErrors` are left to the caller (an unordered insert's `n` and errors both count).
    public func uncheckedCommand(_ body: BSONDocument, database: String, documents: [BSONDocument]?) throws(BenchError) -> BSONDocument {
        let requestID = try write(body, database: database, documents: documents, flags: [])
        let reply = try readReply()
        guard reply.header.responseTo == requestID else {
            throw BenchError("reply to request \(reply.header.responseTo), expected \(requestID)")
        }
        guard case let .msg(message) = reply.message, let document = message.body else {
            throw BenchError("the server answered with \(reply.message.opCode), not OP_MSG")
        }
        return document
    }

    /// Sends an OP_MSG with `moreToCome`: the server runs it and sends nothing back.
    public func send(_ body: BSONDocument, database: String, documents: [BSONDocument]?) throws(BenchError) {
        _ = try write(body, database: database, documents: documents, flags: .moreToCome)
    }

    /// Fails when a reply reports an error: `ok: 0`, or write errors of a write command.
    static func check(_ reply: BSONDocument, for body: BSONDocument) throws(BenchError) {
        let command = body.keys.first ?? "?"
        if reply["ok"]?.doubleValue != 1 {
            let message = reply["errmsg"]?.stringValue ?? "unknown error"
            throw BenchError("\(command) failed: \(message) (code \(reply["code"]?.int64Value ?? 0))")
        }
        if case let .array(errors)? = reply["writeErrors"], let first = errors.first?.documentValue {
            throw BenchError("\(command): \(errors.count) write errors, first: \(first["errmsg"]?.stringValue ?? "?")")
        }
    }

    private func write(
        _ body: BSONDocument, database: String, documents: [BSONDocument]?, flags: OpMsg.Flags
    ) throws(BenchError) -> Int32 {
        var command = body
        command.append("$db", .string(database))
        var sections: [OpMsg.Section] = [.body(command)]
        if let documents { sections.append(.documentSequence(identifier: "documents", documents: documents)) }
        let requestID = nextRequestID
        nextRequestID = nextRequestID == .max ? 1 : nextRequestID + 1
        var buffer = ByteBuffer()
        do {
            try WireMessage.msg(OpMsg(flags: flags, sections: sections))
                .encode(requestID: requestID, responseTo: 0, into: &buffer)
        } catch {
            throw BenchError("cannot encode \(body.keys.first ?? "?"): \(error)")
        }
        if let tls {
            try tls.write(buffer)
            try sendRecords(tls)
        } else {
            try sendAll(buffer)
        }
        return requestID
    }

    /// Sends the TLS records the session has ready.
    private func sendRecords(_ tls: TLSFilter) throws(BenchError) {
        for record in try tls.recordsToSend() { try sendAll(record) }
    }

    /// Writes every byte of `buffer` to the socket.
    private func sendAll(_ buffer: ByteBuffer) throws(BenchError) {
        let failure: Int32 = buffer.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                let sent = Glibc.send(socket, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                let sent = Darwin.send(socket, base + offset, raw.count - offset, 0)
                #endif
                if sent < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += sent
            }
            return 0
        }
        if failure != 0 { throw BenchError("send: \(String(cString: strerror(failure)))") }
    }

    private func readReply() throws(BenchError) -> InboundMessage {
        var header = [UInt8](repeating: 0, count: MessageHeader.size)
        try readExactly(into: &header)
        let headerBuffer = ByteBuffer(bytes: header)
        guard let parsed = MessageHeader.peek(in: headerBuffer), parsed.bodyLength >= 0 else {
            throw BenchError("malformed reply header")
        }
        var body = [UInt8](repeating: 0, count: parsed.bodyLength)
        try readExactly(into: &body)
        do {
            return try WireMessage.decode(header: parsed, body: ByteBuffer(bytes: body))
        } catch {
            throw BenchError("cannot decode the reply: \(error)")
        }
    }

    private func readExactly(into bytes: inout [UInt8]) throws(BenchError) {
        guard let tls else { return try receive(into: &bytes) }
        // TLS: records until enough plaintext arrived, sending what the session answers
        // (the rest of the handshake) as it goes.
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while plaintext.readableBytes < bytes.count {
            try sendRecords(tls)
            let got = try receiveSome(into: &chunk)
            try tls.receive(ByteBuffer(bytes: chunk[..<got]), into: &plaintext)
        }
        if let read = plaintext.readBytes(length: bytes.count) { bytes = read }
        if plaintext.readableBytes == 0 { plaintext.clear() }
    }

    /// Reads what the socket has (at least one byte) into `bytes`; returns how many.
    private func receiveSome(into bytes: inout [UInt8]) throws(BenchError) -> Int {
        let capacity = bytes.count
        let outcome: Int = bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return -Int(EINVAL) }
            while true {
                let got = recv(socket, base, capacity, 0)
                if got < 0, errno == EINTR { continue }
                return got < 0 ? -Int(errno) : got == 0 ? -Int(ECONNRESET) : got
            }
        }
        if outcome < 0 {
            throw BenchError("recv: \(String(cString: strerror(Int32(clamping: -outcome))))")
        }
        return outcome
    }

    /// Reads exactly `bytes.count` bytes from the socket.
    private func receive(into bytes: inout [UInt8]) throws(BenchError) {
        let count = bytes.count
        let failure: Int32 = bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            var offset = 0
            while offset < count {
                let got = recv(socket, base + offset, count - offset, 0)
                if got < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if got == 0 { return ECONNRESET }
                offset += got
            }
            return 0
        }
        if failure != 0 { throw BenchError("recv: \(String(cString: strerror(failure)))") }
    }
}
