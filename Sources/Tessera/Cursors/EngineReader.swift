// EngineReader: the one place the embedding API's cursors read the engine, a batch at a time.
//
// The engine does not offer a streaming cursor yet (QueryCollection.find and aggregate return
// whole arrays), so this reads it in pages through the public QueryCollection API:
// - a find in `_id` order (no sort, or a sort on `_id` alone) pages by key: each page asks
//   for the next `batchSize` documents after the last `_id` returned (`{_id: {$gt: last}}`,
//   stepping over BSON's type brackets, which `$gt` does not cross, with a `$type` page), so
//   every page is an index range read and memory stays one batch however large the result;
// - a find with another sort pages by offset (skip + limit per page): memory is the engine's
//   top-k of skip + batch, and concurrent writes may shift what later pages see;
// - an aggregation whose stages all work document by document ($match, $project, $set,
//   $unwind, ...) pages its source collection by key as above (its leading $match becomes the
//   page filter) and runs the stages on each page; any other pipeline runs whole in the engine
//   and is handed out in batches.
// When the engine's streaming cursor (one snapshot, resumed positions) lands, it replaces the
// body of this file only: `nextBatch(maxCount:interrupt:)` and `close()` keep their shape.

import Query
import Synchronization

/// One cursor's reads of the engine: batches until exhausted, then nothing.
final class EngineReader: EngineRead {
    private let state: Mutex<State>
    private weak let client: TesseraClient?

    private enum State {
        case open(Source)
        case exhausted
        case closed
    }

    /// Where the batches come from.
    private enum Source {
        /// A find read page by page.
        case find(FindPager)
        /// Pages of the source collection, each run through stages that work document by document.
        case stream(FindPager, stages: [BSONDocument], options: Query.AggregateOptions)
        /// Results already computed whole, handed out from `position`.
        case documents([BSONDocument], position: Int)
    }

    private init(_ source: Source, client: TesseraClient) throws(TesseraError) {
        state = Mutex(.open(source))
        self.client = client
        try client.readOpened(self)
    }

    deinit {
        client?.readClosed(self)
    }

    /// A reader of `query` on `collection`.
    static func find(_ query: FindQuery, on collection: QueryCollection, client: TesseraClient) throws(TesseraError) -> EngineReader {
        try EngineReader(.find(FindPager(query, on: collection)), client: client)
    }

    /// A reader of `pipeline` on `collection`; runs the pipeline now when it cannot stream.
    static func aggregate(_ pipeline: [BSONDocument], options: Query.AggregateOptions, on collection: QueryCollection,
                          client: TesseraClient) throws(MongoError) -> EngineReader {
        let source: Source
        if pipeline.allSatisfy({ streamingStages.contains($0.first?.key ?? "") }) {
            var stages = pipeline[...]
            var filter = BSONDocument()
            if case let .document(match)? = stages.first?.first?.value, stages.first?.first?.key == "$match" {
                filter = match
                stages = stages.dropFirst()
            }
            let query = FindQuery(filter: filter, hint: options.hint,
                                  sortMemory: SortMemoryLimit(allowDiskUse: options.allowDiskUse))
            source = .stream(FindPager(query, on: collection), stages: Array(stages), options: options)
        } else {
            source = .documents(try collection.aggregate(pipeline, options: options), position: 0)
        }
        do throws(TesseraError) {
            return try EngineReader(source, client: client)
        } catch {
            throw MongoError(.illegalOperation, error.message)
        }
    }

    /// A reader handing out `documents` (listings computed whole: indexes, collections).
    static func documents(_ documents: [BSONDocument], client: TesseraClient) throws(TesseraError) -> EngineReader {
        try EngineReader(.documents(documents, position: 0), client: client)
    }

    /// The stages that turn each document into zero or more documents on their own.
    static let streamingStages: Set<String> = [
        "$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith", "$unwind", "$redact",
    ]

    /// Whether batches may still come.
    var isOpen: Bool {
        state.withLock { if case .open = $0 { true } else { false } }
    }

    /// The next batch of at most `maxCount` documents; empty once exhausted (the reader is
    /// then closed). Blocks on the engine: call it on an engine thread.
    func nextBatch(maxCount: Int, interrupt: OperationInterrupt) throws(MongoError) -> [BSONDocument] {
        let (batch, exhausted) = try state.withLock { (state) throws(MongoError) -> ([BSONDocument], Bool) in
            guard case var .open(source) = state else { return ([], false) }
            let batch: [BSONDocument]
            switch source {
            case var .find(pager):
                batch = try pager.next(maxCount: maxCount, interrupt: interrupt)
                source = .find(pager)
            case .stream(var pager, let stages, let options):
                var produced: [BSONDocument] = []
                while produced.isEmpty && !pager.isDone {
                    let page = try pager.next(maxCount: maxCount, interrupt: interrupt)
                    produced = try pager.collection.interrupted(by: interrupt).aggregate(stages, over: page, options: options)
                }
                batch = produced
                source = .stream(pager, stages: stages, options: options)
            case let .documents(documents, position):
                let end = min(documents.count, position + maxCount)
                batch = Array(documents[position..<end])
                source = .documents(documents, position: end)
            }
            if batch.isEmpty {
                state = .exhausted
                return (batch, true)
            }
            state = .open(source)
            return (batch, false)
        }
        if exhausted { client?.readClosed(self) }
        return batch
    }

