// GroupCommit: makes journaled writes durable with as few WAL fsyncs as possible. Writers
// append without syncing, take a ticket in WAL order, then one leader fsyncs for every
// ticket issued before it started while the others wait. Knows nothing of documents.

internal import Synchronization
internal import Storage

/// The decisions of group commit, without locks or RocksDB: which writer leads a sync, who
/// waits, and what a failed sync does.
///
/// A failed fsync is final (PostgreSQL's "fsyncgate" lesson): the kernel may have dropped
/// the dirty pages and cleared the error, so a second fsync that succeeds proves nothing.
/// The machine goes from `healthy` (or `suspended`) to `failed` and stays there; every ticket
/// not yet covered by a successful sync fails with the original error, and no sync is led
/// again.
///
/// A sync that was running when an append failed acknowledges nothing: it may have met the
/// WAL writer the failed append left behind (a torn record, an error RocksDB keeps), so its
/// success proves nothing about the tickets it covers. They fail with the append's error,
/// or, once a full disk has healed, wait for a sync led afterwards.
///
/// A full disk is not final: when a write is refused with a recoverable no-space error
/// (``StorageError/isRecoverableNoSpace``: an append failed, no fsync did), the machine is
/// `suspended` — no sync is led (the WAL file whose append failed must not be synced), and
/// waiting tickets fail — until a later write is appended again, which proves RocksDB has
/// recovered onto a new WAL; then it is `healthy` again.
struct GroupCommitStateMachine: Sendable {
    /// Whether the journal can still make writes durable.
    enum Health: Sendable, Equatable {
        /// Syncs have succeeded so far.
        case healthy
        /// The disk was full: writes are refused by the storage engine until it recovers;
        /// no sync is led meanwhile.
        case suspended(StorageError)
        /// A sync failed; nothing after it can be acknowledged as durable until the store
        /// is reopened.
        case failed(StorageError)
    }

    /// What a writer waiting for `ticket` must do next.
    enum Action: Sendable, Equatable {
        /// The ticket is covered by a completed sync.
        case durable
        /// A sync is running; wait for it to end and ask again.
        case wait
        /// Run one sync, then report it with ``syncSucceeded(through:)`` or ``syncFailed(_:)``.
        case lead(through: UInt64)
        /// A sync failed before this ticket was covered; the write is not durable.
        case fail(StorageError)
    }

    /// Tickets issued: writes appended to the WAL.
    private(set) var appended: UInt64 = 0
    /// Every ticket up to this one is durable.
    private(set) var synced: UInt64 = 0
    /// Whether a leader is running a sync now.
    private(set) var syncing = false
    /// Healthy until a sync fails.
    private(set) var health = Health.healthy
    /// Whether an append failed while the running sync was under way (its success then
    /// counts for nothing).
    private(set) var appendFailedDuringSync = false

    /// The next ticket; call once per appended write, in WAL order. An append after a
    /// full disk means the storage engine has recovered: a suspended journal is healthy again.
    mutating func issueTicket() -> UInt64 {
        if case .suspended = health { health = .healthy }
        appended += 1
        return appended
    }

    /// The next step for a writer waiting for `ticket`.
    mutating func next(for ticket: UInt64) -> Action {
        if synced >= ticket { return .durable }
        switch health {
        case let .failed(error), let .suspended(error): return .fail(error)
        case .healthy: break
        }
        if syncing { return .wait }
        syncing = true
        return .lead(through: appended)
    }

    /// The newest ticket not yet covered by a sync, while healthy; `nil` when every issued
    /// ticket is durable or the journal has failed.
    var unsyncedTicket: UInt64? {
        guard case .healthy = health, appended > synced else { return nil }
        return appended
    }

    /// The leader's sync made every ticket up to `target` durable.
    /// Unless an append failed while it ran: then nothing is marked durable.
    mutating func syncSucceeded(through target: UInt64) {
        syncing = false
        if appendFailedDuringSync {
            appendFailedDuringSync = false
            return
        }
        synced = max(synced, target)
    }

    /// The leader's sync failed: the journal is failed for good, unless the sync was only
    /// refused because the disk is full (no fsync ran), which suspends it.
    mutating func syncFailed(_ error: StorageError) {
        syncing = false
        appendFailedDuringSync = false
        writeFailed(error)
    }

    /// Appending to the WAL failed. A full disk RocksDB recovers from suspends the journal
    /// until a write is appended again. Any other I/O error may leave a torn WAL record that
    /// RocksDB's writer refuses (or, built with assertions, aborts on) to sync, so the journal
    /// is failed for good.
    mutating func writeFailed(_ error: StorageError) {
        if syncing { appendFailedDuringSync = true }
        switch health {
        case .failed:
            return
        case .healthy, .suspended:
            health = error.isRecoverableNoSpace ? .suspended(error) : .failed(error)
        }
    }
}

