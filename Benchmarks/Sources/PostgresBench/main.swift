// `PostgresBench`: `tessera bench`'s workloads against PostgreSQL. Same options, same
// runner, same JSON as `tessera bench`; scripts/bench-compare starts the cluster it uses.

import ArgumentParser
import BenchKit

/// The PostgreSQL bench command.
struct PostgresBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "PostgresBench", abstract: "Run tessera bench workloads against PostgreSQL (jsonb documents).")

    @OptionGroup var options: BenchOptions

    @Option(name: .long, help: "PostgreSQL's address (default 127.0.0.1).")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "PostgreSQL's port (default 5432).")
    var port: Int = 5432

    @Option(name: .long, help: "The user to connect as (trust authentication; default postgres).")
    var user: String = "postgres"

    @Option(name: .long, help: "The database (default postgres).")
    var database: String = "postgres"

    @Option(name: .long, help: "The postmaster's pid, for the server's CPU and memory.")
    var serverPid: Int32?

    @Option(name: .long, help: "The cluster's data directory, for bytes on disk.")
    var dataDirectory: String?

    func run() throws {
        try options.run(on: PostgresTarget(
            host: host, port: port, user: user, database: database, postmasterPID: serverPid,
            dataDirectory: dataDirectory))
    }
}

PostgresBenchCommand.main()
