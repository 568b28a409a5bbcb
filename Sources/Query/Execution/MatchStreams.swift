// MatchStreams: a query plan's matches produced a part at a time, resuming where the last
// part stopped — a scan from its last record or index key (on the cursor's snapshot), or a
// blocking sort's output (sorted in memory, or spilled with allowDiskUse) read on from its
// position. Skip and limit are applied as matches go by. The streaming cursor sits on these.

internal import BSON
internal import Documents

/// Matches handed out a part at a time.
protocol MatchStream {
    /// Whether every match has been handed out.
    var isDone: Bool { get }

    /// Hands matches to `take`, from where the last call stopped, until `take` returns false
    /// (it keeps the match it was given: the next call starts after it) or the matches end.
    /// `interrupt` is polled as the executor polls it.
    mutating func run(interrupt: OperationInterrupt, _ take: (QueryMatch) throws(MongoError) -> Bool) throws(MongoError)
}

/// Skip and limit applied to a stream of matches.
struct SkipLimit {
    /// Matches still to skip.
    private(set) var toSkip: Int
    /// Matches still to return (`nil`: no limit).
    private(set) var toReturn: Int?

    init(skip: Int, limit: Int?) {
        toSkip = skip
        toReturn = limit
    }

    /// Whether the limit has been reached.
    var isSpent: Bool { toReturn == 0 }

    /// Counts one match; returns whether it is returned (false: skipped).
    mutating func admit() -> Bool {
        if toSkip > 0 {
            toSkip -= 1
            return false
        }
        toReturn = toReturn.map { $0 - 1 }
        return true
    }
}

/// A plan whose access path yields matches in the order wanted (no blocking sort), read from
/// the last scan key on.
struct ScanMatchStream: MatchStream {
    let collection: DocumentCollection
    let plan: QueryPlan
    let wantPositional: Bool
    /// The scan key of the last match handed out (or skipped past): where the next part starts.
    private var resumeKey: [UInt8]?
    /// Documents a multikey index scan has already returned.
    private var seen: Set<[UInt8]> = []
    private var window: SkipLimit
    private(set) var isDone = false

    init(collection: DocumentCollection, plan: QueryPlan, wantPositional: Bool) {
        self.collection = collection
        self.plan = plan
        self.wantPositional = wantPositional
        window = SkipLimit(skip: plan.skip, limit: plan.limit)
        isDone = window.isSpent
    }

    mutating func run(interrupt: OperationInterrupt, _ take: (QueryMatch) throws(MongoError) -> Bool) throws(MongoError) {
        guard !isDone else { return }
        var statistics = ExecutionStatistics()
        var window = self.window
        var stoppedAt: [UInt8]?
        defer { self.window = window }
        try Executor(collection: collection, interrupt: interrupt).forEachCandidate(
            plan, wantPositional: wantPositional, after: resumeKey, seen: &seen, statistics: &statistics
        ) { (match, key) throws(MongoError) -> Bool in
            guard window.admit() else { return true }
            let more = try take(match)
            if window.isSpent { return false }
            if !more { stoppedAt = Array(key) }
            return more
        }
        if let stoppedAt {
            resumeKey = stoppedAt
        } else {
            isDone = true  // the scan ended, or the limit was reached
        }
    }
}

/// A plan that needs a blocking sort: sorted on its first run (in memory under the sort's
/// memory limit; spilled past it with allowDiskUse), then handed out from its position.
struct SortedMatchStream: MatchStream {
    private enum State {
        /// Not sorted yet.
        case pending(DocumentCollection, QueryPlan, SortMemoryLimit, wantPositional: Bool)
        case inMemory([QueryMatch], position: Int)
        case spilled(SpilledMatches)
        case done
    }

    private var state: State

    init(collection: DocumentCollection, plan: QueryPlan, sortMemory: SortMemoryLimit, wantPositional: Bool) {
        state = .pending(collection, plan, sortMemory, wantPositional: wantPositional)
    }

    var isDone: Bool {
        if case .done = state { true } else { false }
    }

    mutating func run(interrupt: OperationInterrupt, _ take: (QueryMatch) throws(MongoError) -> Bool) throws(MongoError) {
        if case let .pending(collection, plan, sortMemory, wantPositional) = state {
            var statistics = ExecutionStatistics()
            let executor = Executor(collection: collection, interrupt: interrupt, sortMemory: sortMemory)
            switch try executor.sortedMatches(plan, wantPositional: wantPositional, statistics: &statistics) {
            case let .inMemory(matches): state = .inMemory(matches, position: 0)
            case let .spilled(spilled): state = .spilled(spilled)
            }
        }
        var poll = interrupt.poll()
        switch state {
        case .pending, .done:
            return
        case .inMemory(let matches, var position):
            state = .done  // drop the array's other reference while handing out
            while position < matches.count {
                try poll.tick()
                let match = matches[position]
                position += 1
                guard try take(match) else { break }
            }
            if position < matches.count { state = .inMemory(matches, position: position) }
        case let .spilled(spilled):
            while true {
                try poll.tick()
                guard let match = try spilled.next() else {
                    state = .done
                    return
                }
                guard try take(match) else { return }
            }
        }
    }
}
