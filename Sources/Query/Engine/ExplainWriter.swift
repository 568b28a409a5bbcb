// ExplainWriter: a plan and its statistics as MongoDB's explain document —
// `queryPlanner.winningPlan` stages (COLLSCAN, IXSCAN, FETCH, SORT, SKIP, LIMIT,
// PROJECTION_*) and `executionStats` with MongoDB's field names.

internal import BSON
internal import Documents

/// How much explain reports.
public enum ExplainVerbosity: String, Sendable {
    /// The chosen plan only; the query does not run.
    case queryPlanner
    /// The plan and the statistics of running it.
    case executionStats
    /// As `executionStats` (there are no rejected plans to run).
    case allPlansExecution
}

struct ExplainWriter {
    let namespace: Namespace
    let plan: QueryPlan
    let filter: BSONDocument

    func document(verbosity: ExplainVerbosity, statistics: ExecutionStatistics) -> BSONDocument {
        Self.envelope(namespace: namespace, filter: filter, winningPlan: winningPlan(statistics: nil),
                      execution: verbosity == .queryPlanner ? nil : (statistics, winningPlan(statistics: statistics)))
    }

    /// MongoDB's explain document around a winning plan: `queryPlanner`, then `executionStats`
    /// (figures and the stages with theirs) when `execution` is given.
    static func envelope(namespace: Namespace, filter: BSONDocument, winningPlan: BSONDocument,
                         execution: (statistics: ExecutionStatistics, stages: BSONDocument)?) -> BSONDocument {
        var queryPlanner: BSONDocument = [
            "namespace": .string(namespace.description),
            "parsedQuery": .document(filter),
            "indexFilterSet": false,
            "winningPlan": .document(winningPlan),
            "rejectedPlans": .array([]),
        ]
        queryPlanner["plannerVersion"] = .int32(1)
        var explain: BSONDocument = ["queryPlanner": .document(queryPlanner)]
        if let (statistics, stages) = execution {
            explain["executionStats"] = .document([
                "executionSuccess": true,
                "nReturned": .int32(Int32(clamping: statistics.nReturned)),
                "executionTimeMillis": .int32(Int32(clamping: statistics.executionTimeMillis)),
                "totalKeysExamined": .int32(Int32(clamping: statistics.totalKeysExamined)),
                "totalDocsExamined": .int32(Int32(clamping: statistics.totalDocsExamined)),
                "executionStages": .document(stages),
            ])
        }
        explain["ok"] = .double(1)
        return explain
    }

    /// A wildcard index scan's `isMultiKey` and `multiKeyPaths` as MongoDB shows them: the
    /// scanned path's multikey prefixes (`{"$_path": [], "a.b": ["a"]}`), a compound index's
    /// regular fields never multikey; `nil` for other scans.
    private static func wildcardMultikey(_ scan: IndexScanPlan) -> (isMultiKey: Bool, paths: BSONDocument)? {
        guard let position = scan.keyFields.firstIndex(where: { $0.path == WildcardIndexSpec.pathField }),
              position + 1 < scan.keyFields.count
        else { return nil }
        let path = scan.keyFields[position + 1].path
        let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let prefixes = WildcardBounds.multikeyPrefixes(of: components, index: scan.index)
        var paths = BSONDocument()
        for (offset, field) in scan.keyFields.enumerated() {
            paths[field.path] = .array(offset == position + 1 ? prefixes.map(BSONValue.string) : [])
        }
        return (!prefixes.isEmpty, paths)
    }

