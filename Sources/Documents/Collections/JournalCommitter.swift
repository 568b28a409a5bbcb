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
/// closed store open.
final class JournalCommitter: Sendable {
    private let stopped = Atomic<Bool>(false)
    /// Background syncs run (successful ones).
    let syncCount = Atomic<Int>(0)
    /// Background syncs that failed.
    let failureCount = Atomic<Int>(0)

    init() {}

    /// Starts the thread; `interval` is read before every sleep (a runtime parameter).
    func start(store: DocumentStore, interval: @escaping @Sendable () -> Duration) {
        weak let weakStore = store
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                let pause = interval()
                let seconds = Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18
                Thread.sleep(forTimeInterval: max(0.001, seconds))
                guard !stopped.load(ordering: .acquiring), let store = weakStore else { return }
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

    /// Stops the thread after its current sleep or sync.
    func stop() {
        stopped.store(true, ordering: .releasing)
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
