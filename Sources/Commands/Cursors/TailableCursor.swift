// TailableCursor: a find on a capped collection that stays open at its end (`tailable`),
// remembering its position in insertion order; with `awaitData`, a getMore waits on the
// change log's commit signal up to maxAwaitTimeMS for new documents instead of polling.

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
    /// The insertion-order position of the last document examined.
    private let position: Mutex<UInt64>
    /// After a batch that reached the end of the collection: the change log sequence seen
    /// before that read. nil while more documents may be there. Read without I/O.
    private let idleThrough = Mutex<UInt64?>(nil)

    /// A cursor at the start of `collection`.
    ///
    /// - Throws: `BadValue` (2) when the collection exists and is not capped.
    init(collection: QueryCollection, engine: QueryEngine, filter: Filter, projection: Projection?,
         awaitData: Bool) throws(MongoError) {
        if collection.exists, collection.cappedLimits == nil {
            throw MongoError(.badValue, "error processing query: ns=\(collection.namespace) tailable cursor requested on non capped collection")
        }
        self.collection = collection
        self.engine = engine
        self.filter = filter
        self.projection = projection
        self.awaitData = awaitData
        position = Mutex(0)
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
        let limit = max(batchSize ?? 101, 1)
        return try position.withLock { (position) throws(MongoError) -> [BSONDocument] in
            var results: [BSONDocument] = []
            while true {
                try interrupt()
                let seen = engine.latestCommitSequence
                let found = try collection.naturalOrder(after: position, limit: limit - results.count)
                for (next, document) in found {
                    position = next
                    guard filter.matches(document) else { continue }
                    results.append(try projection?.apply(to: document) ?? document)
                }
                if results.count >= limit || !found.isEmpty && found.count == limit {
                    idleThrough.withLock { $0 = nil }
                    return results
                }
                idleThrough.withLock { $0 = seen }
                guard results.isEmpty, let deadline else { return results }
                guard engine.waitForCommit(after: seen, until: deadline) else { return results }
            }
        }
    }
}
