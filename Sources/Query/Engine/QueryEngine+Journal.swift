// QueryEngine's journal operations: the background WAL sync that bounds what a w:1 write can
// lose, and its counters, forwarded to the store so the Server and Commands layers stop here.

internal import Documents

extension QueryEngine {
    /// Starts syncing the WAL every `interval()` while there are unsynced writes. See
    /// `DocumentStore.startJournalCommits(every:)`.
    public func startJournalCommits(every interval: @escaping @Sendable () -> Duration) {
        store.startJournalCommits(every: interval)
    }

    /// Stops the background journal sync.
    public func stopJournalCommits() {
        store.stopJournalCommits()
    }

    /// Background journal syncs run since open (`serverStatus().tessera.journal`).
    public var backgroundJournalSyncCount: Int {
        store.backgroundJournalSyncCount
    }

    /// Every WAL fsync group commit has run since open, background ones included.
    public var journalSyncCount: Int {
        store.journalSyncCount
    }
}
