// CommitSectionTimes: how long writers wait for the store's commit section and how long they
// hold it, for serverStatus (`tessera.commitSection`). Owns only the counters; the section
// itself is DocumentStore's, and nothing here blocks or decides anything.

internal import Synchronization

/// Wait and hold times of the commit section, recorded by each commit as it enters and
/// leaves it (so the counters are written by one thread at a time, and read by scrapes).
final class CommitSectionTimes: Sendable {
    private let recorded = Mutex(CommitSectionFigures())

    init() {}

    /// One writer waited `wait` for the section.
    func recordWait(_ wait: Duration) {
        let nanoseconds = Self.nanoseconds(wait)
        let bounds = CommitSectionFigures.waitBucketBoundsMicros
        let micros = nanoseconds / 1_000
        let bucket = bounds.firstIndex { micros <= $0 } ?? bounds.count
        recorded.withLock { figures in
            figures.acquisitions &+= 1
            figures.waitNanos &+= nanoseconds
            figures.longestWaitNanos = max(figures.longestWaitNanos, nanoseconds)
            figures.waitBucketCounts[bucket] &+= 1
        }
    }

    /// One writer held the section for `hold`.
    func recordHold(_ hold: Duration) {
        let nanoseconds = Self.nanoseconds(hold)
        recorded.withLock { $0.holdNanos &+= nanoseconds }
    }

    /// What was recorded so far.
    var figures: CommitSectionFigures { recorded.withLock { $0 } }

    /// `duration` in whole nanoseconds, clamped to `0...Int64.max`.
    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let whole = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !whole.overflow else { return seconds < 0 ? 0 : .max }
        return max(0, whole.partialValue &+ attoseconds / 1_000_000_000)
    }
}

/// The commit section's wait and hold times since open.
public struct CommitSectionFigures: Sendable, Equatable {
    /// Inclusive upper bounds, in microseconds, of the wait-time buckets; `waitBucketCounts`
    /// has one more entry, for longer waits.
    public static let waitBucketBoundsMicros: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000]
    /// Times a commit entered the section.
    public var acquisitions: Int64 = 0
    /// Nanoseconds spent waiting to enter, summed over every entry.
    public var waitNanos: Int64 = 0
    /// Nanoseconds spent inside, summed over every entry.
    public var holdNanos: Int64 = 0
    /// The longest single wait, in nanoseconds.
    public var longestWaitNanos: Int64 = 0
    /// Entries per wait-time bucket (not cumulative).
    public var waitBucketCounts = Array(repeating: Int64(0), count: waitBucketBoundsMicros.count + 1)

    /// Zero figures.
    public init() {}
}
