// PostgresTestServer (the PostgresTestSupport fixture): a real PostgreSQL 15 (Debian's
// postgresql-15) for the tests of the PostgreSQL engine (StorageTests) and of the API on it
// (TesseraTests) — initdb into a temporary directory, pg_ctl start on a free loopback port,
// one new database per test as a `postgresql://` URI (and a second server with TLS on, for
// the engine's sslmode tests), stopped and removed when the test
// process exits. No mocks: the code under test talks to this server over TCP exactly as
// `tessera serve --storage` would. Imports no Tessera module, so any test target may use it.
import Foundation
import Synchronization

/// One PostgreSQL server per test process, started on first use.
public final class PostgresTestServer: Sendable {
    /// Where Debian installs PostgreSQL 15's programs.
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// The cluster's temporary directory (its data, socket and server.log).
    public let directory: String
    /// The loopback port the server listens on.
    public let port: Int
    /// For a server started with ``startWithTLS()``: its self-signed certificate (PEM), for
    /// `localhost` and 127.0.0.1, which clients verifying the server trust as their root.
    public let certificatePath: String?
    private let databaseCount = Atomic<Int>(0)

    private static let shared = Mutex<Result<PostgresTestServer, PostgresTestServerError>?>(nil)
    private static let sharedTLS = Mutex<Result<PostgresTestServer, PostgresTestServerError>?>(nil)
    /// Where `atexit` finds the servers to stop.
    private static let running = Mutex<[PostgresTestServer]>([])

    /// The process's server, started on the first call.
    public static func start() throws(PostgresTestServerError) -> PostgresTestServer {
        try start(in: shared, tls: false)
    }

    /// The process's server that also accepts TLS (`ssl = on`, ``certificatePath``), started
    /// on the first call; plain connections are accepted too.
    public static func startWithTLS() throws(PostgresTestServerError) -> PostgresTestServer {
        try start(in: sharedTLS, tls: true)
    }

    private static func start(
        in slot: borrowing Mutex<Result<PostgresTestServer, PostgresTestServerError>?>, tls: Bool
    ) throws(PostgresTestServerError) -> PostgresTestServer {
        let result = slot.withLock { slot in
            if let slot { return slot }
            let started = Result { () throws(PostgresTestServerError) in try PostgresTestServer(tls: tls) }
            slot = started
            if case let .success(server) = started {
                let first = running.withLock { running in
                    running.append(server)
                    return running.count == 1
                }
                if first { atexit { PostgresTestServer.stopRunning() } }
            }
            return started
        }
        return try result.get()
    }

