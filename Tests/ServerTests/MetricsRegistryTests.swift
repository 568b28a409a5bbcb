// The metrics registry without a socket: command counts by outcome, the latency histogram's
// buckets, and figures read at scrape time that only grow (counters advanced by differences).

import Commands
import Testing
@testable import Server

@Suite struct MetricsRegistryTests {
    /// Samples of `text` by name and label set (label order does not matter).
    static func samples(_ text: String) -> [String: [[String: String]: Double]] {
        var samples: [String: [[String: String]: Double]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("unparseable line \(line)")
                continue
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            var name = String(series)
            if let open = series.firstIndex(of: "{") {
                name = String(series[..<open])
                for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            samples[name, default: [:]][labels] = value
        }
        return samples
    }

    @Test func commandsAreCountedByOutcome() throws {
        let registry = MetricsRegistry()
        registry.commandFinished("find", succeeded: true, duration: .microseconds(10))
        registry.commandFinished("find", succeeded: true, duration: .microseconds(10))
        registry.commandFinished("find", succeeded: false, duration: .microseconds(10))
        let text = String(decoding: registry.render(server: .init(), dispatcher: DispatcherFigures()), as: UTF8.self)
        let counts = try #require(Self.samples(text)["tessera_commands_total"])
        #expect(counts[["command": "find", "outcome": "ok"]] == 2)
        #expect(counts[["command": "find", "outcome": "error"]] == 1)
    }

    @Test(arguments: [Duration.microseconds(75), .milliseconds(3), .seconds(20)])
    func latencyLandsInEveryBucketAtOrAboveIt(_ latency: Duration) throws {
        let registry = MetricsRegistry()
        registry.commandFinished("insert", succeeded: true, duration: latency)
        let text = String(decoding: registry.render(server: .init(), dispatcher: DispatcherFigures()), as: UTF8.self)
        let buckets = try #require(Self.samples(text)["tessera_command_duration_seconds_bucket"])
        let seconds = Double(MetricsRegistry.nanoseconds(latency)) / 1e9
        var finite = 0
        for (labels, count) in buckets where labels["command"] == "insert" {
            let bound = try #require(labels["le"].flatMap { $0 == "+Inf" ? Double.infinity : Double($0) })
            #expect(count == (seconds <= bound ? 1 : 0), "bucket le=\(bound) for \(latency)")
            if bound.isFinite { finite += 1 }
        }
        #expect(finite == MetricsRegistry.latencyBuckets.count)
    }

    @Test func scrapedTotalsGrowByTheirDifference() throws {
        let registry = MetricsRegistry()
        var counters = ServerMetrics.Counters()
        counters.bytesIn = 10
        counters.currentConnections = 3
        _ = registry.render(server: counters, dispatcher: DispatcherFigures(openCursors: 2))
        counters.bytesIn = 25
        counters.currentConnections = 1
        let text = String(decoding: registry.render(server: counters, dispatcher: DispatcherFigures(openCursors: 5)),
                          as: UTF8.self)
        let samples = Self.samples(text)
        #expect(samples["tessera_network_bytes_in_total"]?[[:]] == 25)
        #expect(samples["tessera_connections_open"]?[[:]] == 1)
        #expect(samples["tessera_cursors_open"]?[[:]] == 5)
    }
}
