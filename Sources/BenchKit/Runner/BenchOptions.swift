// BenchOptions: the options every bench front end shares (`tessera bench` and the
// PostgreSQL bench in the Benchmarks package), and the loop that runs the named workloads
// on a target, prints a line per run and writes the JSON report.

public import ArgumentParser
import Foundation

/// The workload options of a bench command.
public struct BenchOptions: ParsableArguments {
    /// Workloads or groups to run, in order.
    @Option(name: .long, parsing: .upToNextOption,
            help: "Workloads or groups: connect (connection setup: TCP, TLS, login), w1-counters, w2-ingest[-b<1|100|1000>-<w0|w1|j>], w2-leaderboard, w3-search[-indexed|-scan], w4-scan, text-search, w7-sample, ycsb[-a…f].")
    public var workload: [String]

    /// Concurrent connections.
    @Option(name: .long, help: "Concurrent connections, one thread each (default 4).")
    public var connections: Int = 4

    /// Measured seconds per workload.
    @Option(name: .long, help: "Measured seconds per workload (default 10).")
    public var duration: Double = 10

    /// Warm-up seconds.
    @Option(name: .long, help: "Seconds run before measuring (default 1).")
    public var warmup: Double = 1

    /// Data-set size override.
    @Option(name: .long, help: "Records in each data set instead of the workload's default (YCSB: 1,000,000).")
    public var records: Int?

    /// W1's operation count override.
    @Option(name: .long, help: "Upserts in w1-counters' simulated day (default 144,000).")
    public var operations: Int?

    /// Where to write the JSON report.
    @Option(name: .long, help: "Write the results as JSON to this file.")
    public var json: String?

    /// The random seed.
    @Option(name: .long, help: "Seed of the operation generators (default 42).")
    public var seed: UInt64 = 42

    /// The parser's initialiser.
    public init() {}

    /// Rejects impossible values.
    public func validate() throws {
        guard connections > 0 else { throw ValidationError("--connections must be at least 1") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive and --warmup not negative") }
        if let records, records < 10 { throw ValidationError("--records must be at least 10") }
        if let operations, operations < 1 { throw ValidationError("--operations must be positive") }
    }

    /// Runs every named workload on `target`, printing a line per run, and writes the report.
    public func run(on target: any BenchTarget) throws {
        try run(on: [target])
    }

    /// Runs every named workload on each of `targets` in turn (the same server reached two
    /// ways, say), printing a line per run and, for each target after the first, its
    /// throughput as a share of the first's; writes the report.
    public func run(on targets: [any BenchTarget]) throws {
        let configuration = BenchConfiguration(connections: connections, duration: duration, warmup: warmup, seed: seed)
        var results: [BenchResult] = []
        defer { for target in targets { target.shutdown() } }
        for name in workload {
            for index in 0..<(try WorkloadCatalog.workloads(named: name, records: records, operations: operations, seed: seed).count) {
                var baseline: BenchResult?
                for target in targets {
                    // Each target gets its own workload value (a YCSB run keeps insert counters).
                    let workload = name == ConnectWorkload.workloadName ? ConnectWorkload(target: target)
                        : try WorkloadCatalog.workloads(named: name, records: records, operations: operations, seed: seed)[index]
                    let result = try BenchRunner.run(workload, on: target, configuration: configuration)
                    print(result.summary)
                    if let baseline, baseline.throughput > 0 {
                        let share = String(format: "%.1f", 100 * result.throughput / baseline.throughput)
                        print("\(result.workload): \(result.target) at \(share)% of \(baseline.target)'s throughput")
                    }
                    baseline = baseline ?? result
                    results.append(result)
                    if let json { try Self.write(BenchReport(machine: Self.machine(), results: results), to: json) }
                }
            }
        }
    }

    static func write(_ report: BenchReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    }

    /// The machine the run is on.
    static func machine() -> [String: String] {
        var facts = ["cores": String(ProcessInfo.processInfo.activeProcessorCount),
                     "memoryBytes": String(ProcessInfo.processInfo.physicalMemory),
                     "os": ProcessInfo.processInfo.operatingSystemVersionString]
        if let load = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
            facts["loadAverage"] = load.split(separator: " ").prefix(3).joined(separator: " ")
        }
        return facts
    }
}