    private init(tls: Bool) throws(PostgresTestServerError) {
        guard FileManager.default.isExecutableFile(atPath: Self.binaries + "/initdb") else {
            throw PostgresTestServerError("PostgreSQL 15 is not installed (\(Self.binaries)); run scripts/ensure-packages")
        }
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-pg-\(UUID().uuidString)").path
        port = try Self.freePort()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw PostgresTestServerError("cannot create \(directory): \(error)")
        }
        if getuid() == 0 {
            // initdb refuses to run as root: the cluster belongs to the `postgres` user.
            try Self.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
                         asPostgres: false, allowFailure: true)
            try Self.run("/bin/chown", ["postgres", directory], asPostgres: false)
        }
        var tlsOptions = ""
        if tls {
            // One self-signed certificate, the server's own and its clients' root: verify-full
            // checks the name (localhost, 127.0.0.1) and the chain.
            let certificate = directory + "/server.crt", key = directory + "/server.key"
            try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                                              "-days", "2", "-subj", "/CN=localhost",
                                              "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], asPostgres: false)
            // The server refuses a key others can read.
            try Self.run("/bin/chmod", ["0600", key], asPostgres: false)
            if getuid() == 0 { try Self.run("/bin/chown", ["postgres", key, certificate], asPostgres: false) }
            tlsOptions = " -c ssl=on -c ssl_cert_file=\(certificate) -c ssl_key_file=\(key)"
            certificatePath = certificate
        } else {
            certificatePath = nil
        }
        try Self.run(Self.binaries + "/initdb", ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "--no-locale",
                                                 "-E", "UTF8", "--no-sync"],
                     timeout: .seconds(60))
        do {
            try Self.run(Self.binaries + "/pg_ctl", [
                "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "30", "start",
                "-o", "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off -c max_connections=200" + tlsOptions,
            ], timeout: .seconds(40))
        } catch {
            // A server that did not come up in time may still be starting: stop it, keep its log.
            let log = Self.readOutput(directory + "/server.log")
            Self.stop(directory: directory)
            throw PostgresTestServerError("PostgreSQL did not start: \(error.description)\nserver.log: \(log)")
        }
    }

    /// A new, empty database on the server, whose statements time out after 30 s, as the
    /// `postgresql://` URI `tessera serve --storage` and `TesseraClient(path:)` take.
    public func makeDatabaseURI() throws(PostgresTestServerError) -> String {
        let name = "contract_\(databaseCount.add(1, ordering: .relaxed).newValue)"
        try Self.run("/usr/bin/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres",
                                       "-q", "-c", "CREATE DATABASE \(name)",
                                       // A statement stuck on a lock fails the test instead of hanging it.
                                       "-c", "ALTER DATABASE \(name) SET statement_timeout = '30s'"], asPostgres: false)
        return "postgresql://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// Stops the server started by `start()` (from `atexit`) and removes its directory.
    private static func stopRunning() {
        for server in running.withLock({ $0 }) { stop(directory: server.directory) }
    }

    /// Stops the cluster in `directory` (if it runs) and removes the directory.
    private static func stop(directory: String) {
        _ = try? run(binaries + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A loopback port nothing listens on now (bound to port 0, then released).
    private static func freePort() throws(PostgresTestServerError) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw PostgresTestServerError("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw PostgresTestServerError("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program (as the `postgres` user when root and `asPostgres`), failing on a
    /// non-zero exit with its output, or when it has not finished within `timeout` (then it
    /// is killed), so no test waits forever on a server that does not come up.
    ///
    /// Not Foundation's `Process`: on Linux it learns of the child's exit through a socket
    /// the child inherits, and the postmaster `pg_ctl start` leaves running inherits it too,
    /// so `waitUntilExit()` never returned. `posix_spawn` and `waitpid` see the exit itself.
    private static func run(
        _ program: String, _ arguments: [String], asPostgres: Bool = true, allowFailure: Bool = false,
        timeout: Duration = .seconds(30)
    ) throws(PostgresTestServerError) {
        let command = asPostgres && getuid() == 0
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments
            : [program] + arguments
        let described = command.joined(separator: " ")
        // Output goes to a file, not a pipe: the postmaster inherits the descriptors, and a
        // pipe would never reach end-of-file while the server runs.
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-pg-run-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let child = try spawn(command, output: outputPath)
        let status = try waitForExit(child, timeout: timeout, described: described, output: outputPath)
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
        guard exitCode == 0 || allowFailure else {
            throw PostgresTestServerError("\(described) exited with status \(status): \(readOutput(outputPath))")
        }
    }

    /// Starts `command` (an absolute program path and its arguments) with standard input from
    /// /dev/null and standard output and error into the file at `output`.
    private static func spawn(_ command: [String], output: String) throws(PostgresTestServerError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { environment.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, command[0], &actions, nil, arguments, environment)
        guard result == 0 else {
            throw PostgresTestServerError("cannot run \(command[0]): \(String(cString: strerror(result)))")
        }
        return child
    }

    /// Waits for `child` to exit and returns its raw wait status; kills it after `timeout`.
    private static func waitForExit(
        _ child: pid_t, timeout: Duration, described: String, output: String
    ) throws(PostgresTestServerError) -> Int32 {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(child, &status, WNOHANG)
            if reaped == child { return status }
            if reaped == -1, errno != EINTR {
                throw PostgresTestServerError("waitpid for \(described) failed: \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                throw PostgresTestServerError("\(described) did not finish within \(timeout); killed. Output: \(readOutput(output))")
            }
            usleep(20_000)
        }
    }

    private static func readOutput(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}

/// Why the test server could not be started or used.
/// Why the test server could not start or make a database.
public struct PostgresTestServerError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
