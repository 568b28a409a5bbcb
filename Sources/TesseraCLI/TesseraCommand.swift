// The `tessera` command line: `tessera serve` (the default) runs the server until SIGINT or
// SIGTERM; `tessera version` prints the version. Options come from flags, then a JSON config
// file, then the defaults (127.0.0.1:27017, data in ./data); server parameters from the config
// file's `setParameter` object, then `--set-parameter NAME=VALUE` flags.

import ArgumentParser
import BSON
import Commands
import Foundation
import Logging
import Server
import ServiceLifecycle

/// Tessera's version string.
let tesseraVersion = "0.5.0"

@main
struct TesseraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "A document database that speaks MongoDB's wire protocol.",
        subcommands: [Serve.self, Bench.self, Backup.self, Dump.self, Load.self, Import.self, Export.self, Stat.self,
                      Top.self, Compact.self, Version.self],
        defaultSubcommand: Serve.self)
}

/// `tessera version`.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Tessera's version.")

    func run() {
        print("tessera \(tesseraVersion) (MongoDB wire protocol, compatible with 8.0)")
    }
}

/// The settings a `--config` file may hold; every field is optional and flags override it.
struct ServeFileConfiguration: Decodable {
    var bind: String?
    var port: Int?
    var dbpath: String?
    var storage: String?
    var logLevel: String?
    /// Whether clients must authenticate (`--auth`).
    var auth: Bool?
    /// The audit log file (`--audit-log`).
    var auditLog: String?
    /// TLS, as `--tls-mode`, `--tls-certificate-key-file`, `--tls-ca-file` and
    /// `--tls-allow-connections-without-certificates`.
    var tlsMode: String?
    var tlsCertificateKeyFile: String?
    var tlsCAFile: String?
    var tlsAllowConnectionsWithoutCertificates: Bool?
    /// The Prometheus endpoint (`--metrics-port`, `--metrics-bind`).
    var metricsPort: Int?
    var metricsBind: String?
    /// After a full disk, the free MiB at which writes resume (`--disk-reserve-mb`).
    var diskReserveMB: Int?
    /// Server parameters, as mongod's config file's `setParameter` (values: text or JSON scalars).
    var setParameter: [String: ParameterSetting]?
}

/// One value of the config file's `setParameter` object: text as on the command line, or a
/// JSON Boolean or number, checked as a client's setParameter value is.
enum ParameterSetting: Decodable {
    case text(String)
    case value(BSONValue)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .value(.bool(flag))
        } else if let integer = try? container.decode(Int64.self) {
            self = .value(.int64(integer))
        } else if let number = try? container.decode(Double.self) {
            self = .value(.double(number))
        } else {
            self = .text(try container.decode(String.self))
        }
    }
}

/// Why `tessera serve` refused to start; ArgumentParser prints it as one line.
struct StartupError: Error, CustomStringConvertible {
    let description: String
}

