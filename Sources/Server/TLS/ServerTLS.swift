// TLS as the operator configures it (mongod's net.tls options): the mode, the PEM file with
// the server's certificate and key, the CA that client certificates must chain to, and
// whether clients may come without one; loaded once at start into a NIOSSLContext (TLS 1.2+),
// with a one-line error for a missing or unusable file.

import Foundation
import Logging
import NIOCore
import NIOSSL

/// `--tls-mode`, as mongod's `net.tls.mode`.
public enum TLSMode: String, CaseIterable, Sendable {
    /// No TLS: every connection is plain.
    case disabled
    /// TLS and plain connections on the same port (mongod uses plain for its own outgoing ones).
    case allowTLS
    /// TLS and plain connections on the same port (mongod uses TLS for its own outgoing ones).
    case preferTLS
    /// TLS only: a plain client is disconnected.
    case requireTLS

    /// Whether plain (unencrypted) clients are served.
    public var acceptsPlainConnections: Bool { self != .requireTLS }
}

/// What the operator asked for (flags and config file), before any file is read.
public struct TLSSettings: Sendable, Equatable {
    /// The mode.
    public var mode: TLSMode
    /// The PEM file holding the server's certificate (then its chain) and its private key.
    public var certificateKeyFile: String?
    /// A PEM file of CA certificates: client certificates are requested and must chain to one.
    public var caFile: String?
    /// With a CA file: clients that present no certificate are still served (those that do
    /// present one must pass verification).
    public var allowConnectionsWithoutCertificates: Bool

    /// Settings from their parts; the default is TLS off.
    public init(mode: TLSMode = .disabled, certificateKeyFile: String? = nil, caFile: String? = nil,
                allowConnectionsWithoutCertificates: Bool = false) {
        self.mode = mode
        self.certificateKeyFile = certificateKeyFile
        self.caFile = caFile
        self.allowConnectionsWithoutCertificates = allowConnectionsWithoutCertificates
    }
}

/// Why TLS could not be set up; its description is one line for the operator.
public struct TLSSetupError: Error, CustomStringConvertible {
    /// What is wrong, naming the option and the file.
    public let description: String
}

/// TLS ready to serve: the mode and the loaded context.
public struct ServerTLS: Sendable {
    /// The mode (never `disabled`).
    public let mode: TLSMode
    /// The TLS context every TLS connection is made from.
    let context: NIOSSLContext
    /// The server certificate's subject, RFC 2253.
    public let serverSubjectName: String
    /// Whether client certificates are requested and verified against the CA file.
    public let verifiesClientCertificates: Bool

    /// Loads the files `settings` names; nil when TLS is disabled.
    ///
    /// - Throws: `TLSSetupError` when a needed option is missing, a file cannot be read or
    ///   holds no certificate or key, or the key does not fit the certificate.
    public static func load(_ settings: TLSSettings) throws(TLSSetupError) -> ServerTLS? {
        guard settings.mode != .disabled else {
            if settings.certificateKeyFile != nil || settings.caFile != nil {
                throw TLSSetupError(description: "--tls-certificate-key-file and --tls-ca-file need --tls-mode allowTLS, preferTLS or requireTLS")
            }
            return nil
        }
        guard let keyFile = settings.certificateKeyFile else {
            throw TLSSetupError(description: "--tls-mode \(settings.mode.rawValue) needs --tls-certificate-key-file (a PEM file with the certificate and its key)")
        }
        let chain = try certificates(in: keyFile, option: "--tls-certificate-key-file")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw TLSSetupError(description: "--tls-certificate-key-file \(keyFile) holds no readable private key (PEM, unencrypted): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = settings.caFile {
            configuration.trustRoots = .certificates(try certificates(in: caFile, option: "--tls-ca-file"))
            configuration.certificateVerification = settings.allowConnectionsWithoutCertificates
                ? .optionalVerification : .noHostnameVerification
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(description: "cannot use --tls-certificate-key-file \(keyFile) (does the key belong to the certificate?): \(error)")
        }
        let subject: String
        do {
            subject = try CertificateSubject.rfc2253(certificateDER: try chain.first?.toDERBytes() ?? [])
        } catch {
            throw TLSSetupError(description: "cannot read the subject of the certificate in \(keyFile): \(error)")
        }
        return ServerTLS(mode: settings.mode, context: context, serverSubjectName: subject,
                         verifiesClientCertificates: settings.caFile != nil)
    }

    /// The certificates of a PEM file, at least one.
    private static func certificates(in path: String, option: String) throws(TLSSetupError) -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            throw TLSSetupError(description: "\(option) \(path): \(reason)")
        }
        let found: [NIOSSLCertificate]
        do {
            found = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSSetupError(description: "\(option) \(path) is not a PEM certificate file: \(error)")
        }
        guard !found.isEmpty else { throw TLSSetupError(description: "\(option) \(path) holds no certificate") }
        return found
    }
}

extension ServerTLS {
    /// The first handler of a new connection: TLS or plain, as the mode allows; the first
    /// bytes and the handshake may each take `stall`.
    func detector(logger: Logger, stall: TimeAmount) -> TLSDetector {
        let context = context
        return TLSDetector(acceptsPlain: mode.acceptsPlainConnections, logger: logger, stall: stall) {
            [NIOSSLServerHandler(context: context), TLSClientIdentity(logger: logger, stall: stall)]
        }
    }
}