    /// The stage tree, innermost first, with per-stage figures when `statistics` is given.
    private func winningPlan(statistics: ExecutionStatistics?) -> BSONDocument {
        var stage: BSONDocument
        switch plan.access {
        case .collectionScan:
            stage = ["stage": "COLLSCAN", "filter": .document(filter), "direction": plan.reverse ? "backward" : "forward"]
            if let statistics {
                stage["docsExamined"] = .int32(Int32(clamping: statistics.totalDocsExamined))
                // Tessera's compiled matcher: records decided from their shape id alone.
                stage["docsDecidedByShape"] = .int64(Int64(statistics.decidedByShape))
            }
        case let .indexScan(scan):
            var keyPattern = BSONDocument()
            var bounds = BSONDocument()
            for (field, intervals) in zip(scan.keyFields, scan.bounds) {
                // A plugin field (`"hashed"`) is named as in the key pattern.
                let plugin = scan.index.key[field.path]?.stringValue
                keyPattern[field.path] = plugin.map(BSONValue.string) ?? .int32(field.ascending ? 1 : -1)
                let ordered = scan.reverse != !field.ascending ? intervals.reversed() : intervals
                bounds[field.path] = .array(ordered.map { .string(PredicateBounds.render($0, descending: scan.reverse != !field.ascending)) })
            }
            stage = [
                "stage": "IXSCAN",
                "keyPattern": .document(keyPattern),
                "indexName": .string(scan.index.name),
                "isMultiKey": .bool(scan.index.isMultikey),
            ]
            if let wildcard = Self.wildcardMultikey(scan) {
                // A wildcard scan is of one path: multikey as that path (or a prefix) is.
                stage["isMultiKey"] = .bool(wildcard.isMultiKey)
                stage["multiKeyPaths"] = .document(wildcard.paths)
            }
            let rest: [(String, BSONValue)] = [
                ("isUnique", .bool(scan.index.isUnique)),
                ("isSparse", .bool(scan.index.isSparse)),
                ("isPartial", .bool(scan.index.partialFilter != nil)),
                ("direction", .string(scan.reverse ? "backward" : "forward")),
                ("indexBounds", .document(bounds)),
            ]
            for (name, value) in rest { stage.append(name, value) }
            // MongoDB names an index's collation in its scan (bounds are then comparison keys).
            if let collation = scan.index.options["collation"] { stage["collation"] = collation }
            if let statistics { stage["keysExamined"] = .int32(Int32(clamping: statistics.totalKeysExamined)) }
            if !scan.covered {
                var fetch: BSONDocument = ["stage": "FETCH"]
                if !filter.isEmpty { fetch["filter"] = .document(filter) }
                if let statistics { fetch["docsExamined"] = .int32(Int32(clamping: statistics.totalDocsExamined)) }
                fetch["inputStage"] = .document(stage)
                stage = fetch
            }
        case let .geoNear(near):
            stage = GeoNearExplain.stage(near, filter: filter, statistics: statistics)
        }
        if plan.needsInMemorySort, let sort = plan.sort {
            var sortStage: BSONDocument = ["stage": "SORT", "sortPattern": .document(sort.spec)]
            if let limit = plan.limit { sortStage["limitAmount"] = .int32(Int32(clamping: plan.wanted ?? limit)) }
            sortStage["inputStage"] = .document(stage)
            stage = sortStage
        }
        if plan.skip > 0 {
            stage = ["stage": "SKIP", "skipAmount": .int32(Int32(clamping: plan.skip)), "inputStage": .document(stage)]
        }
        if let limit = plan.limit, !plan.needsInMemorySort {
            stage = ["stage": "LIMIT", "limitAmount": .int32(Int32(clamping: limit)), "inputStage": .document(stage)]
        }
        if let projection = plan.projection {
            let name: String
            if case let .indexScan(scan) = plan.access, scan.covered {
                name = "PROJECTION_COVERED"
            } else {
                name = projection.isInclusion ? "PROJECTION_SIMPLE" : "PROJECTION_DEFAULT"
            }
            stage = ["stage": .string(name), "transformBy": .document(projection.spec), "inputStage": .document(stage)]
        }
        if let statistics { stage["nReturned"] = .int32(Int32(clamping: statistics.nReturned)) }
        return stage
    }
}
