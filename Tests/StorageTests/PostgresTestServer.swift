// PostgresTestServer: a real PostgreSQL 15 (Debian's postgresql-15) for the PostgreSQL engine's
// tests — initdb into a temporary directory, pg_ctl start on a free loopback port, one new
// database per test, stopped and removed when the test process exits. No mocks: the engine
// under test talks to this server over TCP exactly as `tessera serve --storage` would.
import Foundation
import Synchronization
import StoragePostgres

/// One PostgreSQL server per test process, started on first use.
final class PostgresTestServer: Sendable {
    /// Where Debian installs PostgreSQL 15's programs.
    static let binaries = "/usr/lib/postgresql/15/bin"
    let directory: String
    let port: Int
    private let databaseCount = Atomic<Int>(0)

    private static let shared = Mutex<Result<PostgresTestServer, PostgresTestServerError>?>(nil)
    /// Where `atexit` finds the server to stop.
    private static let running = Mutex<PostgresTestServer?>(nil)

    /// The process's server, started on the first call.
    static func start() throws(PostgresTestServerError) -> PostgresTestServer {
        let result = shared.withLock { slot in
            if let slot { return slot }
            let started = Result { () throws(PostgresTestServerError) in try PostgresTestServer() }
            slot = started
            if case let .success(server) = started {
                running.withLock { $0 = server }
                atexit { PostgresTestServer.stopRunning() }
            }
            return started
        }
        return try result.get()
    }

    private init() throws(PostgresTestServerError) {
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
        try Self.run(Self.binaries + "/initdb", ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "--no-locale",
                                                 "-E", "UTF8", "--no-sync"])
        try Self.run(Self.binaries + "/pg_ctl", [
            "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "start",
            "-o", "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off -c max_connections=200",
        ])
    }

    /// A new, empty database on the server.
    func makeDatabase() throws(PostgresTestServerError) -> PostgresLocation {
        let name = "contract_\(databaseCount.add(1, ordering: .relaxed).newValue)"
        try Self.run("/usr/bin/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres",
                                       "-q", "-c", "CREATE DATABASE \(name)"], asPostgres: false)
        return PostgresLocation(host: "127.0.0.1", port: port, user: "postgres", database: name)
    }

    /// Stops the server started by `start()` (from `atexit`) and removes its directory.
    private static func stopRunning() {
        guard let server = running.withLock({ $0 }) else { return }
        _ = try? run(binaries + "/pg_ctl", ["-D", server.directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: server.directory)
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
    /// non-zero exit with its output.
    private static func run(
        _ program: String, _ arguments: [String], asPostgres: Bool = true, allowFailure: Bool = false
    ) throws(PostgresTestServerError) {
        let process = Process()
        if asPostgres, getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        // Output goes to a file, not a pipe: the postmaster pg_ctl starts inherits the
        // descriptors, and a pipe would never reach end-of-file while the server runs.
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-pg-run-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputPath.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputPath) }
        do {
            let output = try FileHandle(forWritingTo: outputPath)
            defer { try? output.close() }
            process.standardOutput = output
            process.standardError = output
            try process.run()
        } catch {
            throw PostgresTestServerError("cannot run \(program): \(error)")
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: outputPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 || allowFailure else {
            throw PostgresTestServerError("\(program) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
        }
    }
}

/// Why the test server could not be started or used.
struct PostgresTestServerError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
