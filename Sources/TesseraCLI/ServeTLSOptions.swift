// `tessera serve`'s TLS options (mongod's --tlsMode, --tlsCertificateKeyFile, --tlsCAFile,
// --tlsAllowConnectionsWithoutCertificates) and their config-file keys; flags win over the
// file. Loading the files is the Server's (ServerTLS.load); a bad file stops the start with
// one line on stderr.

import ArgumentParser
import BSON
import Foundation
import Server

/// The TLS flags of `tessera serve`.
struct ServeTLSOptions: ParsableArguments {
    @Option(name: .customLong("tls-mode"), help: ArgumentHelp(
        "disabled (default), allowTLS or preferTLS (TLS and plain clients on the one port), or requireTLS.",
        valueName: "MODE"))
    var mode: String?

    @Option(name: .customLong("tls-certificate-key-file"), help: ArgumentHelp(
        "PEM file with the server's certificate (and chain) and its private key.", valueName: "PEM"))
    var certificateKeyFile: String?

    @Option(name: .customLong("tls-ca-file"), help: ArgumentHelp(
        "PEM file of the CAs client certificates must chain to; clients must then present one (MONGODB-X509).",
        valueName: "PEM"))
    var caFile: String?

    @Flag(name: .customLong("tls-allow-connections-without-certificates"),
          help: "With --tls-ca-file: also serve TLS clients that present no certificate.")
    var allowConnectionsWithoutCertificates = false

    /// The settings from these flags over the config file's `tlsMode`, `tlsCertificateKeyFile`,
    /// `tlsCAFile` and `tlsAllowConnectionsWithoutCertificates`.
    func settings(_ file: ServeFileConfiguration) throws -> TLSSettings {
        let modeName = mode ?? file.tlsMode ?? TLSMode.disabled.rawValue
        guard let mode = TLSMode(rawValue: modeName) else {
            throw ValidationError("unknown --tls-mode '\(modeName)': \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return TLSSettings(
            mode: mode, certificateKeyFile: certificateKeyFile ?? file.tlsCertificateKeyFile,
            caFile: caFile ?? file.tlsCAFile,
            allowConnectionsWithoutCertificates: allowConnectionsWithoutCertificates
                || file.tlsAllowConnectionsWithoutCertificates == true)
    }

    /// Loads the certificate files; on failure prints one line and exits with status 2.
    static func load(_ settings: TLSSettings) throws -> ServerTLS? {
        do {
            return try ServerTLS.load(settings)
        } catch {
            FileHandle.standardError.write(Data("tessera: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// `net.tls` as `getCmdLineOpts` reports it.
    static func parsed(_ settings: TLSSettings) -> BSONDocument {
        var tls: BSONDocument = ["mode": .string(settings.mode.rawValue)]
        if let file = settings.certificateKeyFile { tls.append("certificateKeyFile", .string(file)) }
        if let file = settings.caFile { tls.append("CAFile", .string(file)) }
        if settings.allowConnectionsWithoutCertificates { tls.append("allowConnectionsWithoutCertificates", true) }
        return tls
    }
}
