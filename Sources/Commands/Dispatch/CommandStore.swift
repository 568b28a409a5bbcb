// CommandStore: the store a server (or the bench's embedded target) runs commands on — opens
// the query engine at a data directory, and drives the engine's background work for whoever
// hosts it: the TTL monitor, the journal's background sync and the final journal flush at
// shutdown. So the Server layer opens and closes a store without importing Query.

public import BSON
public import Logging
public import Query

/// An open store for a ``CommandDispatcher``, with its background work.
public final class CommandStore: Sendable {
    /// The engine commands run against.
    let engine: QueryEngine

    /// Opens (or creates) the store at `path`, holding at most `maximumCollections`
    /// collections (the `maxCollections` parameter) and `maximumShapes` document shapes,
    /// `maximumShapesPerCollection` of them created by one collection (`maxShapes`,
    /// `maxShapesPerCollection`), and resuming writes after a full disk once
    /// `diskReserveBytes` are free; `nil`: the store's defaults.
    public init(
        path: String, maximumCollections: Int? = nil, maximumShapes: Int? = nil, maximumShapesPerCollection: Int? = nil,
        diskReserveBytes: Int? = nil
    ) throws(StoreOpenError) {
        var options = DocumentStoreOptions()
        if let diskReserveBytes { options.storage.diskReserveBytes = diskReserveBytes }
        if let maximumCollections { options.maximumCollectionCount = maximumCollections }
        if let maximumShapes { options.maximumShapeCount = maximumShapes }
        if let maximumShapesPerCollection { options.maximumShapesPerCollection = maximumShapesPerCollection }
        engine = try QueryEngine(path: path, options: options)
    }

    /// Commands over an engine its host already opened (the embedding API serving its own
    /// store): the host, not the server, owns the engine's background work.
    public init(engine: QueryEngine) {
        self.engine = engine
    }

    /// Starts the background TTL monitor: it reads `schedule` before every pass, runs each
    /// pass through `runner` and reports a failed pass to `onFailure`.
    public func startTTLMonitor(schedule: @escaping @Sendable () -> TTLSchedule, runner: TTLPassRunner?,
                                onFailure: (@Sendable (MongoError) -> Void)?) {
        engine.startTTLMonitor(schedule: schedule, runner: runner, onFailure: onFailure)
    }

    /// Stops the TTL monitor and waits for a pass in progress to end at its next document.
    public func stopTTLMonitorAndWait() async {
        await engine.stopTTLMonitorAndWait()
    }

    /// Documents the TTL monitor has deleted since the store opened.
    public var ttlDeletedDocuments: Int64 {
        engine.ttlStatistics.deletedDocuments
    }

    /// Starts syncing the journal every `interval()` while there are unsynced writes.
    public func startJournalCommits(every interval: @escaping @Sendable () -> Duration) {
        engine.startJournalCommits(every: interval)
    }

    /// Stops the background journal sync.
    public func stopJournalCommits() {
        engine.stopJournalCommits()
    }

    /// Makes every write committed so far durable (shutdown's final flush).
    public func waitForJournal() throws(MongoError) {
        try engine.waitForJournal()
    }
}

/// Watches whether a store has been released everywhere (and so closed): the engine goes
/// when its last holder — the dispatcher, a parked wait, a running command — lets it go.
public struct StoreRelease: Sendable {
    private weak let engine: QueryEngine?

    fileprivate init(_ engine: QueryEngine) {
        self.engine = engine
    }

    /// Whether nothing holds the store any more: its files are closed.
    public var isComplete: Bool { engine == nil }
}

extension CommandStore {
    /// A watch on this store's release, which does not itself hold the store.
    public var release: StoreRelease { StoreRelease(engine) }
}

extension CommandDispatcher {
    /// A dispatcher over `store`.
    public convenience init(store: CommandStore, configuration: CommandConfiguration = .init(), metrics: ServerMetrics,
                            logger: Logger) {
        self.init(engine: store.engine, configuration: configuration, metrics: metrics, logger: logger)
    }
}
