// `make bench-aggregation`: issue 6's aggregation figures from a release build — W4 $group at
// 2,000,000 events in memory and spilling under a 1 MB limit, W3's search joined back with
// $lookup over a 100 K and a 1 M source, W7's random unreviewed item by $sample — ending with
// machine-readable `name: value` lines. `--only w4|w3|w7` runs one section; `--scale F`
// multiplies every document count by F (e.g. 0.05 for a quick run).

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

func mib(_ bytes: Int) -> String { Format.fixed(Double(bytes) / 1_048_576, 2) + " MiB" }

print("Tessera aggregation report — \(Machine.cores) cores, host \(Machine.hostname), \(Machine.utcDate), scale \(scale)")
print("")

do {
    let scratch = try ScratchDirectory(prefix: "tessera-aggregation-report")
    defer { scratch.remove() }

    var w4: W4GroupFigures?
    if runs("w4") {
        let figures = try W4GroupFigures.measure(in: scratch.path + "/w4", documentCount: scaled(2_000_000))
        print("W4: \(figures.documentCount) events (\(figures.games) games, 30 days) loaded and indexed on ts in \(Format.fixed(figures.loadSeconds, 1)) s")
        print("  pipeline: $match ts in 7 days (\(figures.matched) events) → $group {game, hour} with $sum/$avg (\(figures.groups) groups) → $sort → $limit 20")
        print("  $match plan: \(figures.cursorPlan)")
        for (name, run) in [("in memory (100 MB limit)", figures.inMemory), ("allowDiskUse, 1 MB limit", figures.spilled)] {
            let statistics = run.statistics
            print("  \(name): \(Format.fixed(run.seconds, 2)) s, stage peak memory \(Format.bytes(UInt64(statistics.peakMemoryBytes))), "
                + "spilled \(statistics.usedDisk ? "\(statistics.spills)× (\(statistics.spilledRecords) documents, \(mib(statistics.spilledBytes)))" : "no")")
            print("    process RSS: before \(mib(run.residentBytesBefore)), peak during the run (VmHWM) \(mib(run.peakResidentBytes)), after \(mib(run.residentBytesAfter))")
        }
        print("  results equal: \(figures.resultsEqual)")
        for document in figures.top { print("    \(document.extendedJSON())") }
        print("")
        w4 = figures
    }
    var w3: W3LookupFigures?
    if runs("w3") {
        let figures = try W3LookupFigures.measure(in: scratch.path + "/w3", smallSize: scaled(100_000), largeSize: scaled(1_000_000))
        print("W3: search over the maintained public-future collection, joined back to the source by _id with $lookup")
        for size in [figures.small, figures.large] {
            print("  source \(size.sourceDocuments) documents (loaded in \(Format.fixed(size.loadSeconds, 1)) s): \(size.searches) searches, "
                + "\(size.results) results in \(Format.fixed(size.seconds * 1000, 1)) ms (\(Format.fixed(size.microsecondsPerResult, 1)) µs/result); "
                + "$lookup examined \(size.lookupDocsExamined) docs, \(size.lookupKeysExamined) keys, indexesUsed \(size.lookupIndexes)")
        }
        print("  search plan: \(figures.large.searchPlan)")
        print("  time 1M / 100K source: \(Format.fixed(figures.timeRatio, 3))")
        print("")
        w3 = figures
    }
    var w7: W7SampleFigures?
    if runs("w7") {
        let figures = try W7SampleFigures.measure(in: scratch.path + "/w7", items: scaled(1_000_000))
        print("W7: \(figures.items) items, \(figures.unreviewedAtStart) unreviewed (queue collection), loaded in \(Format.fixed(figures.loadSeconds, 1)) s")
        print("  \(figures.picks) picks ($sample 1 + $lookup, then the review deletes the id from the queue): "
            + "\(Format.fixed(figures.picksPerSecond, 0)) picks/s, \(figures.distinctPicks) distinct, all unreviewed: \(figures.allUnreviewed)")
        print("  per pick: $sample examined at most \(figures.maxSampleDocsExamined) docs; with the joined item at most \(figures.maxDocsExamined) "
            + "(mean \(Format.fixed(figures.meanDocsExamined, 2)))")
        print("  explain: \(figures.explainHead)")
        print("  for contrast, $match {reviewed: false} + $sample over the items examined \(figures.scanningDocsExamined) docs")
        print("")
        w7 = figures
    }
    print("total time: \(Format.fixed((clock.now - runStarted).seconds, 1)) s")
    if let w4 {
        print("w4-group-spill-equal: \(w4.resultsEqual)")
        print("w4-in-memory-seconds: \(Format.fixed(w4.inMemory.seconds, 2))")
        print("w4-spill-seconds: \(Format.fixed(w4.spilled.seconds, 2))")
        print("w4-in-memory-peak-bytes: \(w4.inMemory.statistics.peakMemoryBytes)")
        print("w4-spill-peak-bytes: \(w4.spilled.statistics.peakMemoryBytes)")
    }
    if let w3 { print("w3-lookup-time-ratio-1m-vs-100k: \(Format.fixed(w3.timeRatio, 3))") }
    if let w7 { print("w7-sample-docs-examined: \(w7.maxSampleDocsExamined)") }
} catch {
    print("aggregation report failed: \(error)")
    exit(1)
}
