// QueryEngine's journal operations: the background WAL sync that bounds what a w:1 write can
// lose, the wait that makes every committed write durable (shutdown's final flush), and
// their counters, forwarded to the store so the Server and Commands layers stop here.

public import BSON
import Documents

extension QueryEngine {
    /// Starts syncing the WAL every `interval()` while there are unsynced writes. See
    /// `DocumentStore.startJournalCommits(every:)`.
    public func startJournalCommits(every interval: @escaping @Sendable () -> Duration) {
        store.startJournalCommits(every: interval)
    }

    /// Makes every write committed so far durable (one WAL fsync, shared with concurrent
    /// journaled writers).
    ///
    /// - Throws: `InternalError` or `OutOfDiskSpace` when the sync fails (the cause keeps
    ///   the storage engine's status).
    public func waitForJournal() throws(MongoError) {
        try store.waitForJournal()
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
