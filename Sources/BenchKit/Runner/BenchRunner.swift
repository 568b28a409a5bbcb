// BenchRunner: runs one workload on one target — loads its data set, then N connections,
// each on its own thread with its own blocking session, run operations for a fixed time
// after a warm-up (or until a fixed operation count), timing each into HdrHistograms.

import BenchSupport
import Dispatch
import Foundation
import Histogram
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a run is shaped.
public struct BenchConfiguration: Sendable {
    /// Concurrent connections, one thread each.
    public var connections: Int
    /// Measured seconds (ignored by workloads with a fixed operation count).
    public var duration: Double
    /// Seconds run before measuring starts.
    public var warmup: Double
    /// Seed of the connections' random generators.
    public var seed: UInt64

    /// A configuration.
    public init(connections: Int = 4, duration: Double = 10, warmup: Double = 1, seed: UInt64 = 42) {
        self.connections = connections
        self.duration = duration
        self.warmup = warmup
        self.seed = seed
    }
}

extension BenchSession {
    /// Closes the underlying connection.
    func close() {
        switch self {
        case let .document(session): session.close()
        case let .sql(session): session.close()
        }
    }
}

/// Runs workloads.
public enum BenchRunner {
    /// Monotonic nanoseconds.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    }

    /// What one connection measured.
    struct ConnectionOutcome: Sendable {
        var histograms: [Histogram<UInt64>]
        var phases: [Int: PhaseSpan]
        var finished: UInt64
    }

    /// One phase's operations on one connection.
    struct PhaseSpan: Sendable {
        var operations = 0
        var first: UInt64 = .max
        var last: UInt64 = 0
    }

    /// State the connection threads share.
    final class RunState: Sendable {
        let tickets = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let measureStart = Atomic<UInt64>(.max)
        let deadline = Atomic<UInt64>(.max)
        let outcomes = Mutex<[ConnectionOutcome]>([])
        let failure = Mutex<BenchError?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        /// Left by a connection when its operations are over, before it closes: its server
        /// process (a PostgreSQL backend) still exists for the CPU reading.
        let measured = DispatchGroup()
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()

        func fail(_ error: BenchError) {
            failure.withLock { if $0 == nil { $0 = error } }
            stop.store(true, ordering: .relaxed)
        }
    }

