// The options and the sampling loop `tessera stat` and `tessera top` share: the connection,
// the interval between reports, how many reports, JSON output.

import ArgumentParser
import BSON
import BenchKit
import Foundation

/// `--uri`, `--interval`, `--rows`, `--json`.
struct LiveViewOptions: ParsableArguments {
    @OptionGroup var connection: ToolConnectionOptions

    @Option(name: .long, help: "Seconds between reports (default 1).")
    var interval: Double = 1

    @Option(name: .long, help: "Stop after this many reports (default: run until interrupted).")
    var rows: Int?

    @Flag(name: .long, help: "One JSON document per report instead of text.")
    var json = false

    func validate() throws {
        guard interval > 0, interval <= 86_400 else { throw ValidationError("--interval must be between 0 and 86400 seconds") }
        if let rows, rows < 1 { throw ValidationError("--rows must be at least 1") }
    }

    /// Runs admin command `command` now and then once per interval, calling `report` with
    /// the previous and the new reply, `--rows` times (or forever).
    func sample(_ command: BSONDocument, report: (_ previous: BSONDocument, _ current: BSONDocument) throws -> Void) throws {
        let server = try connection.connect()
        defer { server.close() }
        var previous = try server.command(command, database: "admin")
        var printed = 0
        while rows.map({ printed < $0 }) ?? true {
            Thread.sleep(forTimeInterval: interval)
            let current = try server.command(command, database: "admin")
            try report(previous, current)
            fflush(nil)
            previous = current
            printed += 1
        }
    }
}
