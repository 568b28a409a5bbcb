// PostgresTLS: whether and how connections to the database are encrypted, libpq's `sslmode`
// and `sslrootcert` URI options. Owns the modes, their parsing and printing, and turning them
// into postgres-nio's TLS setting (one NIOSSLContext per pool); opens nothing itself.
// A Unix-socket location never uses TLS, as with libpq.
internal import NIOSSL
internal import PostgresNIO
internal import Storage

/// libpq's `sslmode`: whether connections use TLS and what they check of the server.
public enum PostgresTLSMode: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP only.
    case disable
    /// TLS when the server offers it, plain otherwise; the certificate is not checked
    /// (libpq's default).
    case prefer
    /// TLS or no connection; the certificate is not checked.
    case require
    /// TLS, and the server's certificate must chain to a trusted root (`sslrootcert`, else
    /// the system's roots).
    case verifyCA = "verify-ca"
    /// As `verify-ca`, and the certificate must name the host connected to.
    case verifyFull = "verify-full"
}

/// The TLS settings of a PostgreSQL location.
public struct PostgresTLS: Sendable, Hashable {
    /// The mode (`sslmode`); libpq's default, `prefer`, when the URI names none.
    public var mode: PostgresTLSMode = .prefer
    /// A PEM file of the roots to trust (`sslrootcert`); the system's roots when nil.
    public var rootCertificatePath: String?

    /// `prefer`, with the system's roots.
    public init() {}

    /// postgres-nio's setting for a TCP connection, using `context` (made once per pool by
    /// ``makeContext()``) unless TLS is off.
    func connectionSetting(_ context: NIOSSLContext?) -> PostgresConnection.Configuration.TLS {
        guard let context else { return .disable }
        return mode == .prefer ? .prefer(context) : .require(context)
    }

    /// The TLS context connections share: nil for `disable`. Throws `.invalidArgument` when the
    /// root certificate file cannot be read.
    func makeContext() throws(StorageError) -> NIOSSLContext? {
        guard mode != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificatePath { configuration.trustRoots = .file(rootCertificatePath) }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw StorageError(.open, path: rootCertificatePath ?? "", status: "PostgreSQL TLS: \(error)", code: .invalidArgument)
        }
    }
}