/// `tessera serve`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server until SIGINT or SIGTERM.")

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var bind: String?

    @Option(name: .long, help: "TCP port (default 27017; 0 picks a free port).")
    var port: Int?

    @Option(name: .long, help: "Data directory, created if missing (default ./data).")
    var dbpath: String?

    @Option(name: .long, help: ArgumentHelp(
        "Keep the data in a PostgreSQL-protocol database (PostgreSQL, CockroachDB, YugabyteDB) instead of --dbpath; see docs/scale-out.md.",
        valueName: "postgresql://USER@HOST:PORT/DB"))
    var storage: String?

    @Option(name: .long, help: "JSON file with any of {\"bind\", \"port\", \"dbpath\", \"storage\", \"logLevel\", \"setParameter\", \"auth\", \"auditLog\", \"tlsMode\", \"tlsCertificateKeyFile\", \"tlsCAFile\", \"tlsAllowConnectionsWithoutCertificates\", \"metricsPort\", \"metricsBind\", \"diskReserveMB\"}.")
    var config: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp(
        "A server parameter as mongod's --setParameter, e.g. ttlMonitorSleepSecs=10 (repeatable).",
        valueName: "NAME=VALUE"))
    var setParameter: [String] = []
    @Flag(name: .long, help: "Enable the test-only commands drivers' test suites use (configureFailPoint, waitForFailPoint); same as --set-parameter enableTestCommands=1.")
    var enableTestCommands = false

    @Flag(name: .long, help: "Require clients to authenticate (SCRAM) and hold roles for what they run.")
    var auth = false

    @Flag(name: .long, help: "Allow a non-loopback --bind without --auth (anyone who reaches the port owns the data).")
    var insecureNoAuth = false

    @Option(name: .long, help: ArgumentHelp(
        "Append an audit log (JSON lines: logins, authorization failures, user, role and DDL changes) to FILE.",
        valueName: "FILE"))
    var auditLog: String?
    @OptionGroup(title: "TLS") var tls: ServeTLSOptions

    @Option(name: .long, help: "The most client connections open at once (default 10000); the next is closed.")
    var maxConnections: Int = 10_000

    @Option(name: .long, help: "Seconds a connection may stall inside a partly sent message before it is closed (default 30).")
    var partialMessageTimeout: Int = 30
    @Option(name: .long, help: ArgumentHelp(
        "At shutdown, how long interrupted operations may take to finish before connections are closed and the server exits anyway (default 5000).",
        valueName: "MS"))
    var shutdownTimeoutMs: Int = 5000
    @Option(name: .long, help: "Serve Prometheus metrics over HTTP at GET /metrics on this port (default: off; 0 picks a free port).")
    var metricsPort: Int?
    @Option(name: .long, help: "Address the metrics endpoint listens on (default 127.0.0.1).")
    var metricsBind: String?
    @Option(name: .long, help: "Log commands that take at least this many milliseconds as \"Slow query\" (and profile them at level 1); default 100, as mongod's --slowms.")
    var slowMs: Int = 100
    @Option(name: .long, help: "The share (0 to 1) of slow commands logged and profiled (default 1), as mongod's --slowOpSampleRate.")
    var slowOpSampleRate: Double = 1
    @Option(name: .long, help: ArgumentHelp(
        "After the disk fills, writes are refused (14031) until this many MiB are free again, then resume without a restart (default 64; 1 to 1048576).",
        valueName: "MIB"))
    var diskReserveMb: Int?

    func run() async throws {
        let file = try loadConfigFile()
        let host = bind ?? file.bind ?? "127.0.0.1"
        let port = port ?? file.port ?? 27017
        // A PostgreSQL URI takes the data directory's place all the way down (DocumentStore(path:)).
        let dbPath = storage ?? file.storage ?? dbpath ?? file.dbpath ?? "data"
        if let uri = storage ?? file.storage, !uri.hasPrefix("postgresql://"), !uri.hasPrefix("postgres://") {
            throw ValidationError("--storage takes a postgresql://USER@HOST:PORT/DB URI, not '\(uri)'")
        }
        let levelName = logLevel ?? file.logLevel ?? "info"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            throw ValidationError("unknown log level '\(levelName)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("port \(port) is out of range") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard (1...86_400).contains(partialMessageTimeout) else {
            throw ValidationError("--partial-message-timeout must be between 1 and 86400 seconds")
        }
        guard (0...3_600_000).contains(shutdownTimeoutMs) else {
            throw ValidationError("--shutdown-timeout-ms \(shutdownTimeoutMs) is out of range (0 to 3600000)")
        }
        let diskReserveMB = diskReserveMb ?? file.diskReserveMB
        if let diskReserveMB, !(1...1_048_576).contains(diskReserveMB) {
            throw ValidationError("--disk-reserve-mb \(diskReserveMB) is out of range (1 to 1048576)")
        }
        let parameters = try serverParameters(file)
        let authEnabled = auth || file.auth == true
        let tlsSettings = try tls.settings(file)
        let serverTLS = try ServeTLSOptions.load(tlsSettings)
        let loopbackOnly = ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("127.")
        if !loopbackOnly && !authEnabled && !insecureNoAuth {
            FileHandle.standardError.write(Data(
                "tessera: refusing to listen on \(host) without --auth: anyone reaching the port could read and drop every database (add --auth, or --insecure-no-auth to accept that)\n".utf8))
            throw ExitCode(2)
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tessera")
        if !loopbackOnly && !authEnabled {
            logger.warning("listening on a non-loopback address without --auth (--insecure-no-auth): every client can read and drop all data")
        }
        var storageSection: BSONDocument = ["dbPath": .string(dbPath)]
        if let diskReserveMB { storageSection.append("diskReserveMB", .int32(Int32(clamping: diskReserveMB))) }
        var net: BSONDocument = ["bindIp": .string(host), "port": .int32(Int32(port))]
        if serverTLS != nil { net.append("tls", .document(ServeTLSOptions.parsed(tlsSettings))) }
        var parsed: BSONDocument = [
            "net": .document(net),
            "storage": .document(storageSection),
            "systemLog": ["verbosity": .string(level.rawValue)],
            "security": ["authorization": .string(authEnabled ? "enabled" : "disabled")],
        ]
        if let config { parsed.append("config", .string(config)) }
        let auditPath = auditLog ?? file.auditLog
        if let auditPath {
            try Self.checkAppendable(auditPath)
            parsed.append("auditLog", ["destination": "file", "format": "JSON", "path": .string(auditPath)])
        }
        let startupSettings = parameters.startupSettings
        if !startupSettings.isEmpty { parsed.append("setParameter", .document(startupSettings)) }
        parsed.append("operationProfiling", ["slowOpThresholdMs": .int64(Int64(slowMs)),
                                             "slowOpSampleRate": .double(slowOpSampleRate)])
        let commandLine: BSONDocument = [
            "argv": .array(CommandLine.arguments.map { .string($0) }), "parsed": .document(parsed),
        ]
        var configuration = ServerConfiguration(host: host, port: port, dbPath: dbPath, commandLine: commandLine,
                                                shutdownTimeout: .milliseconds(shutdownTimeoutMs),
                                                parameters: parameters, auth: authEnabled)
        configuration.maxConnections = maxConnections
        configuration.auditLog = auditPath
        configuration.partialMessageTimeout = .seconds(partialMessageTimeout)
        configuration.tls = serverTLS
        guard (0...1).contains(slowOpSampleRate) else { throw ValidationError("--slow-op-sample-rate must be between 0 and 1") }
        configuration.slowMilliseconds = slowMs
        configuration.slowOpSampleRate = slowOpSampleRate
        configuration.diskReserveBytes = diskReserveMB.map { $0 << 20 }
        if let metricsPort = metricsPort ?? file.metricsPort {
            guard (0...65535).contains(metricsPort) else { throw ValidationError("metrics port \(metricsPort) is out of range") }
            configuration.metricsPort = metricsPort
            configuration.metricsHost = metricsBind ?? file.metricsBind ?? "127.0.0.1"
        }
        let server = TesseraServer(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The parameters: defaults, then the config file's `setParameter`, then `--set-parameter`.
    ///
    /// - Throws: `StartupError` naming the first unknown parameter or bad value.
    private func serverParameters(_ file: ServeFileConfiguration) throws -> ServerParameters {
        let parameters = ServerParameters()
        for (name, setting) in (file.setParameter ?? [:]).sorted(by: { $0.key < $1.key }) {
            do throws(MongoError) {
                switch setting {
                case let .text(text): try parameters.setAtStartup(name, text: text)
                case let .value(value): try parameters.setAtStartup(name, value: value)
                }
            } catch {
                throw StartupError(description: "bad setParameter in config file \(config ?? ""): \(error.message)")
            }
        }
        for assignment in setParameter + (enableTestCommands ? ["enableTestCommands=1"] : []) {
            do throws(MongoError) {
                try parameters.setAtStartup(assignment)
            } catch {
                throw StartupError(description: "bad --set-parameter \(assignment): \(error.message)")
            }
        }
        return parameters
    }

    /// Refuses to start when the audit log cannot be opened for appending (created 0600).
    private static func checkAppendable(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StartupError(description: "cannot open the audit log \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
    }

    private func loadConfigFile() throws -> ServeFileConfiguration {
        guard let config else { return ServeFileConfiguration() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: config))
        } catch {
            throw ValidationError("cannot read config file \(config): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(ServeFileConfiguration.self, from: data)
        } catch {
            throw ValidationError("config file \(config) is not valid: \(error)")
        }
    }
}
