// TLS for the bench's blocking wire client: NIOSSL's client handler inside an EmbeddedChannel
// used as a filter — plaintext written in comes out as TLS records to send on the socket,
// records read from the socket go in and come out as plaintext. The socket stays the same
// blocking socket plain connections use, so TLS against plain measures only what TLS costs.

import NIOCore
import NIOEmbedded
import NIOSSL

/// How bench connections speak TLS: the CA that signs the server's certificate and,
/// optionally, the client's own certificate (for MONGODB-X509).
public struct ClientTLS: Sendable {
    let context: NIOSSLContext

    /// TLS 1.2+ verifying the server's certificate against `caFile` (and its name or IP
    /// against the host connected to); `certificateKeyFile` is a PEM with the client's
    /// certificate and key.
    public init(caFile: String, certificateKeyFile: String?) throws(BenchError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        do {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            if let certificateKeyFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateKeyFile).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificateKeyFile, format: .pem))
            }
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw BenchError("cannot set up TLS with --tls-ca-file \(caFile): \(error)")
        }
    }
}

/// One connection's TLS session. Used by one thread (an EmbeddedChannel is not thread-safe).
final class TLSFilter {
    private let channel = EmbeddedChannel()

    /// Starts the handshake with the server at `host:port` (a name is sent as SNI and checked
    /// against the certificate; an IP address is checked against its IP SANs).
    init(_ tls: ClientTLS, host: String, port: Int) throws(BenchError) {
        do {
            let isAddress = (try? SocketAddress(ipAddress: host, port: port)) != nil
            let handler = try NIOSSLClientHandler(context: tls.context, serverHostname: isAddress ? nil : host)
            try channel.pipeline.syncOperations.addHandler(handler)
            let address = try SocketAddress(ipAddress: isAddress ? host : "127.0.0.1", port: port)
            try channel.connect(to: address).wait()
        } catch {
            throw BenchError("cannot start TLS to \(host):\(port): \(error)")
        }
    }

    /// The records that end the session (close_notify), to send before closing the socket.
    func closingRecords() -> [ByteBuffer] {
        channel.close(promise: nil)
        return (try? recordsToSend()) ?? []
    }

    /// Encrypts `plaintext` (held until the handshake is done).
    func write(_ plaintext: ByteBuffer) throws(BenchError) {
        // Not writeOutbound, which waits for the write to complete: before the handshake is
        // done, NIOSSL holds the data back and completes the write only later.
        channel.writeAndFlush(plaintext, promise: nil)
        do {
            try channel.throwIfErrorCaught()
        } catch {
            throw BenchError("TLS: \(error)")
        }
    }

    /// The TLS records waiting to be sent (handshake messages and encrypted writes).
    func recordsToSend() throws(BenchError) -> [ByteBuffer] {
        var records: [ByteBuffer] = []
        do {
            while let record = try channel.readOutbound(as: ByteBuffer.self) { records.append(record) }
        } catch {
            throw BenchError("TLS: \(error)")
        }
        return records
    }

    /// Takes records read from the socket; appends the plaintext they carry to `plaintext`.
    func receive(_ records: ByteBuffer, into plaintext: inout ByteBuffer) throws(BenchError) {
        do {
            try channel.writeInbound(records)
            while var decrypted = try channel.readInbound(as: ByteBuffer.self) { plaintext.writeBuffer(&decrypted) }
        } catch {
            throw BenchError("TLS: \(error)")
        }
    }
}
