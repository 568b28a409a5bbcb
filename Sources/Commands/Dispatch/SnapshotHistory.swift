// SnapshotHistory: the storage snapshots recent snapshot reads ran at, kept by the cluster
// time they read at, so a later read with that `atClusterTime` (a driver's snapshot session
// sends its first read's time on every read) sees the same data, as mongod's snapshot history
// does for `minSnapshotHistoryWindowInSeconds` (300 s). Bounded in time and in number: each
// kept snapshot holds back RocksDB's compaction of what changed since.

import Query
import Synchronization

/// Recent snapshot reads' snapshots, by commit sequence.
final class SnapshotHistory: Sendable {
    /// How long a snapshot is kept after its last read (mongod's default history window).
    static let window: Duration = .seconds(300)
    /// The most snapshots kept at once; the least recently read goes first.
    static let capacity = 64

    private struct Kept {
        let transaction: QueryTransaction
        var lastRead: ContinuousClock.Instant
    }

    private let kept = Mutex<[UInt64: Kept]>([:])

    /// The snapshot kept for `sequence`, if any (its window starts again).
    func transaction(at sequence: UInt64) -> QueryTransaction? {
        let now = ContinuousClock.now
        return kept.withLock { kept in
            Self.expire(&kept, now: now)
            kept[sequence]?.lastRead = now
            return kept[sequence]?.transaction
        }
    }

    /// Keeps `transaction`'s snapshot as the one for `sequence` (a snapshot already kept
    /// for it stays).
    func keep(_ transaction: QueryTransaction, at sequence: UInt64) {
        let now = ContinuousClock.now
        kept.withLock { kept in
            Self.expire(&kept, now: now)
            if kept[sequence] == nil { kept[sequence] = Kept(transaction: transaction, lastRead: now) }
            while kept.count > Self.capacity, let oldest = kept.min(by: { $0.value.lastRead < $1.value.lastRead }) {
                kept[oldest.key] = nil
            }
        }
    }

    /// How many snapshots are kept now.
    var count: Int { kept.withLock { $0.count } }

    private static func expire(_ kept: inout [UInt64: Kept], now: ContinuousClock.Instant) {
        kept = kept.filter { now - $0.value.lastRead < window }
    }
}
