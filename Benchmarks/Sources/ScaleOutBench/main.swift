// `ScaleOutBench`: `tessera bench`'s workloads against several `tessera serve --storage
// postgresql://...` servers sharing one PostgreSQL (issue 21's `tessera-pg` target of
// scripts/bench-compare). Same options, runner and JSON as `tessera bench`; the connections
// are dealt round-robin over the servers, and the CPU reported is PostgreSQL's.

import ArgumentParser
import BenchKit

/// The scale-out bench command.
struct ScaleOutBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ScaleOutBench",
        abstract: "Run tessera bench workloads over several Tessera servers that share one PostgreSQL.")

    @OptionGroup var options: BenchOptions

    @Option(name: .long, help: "The servers' address (default 127.0.0.1).")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("port"), help: "A server's port; repeat once per server.")
    var ports: [Int] = []

    @Option(name: .long, help: "The postmaster's pid: the CPU reported is PostgreSQL's (postmaster and backends).")
    var postgresPid: Int32?

    @Option(name: .long, help: "PostgreSQL's data directory, for bytes on disk.")
    var dataDirectory: String?

    func validate() throws {
        guard !ports.isEmpty else { throw ValidationError("give at least one --port") }
    }

    func run() throws {
        let servers = try ports.map { port throws(BenchError) in
            try TCPTarget(host: host, port: port, serverPID: nil, dataDirectory: nil)
        }
        try options.run(on: ScaleOutTarget(
            servers: servers, postmasterPID: postgresPid, dataDirectory: dataDirectory))
    }
}

/// Several Tessera servers on one PostgreSQL, seen as one system under test: connection `i`
/// goes to server `i mod n`, so load spreads evenly, as a driver given every mongos spreads it.
struct ScaleOutTarget: BenchTarget {
    /// The servers, in the order their ports were given.
    let servers: [TCPTarget]
    /// PostgreSQL's postmaster, whose CPU (with its backends') is the run's server CPU.
    let postmasterPID: Int32?
    /// PostgreSQL's data directory.
    let dataDirectory: String?

    /// `tessera-pg-N`, N the number of servers, so runs with different counts stay apart.
    var name: String { "tessera-pg-\(servers.count)" }

    func connect(index: Int) throws(BenchError) -> BenchSession {
        try servers[index % servers.count].connect(index: index)
    }

    func serverProcessIDs() -> [Int32] { postmasterPID.map { [$0] } ?? [] }

    func shutdown() {}
}

ScaleOutBenchCommand.main()
