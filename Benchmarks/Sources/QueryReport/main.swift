// `make bench-query`: issue 4's workload figures from a release build — W1 counters through
// a simulated day, W4 compiled vs interpreted matching, W3 partial-index search and TTL,
// W7 leaderboard — ending with four machine-readable `name: value` lines.
// `--only w1|w4|w3|w7` runs one section. `--scale F` multiplies every document and operation count by F (e.g. 0.1 for a quick run).

import ReportSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let clock = ContinuousClock()
let runStarted = clock.now
let options = ReportOptions()
let scale = options.scale
@MainActor func runs(_ name: String) -> Bool { options.runs(name) }
@MainActor func scaled(_ count: Int) -> Int { options.scaled(count) }

print("Tessera query report — \(Machine.cores) cores, host \(Machine.hostname), \(Machine.utcDate), scale \(scale)")
print("")

do {
    let scratch = try ScratchDirectory(prefix: "tessera-query-report")
    defer { scratch.remove() }

    var w1: W1Figures?
    if runs("w1") {
        let figures = try W1Figures.measure(in: scratch.path + "/w1", updates: scaled(1_000_000))
        print("W1: \(figures.hours.reduce(0) { $0 + $1.updates }) upserts, 100 metrics, simulated day, no preallocation")
        print("  hour  updates  updates/s  updates/CPU-s  bytes written/update")
        for hour in figures.hours {
            print("  \(hour.hour < 10 ? "0" : "")\(hour.hour)    \(hour.updates)  \(Format.fixed(hour.perSecond, 0))  "
                + "\(Format.fixed(hour.perCPUSecond, 0))  \(Format.fixed(hour.bytesPerUpdate, 1))")
        }
        print("  check: \(figures.finalDocumentCheck)")
        print("  last/first bytes-per-update ratio: \(Format.fixed(figures.bytesPerUpdateRatio, 3))")
        print("  last/first updates-per-CPU-second ratio: \(Format.fixed(figures.lastFirstCPURatio, 3)) "
            + "(process CPU time, background threads included; not skewed by other processes)")
        print("")
        w1 = figures
    }
    var w4: W4Figures?
    if runs("w4") {
        let figures = try W4Figures.measure(in: scratch.path + "/w4", documentCount: scaled(2_000_000))
        print("W4: \(figures.documentCount) fruit documents (half with kiwis), loaded and compacted in \(Format.fixed(figures.loadSeconds, 1)) s")
        for (name, pair) in [("apples", figures.apples), ("kiwis", figures.kiwis)] {
            print("  count({\(name): {$gt: 10000}}) = \(pair.matched): compiled \(Format.fixed(pair.compiledPerSecond, 0)) docs/s, "
                + "interpreted BSON \(Format.fixed(pair.interpretedPerSecond, 0)) docs/s, ratio \(Format.fixed(pair.ratio, 2)), "
                + "decided by shape alone: \(pair.decidedByShape)")
        }
        print("")
        w4 = figures
    }
    var w3: W3Figures?
    if runs("w3") {
        let figures = try W3Figures.measure(in: scratch.path + "/w3", documentCount: scaled(1_000_000), searches: 500)
        print("W3: \(figures.documentCount) matches loaded in \(Format.fixed(figures.loadSeconds, 1)) s; partial + TTL indexes built in "
            + "\(Format.fixed(figures.indexSeconds, 1)) s")
        print("  \(figures.searches) searches: \(figures.returned) returned, \(figures.docsExamined) docs examined, "
            + "\(figures.keysExamined) keys examined, \(Format.fixed(figures.searchesPerSecond, 0)) searches/s")
        print("  winning plan: \(figures.winningPlan)")
        print("  TTL: \(figures.pastBefore) past matches before, \(figures.removedByTTL) removed, \(figures.pastAfter) after, "
            + "\(figures.changeLogDeletes) change log entries")
        print("")
        w3 = figures
    }
    var w7: W7Figures?
    if runs("w7") {
        let figures = try W7Figures.measure(in: scratch.path + "/w7", playersPerGame: scaled(2_000),
                                       increments: scaled(100_000), reads: scaled(2_000))
        print("W7: leaderboard of \(figures.players) players: \(Format.fixed(figures.incrementsPerSecond, 0)) increments/s, "
            + "\(Format.fixed(figures.topReadsPerSecond, 0)) top-10 reads/s; top-10 equal a full scan's: \(figures.orderChecked)")
        print("  max per top-10 read: \(figures.maxDocsExamined) docs examined, \(figures.maxKeysExamined) keys examined")
        print("  winning plan: \(figures.plan)")
        print("")
        w7 = figures
    }
    print("total time: \(Format.fixed((clock.now - runStarted).seconds, 1)) s")
    if let w1 { print("w1-last-first-hour-ratio: \(Format.fixed(w1.lastFirstRatio, 3))") }
    if let w4 { print("w4-compiled-vs-interpreted: \(Format.fixed(w4.apples.ratio, 2))") }
    if let w3 { print("w3-docs-examined-per-returned: \(Format.fixed(w3.docsExaminedPerReturned, 3))") }
    if let w7 { print("w7-top10-docs-examined: \(w7.maxDocsExamined)") }
} catch {
    print("query report failed: \(error)")
    exit(1)
}
