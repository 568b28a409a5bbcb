// OperationTally: what one running command's scans did — keys and documents examined and
// the access path the planner chose — kept for the slow-operation log and the profiler
// (mongod's OpDebug). Commands creates one per command and hands it down inside the
// command's OperationInterrupt; Query adds to it where it already counts for explain.

public import BSON
import Synchronization

/// Counters one command's scans add to. Safe to share: atomics and one lock, which is taken
/// once per planned scan (not per document).
public final class OperationTally: Sendable {
    private let keys = Atomic<Int>(0)
    private let documents = Atomic<Int>(0)
    private let plans = Mutex<[BSONDocument?]>([])
    private let sorted = Atomic<Bool>(false)

    /// A tally at zero.
    public init() {}

    /// Adds the figures of one finished scan.
    public func add(keysExamined: Int, docsExamined: Int) {
        if keysExamined != 0 { keys.add(keysExamined, ordering: .relaxed) }
        if docsExamined != 0 { documents.add(docsExamined, ordering: .relaxed) }
    }

    /// Records the access path of a scan: an index's key pattern, or `nil` for a collection scan.
    /// The first few distinct paths are kept.
    public func addPlan(indexKey: BSONDocument?) {
        plans.withLock { plans in
            guard plans.count < 4, !plans.contains(where: { $0 == indexKey }) else { return }
            plans.append(indexKey)
        }
    }

    /// Forgets the access paths recorded so far, so ``planSummary`` describes only the scans
    /// that follow (one statement of a write batch).
    public func clearPlans() {
        plans.withLock { $0.removeAll() }
    }

    /// Notes that a scan's results were sorted in memory (mongod's `hasSortStage`, `scanAndOrder`).
    public func addInMemorySort() { sorted.store(true, ordering: .relaxed) }

    /// Whether any scan's results were sorted in memory.
    public var sortedInMemory: Bool { sorted.load(ordering: .relaxed) }

    /// Index keys examined so far.
    public var keysExamined: Int { keys.load(ordering: .relaxed) }

    /// Documents examined so far.
    public var docsExamined: Int { documents.load(ordering: .relaxed) }

    /// mongod's `planSummary`: `COLLSCAN`, `IXSCAN { a: 1 }`, comma-separated when a command
    /// ran several scans; `nil` when no scan was planned.
    public var planSummary: String? {
        Self.summary(of: accessPaths)
    }

    /// The access paths recorded so far (see ``addPlan(indexKey:)``), unformatted.
    public var accessPaths: [BSONDocument?] { plans.withLock { $0 } }

    /// ``planSummary``'s text for `plans`; `nil` when empty.
    public static func summary(of plans: [BSONDocument?]) -> String? {
        guard !plans.isEmpty else { return nil }
        return plans.map { plan in
            guard let key = plan else { return "COLLSCAN" }
            let fields = key.map { "\($0.key): \($0.value.extendedJSON())" }.joined(separator: ", ")
            return "IXSCAN { \(fields) }"
        }.joined(separator: ", ")
    }
}
