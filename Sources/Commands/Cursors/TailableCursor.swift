// TailableCursor: a find on a capped collection that stays open at its end (`tailable`),
// remembering its position in insertion order and how much of its skip and limit it used;
// with `awaitData`, a getMore waits on the change log's commit signal up to maxAwaitTimeMS for
// new documents instead of polling.

import BSON
import Query
import Synchronization

/// One tailable cursor's reading state. A mutex serialises concurrent getMores on it.
final class TailableCursor: Sendable {
    /// How long an awaitData getMore waits without `maxAwaitTimeMS` (MongoDB's default).
    static let defaultAwait: Duration = .seconds(1)

    let collection: QueryCollection
    let awaitData: Bool
    private let engine: QueryEngine
    private let filter: Filter
    private let projection: Projection?
    /// Where the cursor is: the insertion-order position of the last document examined, and
    /// how many matches it skipped and returned so far.
    private struct Progress {
        var position: UInt64 = 0
        var skipped = 0
        var returned = 0
    }

    /// The find's `skip`: matches passed over before the first one returned.
    private let skip: Int
    /// The find's `limit`: the cursor ends once it returned this many (nil: never).
    private let limit: Int?
    private let progress = Mutex(Progress())
    /// After a batch that reached the end of the collection: the change log sequence seen
    /// before that read. nil while more documents may be there. Read without I/O.
    private let idleThrough = Mutex<UInt64?>(nil)

    /// A cursor at the start of `collection` that skips `skip` matches and ends after
    /// `limit` (0 or nil: no limit), as mongod's tailable finds do.
    ///
    /// - Throws: `BadValue` (2) when the collection exists and is not capped.
    init(collection: QueryCollection, engine: QueryEngine, filter: Filter, projection: Projection?,
         awaitData: Bool, skip: Int = 0, limit: Int? = nil) throws(MongoError) {
        if collection.exists, collection.cappedLimits == nil {
            throw MongoError(.badValue, "error processing query: ns=\(collection.namespace) tailable cursor requested on non capped collection")
        }
        self.collection = collection
        self.engine = engine
        self.filter = filter
        self.projection = projection
        self.awaitData = awaitData
        self.skip = skip
        self.limit = limit == 0 ? nil : limit
    }

    /// Whether the cursor returned its whole `limit`: it has nothing more to give.
    var isFinished: Bool {
        guard let limit else { return false }
        return progress.withLock { $0.returned >= limit }
    }

    /// The sequence an awaitData getMore would wait past when nothing is ready: the last
    /// read reached the end of the collection and no write committed since. Cheap: no I/O.
    func waitSequence(latest: UInt64) -> UInt64? {
        guard awaitData, let idle = idleThrough.withLock({ $0 }), idle >= latest else { return nil }
        return idle
    }

    /// The next matching documents, at most `batchSize` (101 by default); with a deadline
    /// and nothing new, waits for a commit until then.
    ///
    /// - Throws: `CappedPositionLost` (136) when the documents after the position were
    ///   evicted before the cursor read them.
    func nextBatch(batchSize: Int?, waitUntil deadline: ContinuousClock.Instant?,
                   interrupt: () throws(MongoError) -> Void) throws(MongoError) -> [BSONDocument] {
        let batchLimit = max(batchSize ?? 101, 1)
        return try progress.withLock { (progress) throws(MongoError) -> [BSONDocument] in
            var results: [BSONDocument] = []
            // What the find's limit still allows.
            let limit = min(batchLimit, self.limit.map { max($0 - progress.returned, 0) } ?? Int.max)
            guard limit > 0 else { return [] }
            while true {
                try interrupt()
                let seen = engine.latestCommitSequence
                let requested = limit - results.count
                let found = try collection.naturalOrder(after: progress.position, limit: requested)
                for (next, document) in found {
                    progress.position = next
                    guard filter.matches(document) else { continue }
                    if progress.skipped < skip {
                        progress.skipped += 1
                        continue
                    }
                    results.append(try projection?.apply(to: document) ?? document)
                    progress.returned += 1
                }
                if results.count >= limit {
                    idleThrough.withLock { $0 = nil }
                    return results
                }
                // The read was cut short by the request: more may follow (filtered or skipped
                // documents left the batch short), so read on.
                if found.count == requested { continue }
                idleThrough.withLock { $0 = seen }
                guard results.isEmpty, let deadline else { return results }
                guard engine.waitForCommit(after: seen, until: deadline) else { return results }
            }
        }
    }
}
