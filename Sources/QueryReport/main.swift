// `make bench-query`: issue 4's workload figures from a release build — W1 counters through
// a simulated day, W4 compiled vs interpreted matching, W3 partial-index search and TTL,
// W7 leaderboard — ending with four machine-readable `name: value` lines.
// `--scale F` multiplies every document and operation count by F (e.g. 0.1 for a quick run).

import BenchSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let clock = ContinuousClock()
let runStarted = clock.now
var scale = 1.0
if let position = CommandLine.arguments.firstIndex(of: "--scale"), position + 1 < CommandLine.arguments.count,
   let value = Double(CommandLine.arguments[position + 1]), value > 0 {
    scale = value
}
@MainActor func scaled(_ count: Int) -> Int { max(1, Int(Double(count) * scale)) }

print("Tessera query report — \(Machine.cores) cores, host \(Machine.hostname), \(Machine.utcDate), scale \(scale)")
print("")

do {
    let scratch = try ScratchDirectory(prefix: "tessera-query-report")
    defer { scratch.remove() }

    let w1 = try W1Figures.measure(in: scratch.path + "/w1", updates: scaled(1_000_000))
    print("W1: \(w1.hours.reduce(0) { $0 + $1.updates }) upserts, 100 metrics, simulated day, no preallocation")
    print("  hour  updates  updates/s  bytes written/update")
    for hour in w1.hours {
        print("  \(hour.hour < 10 ? "0" : "")\(hour.hour)    \(hour.updates)  \(Format.fixed(hour.perSecond, 0))  "
            + Format.fixed(hour.bytesPerUpdate, 1))
    }
    print("  check: \(w1.finalDocumentCheck)")
    print("  last/first bytes-per-update ratio: \(Format.fixed(w1.bytesPerUpdateRatio, 3))")
    print("")

    let w4 = try W4Figures.measure(in: scratch.path + "/w4", documentCount: scaled(2_000_000))
    print("W4: \(w4.documentCount) fruit documents (half with kiwis), loaded and compacted in \(Format.fixed(w4.loadSeconds, 1)) s")
    for (name, pair) in [("apples", w4.apples), ("kiwis", w4.kiwis)] {
        print("  count({\(name): {$gt: 10000}}) = \(pair.matched): compiled \(Format.fixed(pair.compiledPerSecond, 0)) docs/s, "
            + "interpreted BSON \(Format.fixed(pair.interpretedPerSecond, 0)) docs/s, ratio \(Format.fixed(pair.ratio, 2)), "
            + "decided by shape alone: \(pair.decidedByShape)")
    }
    print("")

    let w3 = try W3Figures.measure(in: scratch.path + "/w3", documentCount: scaled(1_000_000), searches: 500)
    print("W3: \(w3.documentCount) matches loaded in \(Format.fixed(w3.loadSeconds, 1)) s; partial + TTL indexes built in "
        + "\(Format.fixed(w3.indexSeconds, 1)) s")
    print("  \(w3.searches) searches: \(w3.returned) returned, \(w3.docsExamined) docs examined, "
        + "\(w3.keysExamined) keys examined, \(Format.fixed(w3.searchesPerSecond, 0)) searches/s")
    print("  winning plan: \(w3.winningPlan)")
    print("  TTL: \(w3.pastBefore) past matches before, \(w3.removedByTTL) removed, \(w3.pastAfter) after, "
        + "\(w3.changeLogDeletes) change log entries")
    print("")

    let w7 = try W7Figures.measure(in: scratch.path + "/w7", playersPerGame: scaled(2_000),
                                   increments: scaled(100_000), reads: scaled(2_000))
    print("W7: leaderboard of \(w7.players) players: \(Format.fixed(w7.incrementsPerSecond, 0)) increments/s, "
        + "\(Format.fixed(w7.topReadsPerSecond, 0)) top-10 reads/s; top-10 equal a full scan's: \(w7.orderChecked)")
    print("  max per top-10 read: \(w7.maxDocsExamined) docs examined, \(w7.maxKeysExamined) keys examined")
    print("  winning plan: \(w7.plan)")
    print("")

    print("total time: \(Format.fixed((clock.now - runStarted).seconds, 1)) s")
    print("w1-last-first-hour-ratio: \(Format.fixed(w1.lastFirstRatio, 3))")
    print("w4-compiled-vs-interpreted: \(Format.fixed(w4.apples.ratio, 2))")
    print("w3-docs-examined-per-returned: \(Format.fixed(w3.docsExaminedPerReturned, 3))")
    print("w7-top10-docs-examined: \(w7.maxDocsExamined)")
} catch {
    print("query report failed: \(error)")
    exit(1)
}
