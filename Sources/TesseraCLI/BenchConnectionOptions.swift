// `tessera bench`'s connection options for --target tcp: a connection string with credentials
// (SCRAM-SHA-256 on every connection, as a driver logs in), TLS with the server's CA and an
// optional client certificate, and --compare-plain, which runs each workload over plain TCP
// and then over TLS against the same server (allowTLS or preferTLS) and prints the ratio.

import ArgumentParser
import BenchKit

/// The TLS and login options of `tessera bench`.
struct BenchConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "mongodb://user:password@host:port/?authSource=admin[&authMechanism=SCRAM-SHA-256|SCRAM-SHA-1|MONGODB-X509][&tls=true]; replaces --host and --port.",
        valueName: "URI"))
    var uri: String?

    @Option(name: .customLong("tls-ca-file"), help: ArgumentHelp(
        "Connect with TLS, verifying the server's certificate against these CAs (PEM).", valueName: "PEM"))
    var caFile: String?

    @Option(name: .customLong("tls-certificate-key-file"), help: ArgumentHelp(
        "With TLS: the client's certificate and key (PEM), for servers that ask for one and for MONGODB-X509.",
        valueName: "PEM"))
    var certificateKeyFile: String?

    @Flag(name: .long, help: "With TLS: run each workload over plain TCP first, then over TLS, and print TLS's share of plain's throughput (the server must run --tls-mode allowTLS or preferTLS).")
    var comparePlain = false

    /// The targets to run on: the one the options describe, after a plain one with `--compare-plain`.
    func targets(host: String, port: Int, serverPID: Int32?, dataDirectory: String?) throws -> [any BenchTarget] {
        var host = host
        var port = port
        var credentials: Credentials?
        var wantsTLS = caFile != nil
        if let uri {
            let parsed = try ConnectionString(parsing: uri)
            host = parsed.host
            port = parsed.port
            credentials = parsed.credentials
            wantsTLS = wantsTLS || parsed.tls
        }
        var tls: ClientTLS?
        if wantsTLS {
            guard let caFile else { throw ValidationError("TLS needs --tls-ca-file (the CA that signed the server's certificate)") }
            tls = try ClientTLS(caFile: caFile, certificateKeyFile: certificateKeyFile)
        } else if certificateKeyFile != nil || comparePlain {
            throw ValidationError("--tls-certificate-key-file and --compare-plain need TLS (--tls-ca-file)")
        }
        let target = try TCPTarget(host: host, port: port, serverPID: serverPID, dataDirectory: dataDirectory,
                                   tls: tls, credentials: credentials)
        guard comparePlain else { return [target] }
        let plain = try TCPTarget(host: host, port: port, serverPID: target.serverPID, dataDirectory: dataDirectory,
                                  credentials: credentials)
        return [plain, target]
    }
}