    /// Loads the workload's data set, runs it, and measures.
    public static func run(
        _ workload: any Workload, on target: any BenchTarget, configuration: BenchConfiguration
    ) throws(BenchError) -> BenchResult {
        var configuration = configuration
        if let connections = workload.connections { configuration.connections = connections }
        let loadStarted = now()
        let setup = try target.connect(index: 0)
        try workload.prepare(setup)
        setup.close()
        let loadSeconds = Double(now() - loadStarted) / 1e9

        let state = RunState()
        let fixedOperations = workload.operations
        let kinds = workload.operationNames.count
        for index in 0..<configuration.connections {
            state.done.enter()
            state.measured.enter()
            let seed = configuration.seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
            let thread = Thread {
                defer { state.done.leave() }
                runConnection(index: index, seed: seed, kinds: kinds, fixedOperations: fixedOperations,
                               workload: workload, target: target, state: state)
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        for _ in 0..<configuration.connections { state.ready.wait() }
        if let failure = state.failure.withLock({ $0 }) {
            for _ in 0..<configuration.connections { state.go.signal() }
            for _ in 0..<configuration.connections { state.release.signal() }
            state.done.wait()
            throw failure
        }

        let probe = ProcessProbe(roots: target.serverProcessIDs())
        let started = now()
        let measureStart = fixedOperations == nil ? started + UInt64(configuration.warmup * 1e9) : started
        state.measureStart.store(measureStart, ordering: .relaxed)
        if fixedOperations == nil {
            state.deadline.store(measureStart + UInt64(configuration.duration * 1e9), ordering: .relaxed)
        }
        let startedAt = ISO8601DateFormatter().string(from: Date())
        for _ in 0..<configuration.connections { state.go.signal() }

        // Until measuring starts, then CPU readings and Pss samples every 250 ms.
        while now() < measureStart, state.measured.wait(timeout: .now() + .milliseconds(20)) == .timedOut {}
        let cpuBefore = probe.cpuSeconds()
        var peakMemory = probe.proportionalSetSize()
        while state.measured.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
            peakMemory = max(peakMemory, probe.proportionalSetSize())
        }
        let cpuAfter = probe.cpuSeconds()
        for _ in 0..<configuration.connections { state.release.signal() }
        state.done.wait()
        if let failure = state.failure.withLock({ $0 }) { throw failure }

        let outcomes = state.outcomes.withLock { $0 }
        var all = makeHistogram()
        var perKind = (0..<kinds).map { _ in makeHistogram() }
        var phases: [Int: PhaseSpan] = [:]
        var finished = measureStart
        for outcome in outcomes {
            for (kind, histogram) in outcome.histograms.enumerated() {
                perKind[kind].add(histogram)
                all.add(histogram)
            }
            for (phase, span) in outcome.phases {
                var merged = phases[phase] ?? PhaseSpan()
                merged.operations += span.operations
                merged.first = min(merged.first, span.first)
                merged.last = max(merged.last, span.last)
                phases[phase] = merged
            }
            finished = max(finished, outcome.finished)
        }
        let seconds = Double(finished - measureStart) / 1e9
        let operations = Int(all.totalCount)
        var kindSummaries: [String: LatencySummary] = [:]
        for (kind, histogram) in perKind.enumerated() where histogram.totalCount > 0 {
            kindSummaries[workload.operationNames[kind]] = LatencySummary(histogram)
        }
        var server: ServerUsage?
        if !probe.roots.isEmpty {
            let cpu = cpuAfter.reduce(0.0) { $0 + $1.value - (cpuBefore[$1.key] ?? 0) }
            let processes = target.name == "postgres" ? "postmaster and backends"
                : target.name == "embedded" ? "bench process (workload included)" : "server"
            server = ServerUsage(cpuSeconds: cpu, cpuCores: seconds > 0 ? cpu / seconds : 0,
                                 cpuMicrosecondsPerOperation: operations > 0 ? cpu * 1e6 / Double(operations) : nil,
                                 peakMemoryBytes: peakMemory, processes: processes)
        }
        let throughput = seconds > 0 ? Double(operations) / seconds : 0
        return BenchResult(
            workload: workload.name, target: target.name, connections: configuration.connections,
            durability: workload.durability.rawValue, records: workload.records, loadSeconds: loadSeconds,
            seconds: seconds, operations: operations, throughput: throughput,
            documentsPerSecond: throughput * Double(workload.documentsPerOperation),
            latency: LatencySummary(all), operationKinds: kindSummaries,
            phases: phases.keys.sorted().compactMap { phase in
                guard let span = phases[phase], span.last > span.first else { return nil }
                let spanSeconds = Double(span.last - span.first) / 1e9
                return PhaseResult(phase: phase, operations: span.operations, seconds: spanSeconds,
                                   perSecond: Double(span.operations) / spanSeconds)
            },
            server: server, diskBytes: target.dataDirectory.map(ProcessProbe.directorySize), startedAt: startedAt)
    }

    /// One connection's thread: connect, wait for the start, run operations, report.
    private static func runConnection(
        index: Int, seed: UInt64, kinds: Int, fixedOperations: Int?,
        workload: any Workload, target: any BenchTarget, state: RunState
    ) {
        let session: BenchSession
        do {
            session = try target.connect(index: index + 1)
            try workload.begin(session)
        } catch {
            state.fail(error)
            state.measured.leave()
            state.ready.signal()
            state.release.wait()
            return
        }
        // Closed only after the main thread has read the server's CPU time.
        defer {
            state.measured.leave()
            state.release.wait()
            session.close()
        }
        state.ready.signal()
        state.go.wait()
        var random = SeededGenerator(seed: seed)
        var histograms = (0..<kinds).map { _ in makeHistogram() }
        var phases: [Int: PhaseSpan] = [:]
        let measureStart = state.measureStart.load(ordering: .relaxed)
        let deadline = state.deadline.load(ordering: .relaxed)
        do {
            while !state.stop.load(ordering: .relaxed) {
                let ticket = state.tickets.add(1, ordering: .relaxed).oldValue
                if let fixedOperations, ticket >= fixedOperations { break }
                let begun = now()
                let kind = try workload.perform(session, ticket: ticket, random: &random)
                let ended = now()
                if begun >= measureStart {
                    _ = histograms[kind].record(max(ended - begun, 1))
                    if let phase = workload.phase(of: ticket) {
                        var span = phases[phase] ?? PhaseSpan()
                        span.operations += 1
                        span.first = min(span.first, begun)
                        span.last = max(span.last, ended)
                        phases[phase] = span
                    }
                }
                if ended >= deadline { break }
            }
            try workload.end(session)
        } catch {
            state.fail(error)
            return
        }
        let outcome = ConnectionOutcome(histograms: histograms, phases: phases, finished: now())
        state.outcomes.withLock { $0.append(outcome) }
    }
}
