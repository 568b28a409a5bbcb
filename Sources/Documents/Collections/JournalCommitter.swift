// JournalCommitter: bounds how much an unjournaled (w:1, j:false) write can lose. A thread of
// its own syncs the WAL through group commit at least every journalCommitInterval (MongoDB's
// default 100 ms) while there are unsynced writes. Owns only that schedule and its counters.

internal import Foundation
internal import Synchronization
internal import Storage

/// The background WAL sync of one store.
///
/// A dedicated thread (an fsync blocks; it must not occupy an event loop or the cooperative
/// pool) wakes every `interval()`, and when writes were appended since the last sync, runs
/// one through the store's group commit, so it shares fsyncs with journaled writers and
/// stops for good once a sync has failed. It holds the store weakly, so it never keeps a
/// closed store open; while a sync runs it holds it strongly, which is why ``stop()`` waits
/// for the thread to end: otherwise the thread could hold the last reference and close the
/// store while the process exits.
final class JournalCommitter: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    /// Signalled by ``stop()`` to cut the thread's sleep short.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled once by the thread as it ends.
    private let ended = DispatchSemaphore(value: 0)
    /// Background syncs run (successful ones).
    let syncCount = Atomic<Int>(0)
    /// Background syncs that failed.
    let failureCount = Atomic<Int>(0)

    init() {}

    /// Starts the thread; `interval` is read before every sleep (a runtime parameter).
    func start(store: DocumentStore, interval: @escaping @Sendable () -> Duration) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        weak let weakStore = store
        let thread = Thread { [self] in
            defer { ended.signal() }
            while !stopped.load(ordering: .acquiring) {
                let pause = interval()
                let nanoseconds = pause.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
                let total = nanoseconds.overflow ? Int64.max : nanoseconds.partialValue &+ pause.components.attoseconds / 1_000_000_000
                let bounded = Int(clamping: max(1_000_000, min(total, 3_600 * 1_000_000_000)))
                _ = wake.wait(timeout: .now() + .nanoseconds(bounded))
                guard !stopped.load(ordering: .acquiring) else { return }
                guard let store = weakStore else { return }
                switch store.syncJournalIfBehind() {
                case .synced: syncCount.add(1, ordering: .relaxed)
                case .failed: failureCount.add(1, ordering: .relaxed)
                case .upToDate: break
                }
            }
        }
        thread.name = "tessera-journal"
        thread.start()
    }

    /// Stops the thread and waits until it has ended (after its current sync, if one runs),
    /// so it no longer holds the store when this returns. Idempotent.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard started.load(ordering: .acquiring) else { return }
        wake.signal()
        ended.wait()
    }
}

/// What a background journal sync did.
enum JournalSyncOutcome: Sendable {
    /// Every appended write was already durable (or the journal has failed).
    case upToDate
    /// A sync covered the writes appended so far.
    case synced
    /// The sync failed; the store now refuses writes.
    case failed
}

extension DocumentStore {
    /// Starts syncing the WAL in the background every `interval()` while there are unsynced
    /// writes (MongoDB's `journalCommitInterval`): a `w:1` write is durable within about one
    /// interval. Stop it with ``stopJournalCommits()``.
    public func startJournalCommits(every interval: @escaping @Sendable () -> Duration) {
        journalCommitter.start(store: self, interval: interval)
    }

    /// Stops the background journal sync.
    public func stopJournalCommits() {
        journalCommitter.stop()
    }

    /// Background journal syncs run since open.
    public var backgroundJournalSyncCount: Int {
        journalCommitter.syncCount.load(ordering: .relaxed)
    }

    /// Syncs the WAL through group commit when writes were appended since the last sync.
    func syncJournalIfBehind() -> JournalSyncOutcome {
        guard let ticket = groupCommit.unsyncedTicket else { return .upToDate }
        do {
            try groupCommit.waitUntilSynced(ticket) { () throws(StorageError) in
                try storage.syncJournal()
            }
            return .synced
        } catch {
            return .failed
        }
    }
}
