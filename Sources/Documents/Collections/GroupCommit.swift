// GroupCommit: makes journaled writes durable with as few WAL fsyncs as possible. Writers
// append without syncing, take a ticket in WAL order, then one leader fsyncs for every
// ticket issued before it started while the others wait. Knows nothing of documents.

internal import Synchronization
internal import Storage

/// Shares WAL fsyncs among concurrent journaled writers.
///
/// A writer calls ``ticket()`` right after its batch is appended (inside the store's commit
/// section, so tickets follow WAL order), then ``waitUntilSynced(_:sync:)``. If no sync is
/// running, the caller leads: it notes the newest ticket, runs `sync` once, and marks
/// everything up to that ticket durable. Writers arriving meanwhile wait for the next round.
///
/// `@unchecked Sendable` because: every mutable field is read and written only while
/// `condition` is held; `syncCount` is an `Atomic`.
final class GroupCommit: @unchecked Sendable {
    private let condition = ConditionLock()
    /// Tickets issued: writes appended to the WAL.
    private var appended: UInt64 = 0
    /// Every ticket up to this one is durable.
    private var synced: UInt64 = 0
    /// Whether a leader is running a sync now.
    private var syncing = false
    /// Number of syncs run, for tests and metrics.
    let syncCount = Atomic<Int>(0)

    init() {}

    /// The next ticket; call once per appended write, in WAL order.
    func ticket() -> UInt64 {
        condition.withLock {
            appended += 1
            return appended
        }
    }

    /// Returns once `ticket` is covered by a completed sync, leading one if none is running.
    /// A failed sync is thrown to its leader; waiters then elect a new leader and retry.
    func waitUntilSynced(_ ticket: UInt64, sync: () throws(StorageError) -> Void) throws(StorageError) {
        condition.lock()
        defer { condition.unlock() }
        while synced < ticket {
            if syncing {
                condition.wait()
                continue
            }
            syncing = true
            let target = appended
            condition.unlock()
            var failure: StorageError?
            do throws(StorageError) {
                try sync()
                syncCount.add(1, ordering: .relaxed)
            } catch {
                failure = error
            }
            condition.lock()
            syncing = false
            if failure == nil { synced = max(synced, target) }
            condition.broadcast()
            if let failure { throw failure }
        }
    }
}
