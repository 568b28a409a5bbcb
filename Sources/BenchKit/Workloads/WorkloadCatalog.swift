// WorkloadCatalog: the workload names `tessera bench` accepts, and the groups that expand
// to several (w2-ingest → its nine variants, w3-search → indexed and scan, ycsb → A–F).

/// The named workloads.
public enum WorkloadCatalog {
    /// Every name and group, for help text.
    public static let names = [
        "connect", "w1-counters", "w2-ingest", "w2-ingest-b<1|100|1000>-<w0|w1|j>", "w2-leaderboard",
        "w3-search", "w3-search-indexed", "w3-search-scan", "w4-scan", TextSearchWorkload.workloadName, "w7-sample", "ycsb", "ycsb-a" + "…" + "ycsb-f",
    ]

    /// The workloads `name` stands for. `records` replaces each workload's default data-set
    /// size (not W1's 100 metrics) and `operations` W1's operation count.
    public static func workloads(named name: String, records: Int?, operations: Int?, seed: UInt64) throws(BenchError) -> [any Workload] {
        switch name {
        case "w1-counters":
            // W1's data set is its 100 metric documents, whatever --records says.
            return [W1CountersWorkload(metrics: 100, operations: operations ?? 144_000)]
        case "w2-ingest":
            return [1, 100, 1_000].flatMap { batch in
                [Durability.unacknowledged, .acknowledged, .journaled].map { W2IngestWorkload(batch: batch, durability: $0) }
            }
        case "w2-leaderboard":
            return [W2LeaderboardWorkload(records: records ?? 100_000)]
        case "w3-search":
            return [W3SearchWorkload(records: records ?? 200_000, indexed: true),
                    W3SearchWorkload(records: records ?? 200_000, indexed: false)]
        case "w3-search-indexed", "w3-search-scan":
            return [W3SearchWorkload(records: records ?? 200_000, indexed: name.hasSuffix("indexed"))]
        case "w4-scan":
            return [W4ScanWorkload(records: records ?? 500_000)]
        case "w7-sample":
            return [W7SampleWorkload(records: records ?? 100_000)]
        case TextSearchWorkload.workloadName:
            return [TextSearchWorkload(records: records ?? 200_000)]
        case ConnectWorkload.workloadName:
            // Made per target (it opens the target's connections); one placeholder here.
            return [ConnectWorkload(target: nil)]
        case "ycsb":
            return YCSBWorkload.Mix.allCases.map { YCSBWorkload(mix: $0, records: records ?? 1_000_000, seed: seed) }
        default:
            break
        }
        if name.hasPrefix("ycsb-"), let mix = YCSBWorkload.Mix(rawValue: String(name.dropFirst(5))) {
            return [YCSBWorkload(mix: mix, records: records ?? 1_000_000, seed: seed)]
        }
        if name.hasPrefix("w2-ingest-b") {
            let parts = name.dropFirst("w2-ingest-b".count).split(separator: "-")
            if parts.count == 2, let batch = Int(parts[0]), batch > 0,
               let durability = Durability(rawValue: String(parts[1])) {
                return [W2IngestWorkload(batch: batch, durability: durability)]
            }
        }
        throw BenchError("unknown workload '\(name)'; known: \(names.joined(separator: ", "))")
    }
}
