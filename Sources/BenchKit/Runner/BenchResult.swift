// BenchResult: what one workload run on one target measured, as `tessera bench --json`
// writes it (one object per workload run inside {"results": [...]}) and as a summary line.

import Foundation
import Histogram

/// Latency percentiles of a set of operations, in microseconds.
public struct LatencySummary: Codable, Sendable {
    /// Operations measured.
    public var count: Int
    /// Mean.
    public var mean: Double
    /// Median.
    public var p50: Double
    /// 95th percentile.
    public var p95: Double
    /// 99th percentile.
    public var p99: Double
    /// Maximum.
    public var max: Double

    /// The summary of a histogram of nanoseconds.
    init(_ histogram: Histogram<UInt64>) {
        count = Int(histogram.totalCount)
        mean = histogram.mean / 1_000
        p50 = Double(histogram.valueAtPercentile(50)) / 1_000
        p95 = Double(histogram.valueAtPercentile(95)) / 1_000
        p99 = Double(histogram.valueAtPercentile(99)) / 1_000
        max = Double(histogram.max) / 1_000
    }
}

/// Throughput of one simulated phase (W1's hour).
public struct PhaseResult: Codable, Sendable {
    /// The phase (hour of the simulated day).
    public var phase: Int
    /// Operations in it.
    public var operations: Int
    /// Wall-clock seconds from its first operation's start to its last one's end.
    public var seconds: Double
    /// Operations per second.
    public var perSecond: Double
}

/// The server's resource use during the measured run.
public struct ServerUsage: Codable, Sendable {
    /// CPU seconds (user + system) of the server's processes.
    public var cpuSeconds: Double
    /// CPU seconds per wall-clock second (1.0 = one core busy).
    public var cpuCores: Double
    /// CPU microseconds per measured operation: the noise-resistant figure on a shared
    /// machine (other processes slow the run's wall clock, not what each operation costs).
    /// Absent in reports written before it existed.
    public var cpuMicrosecondsPerOperation: Double?
    /// The highest summed Pss of the server's processes seen (sampled every 250 ms), bytes.
    public var peakMemoryBytes: UInt64
    /// Which processes: "server", "postmaster and backends", or "bench process".
    public var processes: String
}

/// One workload run on one target.
public struct BenchResult: Codable, Sendable {
    /// The workload's name.
    public var workload: String
    /// `tcp`, `embedded` or `postgres`.
    public var target: String
    /// Concurrent connections.
    public var connections: Int
    /// The write durability (w0, w1, j).
    public var durability: String
    /// Records in the data set when the run started.
    public var records: Int
    /// Seconds spent loading the data set (0 when it was already there).
    public var loadSeconds: Double
    /// Measured seconds (after the warm-up).
    public var seconds: Double
    /// Operations measured.
    public var operations: Int
    /// Operations per second.
    public var throughput: Double
    /// Documents (rows) written or examined per second.
    public var documentsPerSecond: Double
    /// All operations' latency.
    public var latency: LatencySummary
    /// Latency per operation kind.
    public var operationKinds: [String: LatencySummary]
    /// Per-phase throughput (w1-counters' hours); empty for other workloads.
    public var phases: [PhaseResult]
    /// The server's CPU and memory, when its processes are known.
    public var server: ServerUsage?
    /// Bytes of the data directory after the run, when it is known.
    public var diskBytes: UInt64?
    /// When the measured run started (UTC, ISO 8601).
    public var startedAt: String

    /// One line for the terminal.
    public var summary: String {
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        var line = "\(workload) [\(target), \(connections) conn]: \(f(throughput)) ops/s"
        if documentsPerSecond != throughput, documentsPerSecond > 0 { line += " (\(f(documentsPerSecond)) docs/s)" }
        line += "; latency µs p50 \(f(latency.p50)) p95 \(f(latency.p95)) p99 \(f(latency.p99)) max \(f(latency.max))"
        if let server {
            line += "; server CPU \(String(format: "%.2f", server.cpuCores)) cores"
            if let perOperation = server.cpuMicrosecondsPerOperation { line += ", \(f(perOperation)) µs/op" }
            line += ", \(server.peakMemoryBytes >> 20) MiB"
        }
        if let diskBytes { line += "; disk \(diskBytes >> 20) MiB" }
        return line
    }
}

/// The file `--json` writes.
public struct BenchReport: Codable, Sendable {
    /// The machine: cores, memory, kernel.
    public var machine: [String: String]
    /// One entry per workload run.
    public var results: [BenchResult]
}