/// Shares WAL fsyncs among concurrent journaled writers.
///
/// A writer calls ``ticket()`` right after its batch is appended (inside the store's commit
/// section, so tickets follow WAL order), then ``waitUntilSynced(_:sync:)``. If no sync is
/// running, the caller leads: it notes the newest ticket, runs `sync` once, and marks
/// everything up to that ticket durable. Writers arriving meanwhile wait for the next round.
/// A failed sync fails its leader and every waiter, and every later sync request, without
/// calling `sync` again (see ``GroupCommitStateMachine``).
///
/// `@unchecked Sendable` because: `state` is read and written only while `condition` is
/// held; `syncCount` is an `Atomic` and `batches` is `Sendable`.
final class GroupCommit: @unchecked Sendable {
    private let condition = ConditionLock()
    private var state = GroupCommitStateMachine()
    /// Number of successful syncs run, for tests and metrics.
    let syncCount = Atomic<Int>(0)
    /// How many writes each successful sync made durable.
    let batches = GroupCommitBatches()

    init() {}

    /// The next ticket; call once per appended write, in WAL order.
    func ticket() -> UInt64 {
        condition.withLock { state.issueTicket() }
    }

    /// The failed sync's error once one has failed; `nil` while healthy or suspended by a
    /// full disk (the storage engine itself refuses writes then).
    var failure: StorageError? {
        condition.withLock {
            if case let .failed(error) = state.health { return error }
            return nil
        }
    }

    /// The newest ticket not yet durable, while healthy (see
    /// ``GroupCommitStateMachine/unsyncedTicket``).
    var unsyncedTicket: UInt64? {
        condition.withLock { state.unsyncedTicket }
    }

    /// Marks the journal failed (or, for a full disk, suspended) after a WAL append failed;
    /// later syncs are not attempted until a write is appended again.
    func writeFailed(_ error: StorageError) {
        condition.withLock {
            state.writeFailed(error)
            condition.broadcast()
        }
    }

    /// Returns once `ticket` is covered by a completed sync, leading one if none is running.
    /// Throws the failed sync's error to the leader, to every waiter, and to every later caller.
    func waitUntilSynced(_ ticket: UInt64, sync: () throws(StorageError) -> Void) throws(StorageError) {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch state.next(for: ticket) {
            case .durable:
                return
            case let .fail(error):
                throw error
            case .wait:
                condition.wait()
            case let .lead(target):
                condition.unlock()
                var failure: StorageError?
                do throws(StorageError) {
                    try sync()
                    syncCount.add(1, ordering: .relaxed)
                } catch {
                    failure = error
                }
                condition.lock()
                if let failure {
                    state.syncFailed(failure)
                } else {
                    let previous = state.synced
                    state.syncSucceeded(through: target)
                    if state.synced > previous { batches.record(state.synced - previous) }
                }
                condition.broadcast()
            }
        }
    }
}

/// The sizes of group commit's batches: how many journaled writes (tickets) each successful
/// WAL fsync made durable, counted in power-of-two buckets for serverStatus and Prometheus.
/// Recorded by a sync's leader (once per sync, under a lock), read by any scrape.
final class GroupCommitBatches: Sendable {
    private let recorded = Mutex(GroupCommitFigures())

    init() {}

    /// One sync made `size` writes durable.
    func record(_ size: UInt64) {
        let bounds = GroupCommitFigures.bucketBounds
        let bucket = bounds.firstIndex { size <= $0 } ?? bounds.count
        let amount = Int64(clamping: size)
        recorded.withLock { figures in
            figures.bucketCounts[bucket] &+= 1
            figures.writes &+= amount
            figures.largestBatch = max(figures.largestBatch, amount)
        }
    }

    /// What was recorded so far.
    var figures: GroupCommitFigures { recorded.withLock { $0 } }
}

/// Group commit's batch figures at one moment.
public struct GroupCommitFigures: Sendable, Equatable {
    /// The inclusive upper bounds of the batch-size buckets; `bucketCounts` has one more
    /// entry, for batches above the last bound.
    public static let bucketBounds: [UInt64] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    /// Syncs per bucket (not cumulative).
    public var bucketCounts: [Int64]
    /// Writes made durable by all syncs together (the sum of batch sizes).
    public var writes: Int64
    /// The most writes one sync made durable.
    public var largestBatch: Int64

    /// Figures from their parts (zero by default).
    public init(bucketCounts: [Int64] = Array(repeating: 0, count: Self.bucketBounds.count + 1),
                writes: Int64 = 0, largestBatch: Int64 = 0) {
        self.bucketCounts = bucketCounts
        self.writes = writes
        self.largestBatch = largestBatch
    }

    /// Successful syncs counted.
    public var batches: Int64 { bucketCounts.reduce(0, &+) }
}