    /// Releases the read; later batches are empty. Harmless when repeated.
    func close() {
        state.withLock { $0 = .closed }
        client?.readClosed(self)
    }
}

/// A find read page by page (see the file's header for the two ways).
private struct FindPager {
    /// The collection read (the store's, or a transaction's).
    let collection: QueryCollection
    private let query: FindQuery
    private let mode: Mode
    /// Documents still wanted under the query's limit (nil: no limit).
    private var remaining: Int?
    private var phase = Phase.first

    private enum Mode {
        /// Pages by `_id` (ascending when `direction` is 1); `projection` is the query's
        /// with `_id` kept, and `dropID` removes it from results when the query excluded it.
        case byID(direction: Int, projection: BSONDocument?, dropID: Bool)
        /// Pages by skip and limit.
        case byOffset
    }

    private enum Phase {
        /// Nothing read yet.
        case first
        /// Read through `last`; what follows in its type bracket comes next.
        case within(last: BSONValue)
        /// Read through the type bracket of rank `rank`; the next bracket comes next.
        case crossing(rank: Int)
        /// Read through the end (`byOffset`: through `consumed` documents after the skip).
        case offset(consumed: Int)
        case done
    }

    init(_ query: FindQuery, on collection: QueryCollection) {
        self.collection = collection
        self.query = query
        remaining = query.limit
        mode = Self.mode(of: query)
    }

    var isDone: Bool {
        if case .done = phase { true } else { remaining == 0 }
    }

    /// Key paging when the order is `_id`'s and the projection keeps (or plainly drops) `_id`.
    private static func mode(of query: FindQuery) -> Mode {
        var direction = 1
        if let sort = query.sort, !sort.isEmpty {
            guard sort.count == 1, sort.first?.key == "_id", let value = sort.first?.value.doubleValue,
                  value == 1 || value == -1 else { return .byOffset }
            direction = value < 0 ? -1 : 1
        }
        guard var projection = query.projection, let idSpec = projection["_id"] else {
            return .byID(direction: direction, projection: query.projection, dropID: false)
        }
        switch idSpec {
        case .bool(true):
            return .byID(direction: direction, projection: projection, dropID: false)
        case .bool(false):
            break
        case .int32, .int64, .double, .decimal128:
            guard let number = idSpec.doubleValue else { return .byOffset }
            if number != 0 { return .byID(direction: direction, projection: projection, dropID: false) }
        default:
            return .byOffset
        }
        projection["_id"] = nil
        return .byID(direction: direction, projection: projection.isEmpty ? nil : projection, dropID: true)
    }

    /// The next page of at most `maxCount` documents; empty at the end.
    mutating func next(maxCount: Int, interrupt: OperationInterrupt) throws(MongoError) -> [BSONDocument] {
        let reader = collection.interrupted(by: interrupt)
        while true {
            let want = min(maxCount, remaining ?? Int.max)
            guard want > 0 else {
                phase = .done
                return []
            }
            let page: [BSONDocument]
            var dropID = false
            switch mode {
            case .byOffset:
                page = try pageByOffset(reader, want: want)
            case let .byID(direction, projection, drop):
                page = try pageByID(reader, want: want, direction: direction, projection: projection)
                dropID = drop
            }
            remaining = remaining.map { $0 - page.count }
            if page.isEmpty {
                if case .done = phase { return [] }
                continue
            }
            guard dropID else { return page }
            return page.map { document in
                var document = document
                document["_id"] = nil
                return document
            }
        }
    }

    private mutating func pageByOffset(_ reader: QueryCollection, want: Int) throws(MongoError) -> [BSONDocument] {
        let consumed: Int
        switch phase {
        case .first: consumed = 0
        case let .offset(count): consumed = count
        default: return []
        }
        var page = query
        page.skip = query.skip + consumed
        page.limit = want
        let documents = try reader.find(page)
        phase = documents.count < want ? .done : .offset(consumed: consumed + documents.count)
        return documents
    }

    private mutating func pageByID(_ reader: QueryCollection, want: Int, direction: Int,
                                   projection: BSONDocument?) throws(MongoError) -> [BSONDocument] {
        var page = query
        page.sort = ["_id": .int32(Int32(direction))]
        page.projection = projection
        page.limit = want
        let idCondition: BSONValue?
        switch phase {
        case .first:
            idCondition = nil
        case let .within(last):
            page.skip = 0
            idCondition = [direction > 0 ? "$gt" : "$lt": last]
        case let .crossing(rank):
            page.skip = 0
            let following = BSONType.allCases.filter { direction > 0 ? $0.canonicalRank > rank : $0.canonicalRank < rank }
            guard !following.isEmpty else {
                phase = .done
                return []
            }
            idCondition = ["$type": .array(following.map { .string($0.alias) })]
        case .offset, .done:
            return []
        }
        if let idCondition {
            page.filter = query.filter.isEmpty ? ["_id": idCondition] : ["$and": [.document(query.filter), ["_id": idCondition]]]
        }
        let documents = try reader.find(page)
        let short = documents.count < want
        if let last = documents.last?["_id"] {
            switch phase {
            case .within where short: phase = .crossing(rank: last.type.canonicalRank)
            case .first where short, .crossing where short: phase = .done
            default: phase = .within(last: last)
            }
        } else if case let .within(last) = phase {
            phase = .crossing(rank: last.type.canonicalRank)
        } else {
            phase = .done
        }
        return documents
    }
}
