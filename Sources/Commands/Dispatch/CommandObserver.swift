// CommandObserver: the Commands layer's side of the metrics endpoint — the hook told of each
// command's outcome and duration, the label a command is counted under, and the point-in-time
// figures (cursors, transactions, TTL deletes, group commit, write conflicts, storage engine)
// a scrape reads. No metrics library here: the Server implements the observer over
// swift-metrics.

import BSON
public import Query

/// Hears of every command the dispatcher runs. Called on the command's thread after the
/// reply is built, so it must be cheap and thread-safe.
public protocol CommandObserver: Sendable {
    /// `name` (a known command's name, or `"unknown"`) finished after `duration`;
    /// `succeeded` is false for an `{ok: 0}` reply.
    func commandFinished(_ name: String, succeeded: Bool, duration: Duration)
}

/// What a metrics scrape reads from the dispatcher at one moment.
public struct DispatcherFigures: Sendable {
    /// Cursors open now.
    public var openCursors: Int
    /// Sessions with a transaction open now.
    public var openTransactions: Int
    /// Documents the TTL monitor has deleted since start.
    public var ttlDeletedDocuments: Int64
    /// Journal (group-commit) syncs since start.
    public var journalSyncs: Int
    /// Group commit's batch sizes (writes made durable per sync) since start.
    public var groupCommit: GroupCommitFigures
    /// How long commits waited for and held the store's commit section since start.
    public var commitSection: CommitSectionFigures
    /// Commands and statements that failed with WriteConflict since start.
    public var writeConflicts: Int64
    /// The storage engine's own figures.
    public var storage: EngineFigures

    /// Figures from their parts (zero by default; no storage or group-commit figures when
    /// `storage` or `groupCommit` is nil).
    public init(openCursors: Int = 0, openTransactions: Int = 0, ttlDeletedDocuments: Int64 = 0,
                journalSyncs: Int = 0, groupCommit: GroupCommitFigures? = nil,
                commitSection: CommitSectionFigures? = nil, writeConflicts: Int64 = 0,
                storage: EngineFigures? = nil) {
        self.openCursors = openCursors
        self.openTransactions = openTransactions
        self.ttlDeletedDocuments = ttlDeletedDocuments
        self.journalSyncs = journalSyncs
        self.groupCommit = groupCommit ?? GroupCommitFigures()
        self.commitSection = commitSection ?? CommitSectionFigures()
        self.writeConflicts = writeConflicts
        self.storage = storage ?? EngineFigures()
    }

    /// The inclusive upper bounds of `groupCommit`'s batch-size buckets.
    public var groupCommitBucketBounds: [UInt64] { GroupCommitFigures.bucketBounds }
    /// The inclusive upper bounds, in microseconds, of `commitSection`'s wait-time buckets.
    public var commitSectionWaitBoundsMicros: [Int64] { CommitSectionFigures.waitBucketBoundsMicros }
}

extension CommandDispatcher {
    /// The figures a metrics scrape reports, read now.
    public var figures: DispatcherFigures {
        DispatcherFigures(
            openCursors: server.cursors.counts.open,
            openTransactions: server.sessions.openTransactionCount,
            ttlDeletedDocuments: server.engine.ttlStatistics.deletedDocuments,
            journalSyncs: server.engine.journalSyncCount,
            groupCommit: server.engine.groupCommitFigures,
            commitSection: server.engine.commitSectionFigures,
            writeConflicts: server.documentMetrics.writeConflicts,
            storage: server.engine.storageFigures)
    }

    /// The label `request` is counted under: its command name when the server knows it,
    /// else `"unknown"` (so clients cannot grow the label set without bound).
    static func metricName(_ request: CommandRequest) -> String {
        guard let name = request.body.first?.key, CommandTable.byName[name] != nil else { return "unknown" }
        return name
    }

    /// Whether `reply` is a success (`ok: 1`).
    static func succeeded(_ reply: BSONDocument) -> Bool {
        reply["ok"]?.doubleValue == 1
    }
}
