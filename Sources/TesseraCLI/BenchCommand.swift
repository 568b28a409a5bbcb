// `tessera bench`: runs named workloads against a Tessera server over TCP (the bench's own
// wire client) or against Tessera embedded in this process, and reports throughput,
// latency percentiles, server CPU and memory, and bytes on disk (see docs/performance.md).

import ArgumentParser
import BenchKit

/// `tessera bench`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run benchmark workloads against a Tessera server (tcp) or embedded Tessera.")

    @OptionGroup var options: BenchOptions

    @Option(name: .long, help: "tcp (a running server) or embedded (in this process).")
    var target: String = "tcp"

    @Option(name: .long, help: "The server's address for --target tcp (default 127.0.0.1).")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The server's port for --target tcp (default 27017).")
    var port: Int = 27017

    @Option(name: .long, help: "The server's pid, for its CPU and memory (default: serverStatus.pid).")
    var serverPid: Int32?

    @Option(name: .long, help: "tcp: the server's data directory, for bytes on disk; embedded: the store's directory.")
    var dbpath: String?

    @OptionGroup(title: "Connection (tcp)") var connection: BenchConnectionOptions

    func run() throws {
        switch target {
        case "tcp":
            try options.run(on: connection.targets(host: host, port: port, serverPID: serverPid, dataDirectory: dbpath))
        case "embedded":
            guard let dbpath else { throw ValidationError("--target embedded needs --dbpath") }
            try options.run(on: EmbeddedTarget(path: dbpath))
        default:
            throw ValidationError("unknown target '\(target)': tcp or embedded (PostgreSQL: scripts/bench-compare)")
        }
    }
}
