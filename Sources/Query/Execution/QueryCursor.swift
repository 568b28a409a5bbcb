// QueryCursor: the engine's streaming cursor — a find, or an aggregation whose stages work
// document by document, producing its results a batch at a time from a live executor over
// one storage snapshot held for the cursor's life. Each batch resumes the scan where the last
// stopped (its last record or index key), never re-running the query; a blocking sort sorts
// once (in memory, or spilled) and is read on. An explicit state machine (open, exhausted,
// closed) behind a mutex; closing or dropping it releases the snapshot and any spill file.
// Also the process-wide count of open cursors.

public import BSON
public import Documents
internal import Synchronization

/// Results read from the engine a batch at a time.
///
/// Made by ``QueryCollection/openCursor(_:)`` (a find) or
/// ``QueryCollection/openCursor(pipeline:options:)`` (an aggregation). Every batch sees the
/// store as it was when the cursor opened, whatever is written meanwhile. Batches may be
/// asked for from any thread, one at a time or not (they are serialised).
public final class QueryCursor: Sendable {
    /// Where the cursor is in its life.
    public enum Phase: Sendable, Equatable {
        /// Batches may still come.
        case open
        /// Every result was returned.
        case exhausted
        /// Closed before the end (by its owner, or by an error).
        case closed
    }

    private enum State {
        case open(CursorSource)
        case exhausted
        case closed

        var phase: Phase {
            switch self {
            case .open: .open
            case .exhausted: .exhausted
            case .closed: .closed
            }
        }
    }

    /// The most bytes of documents one batch holds by default (MongoDB's 16 MiB reply cap).
    public static let defaultMaxBatchBytes = 16 * 1024 * 1024

    private static let openCount = Atomic<Int>(0)

    /// How many engine cursors are open in this process (tests; serverStatus).
    public static var openCursors: Int { openCount.load(ordering: .relaxed) }

    private let state: Mutex<State>

    init(_ source: sending CursorSource) {
        state = Mutex(.open(source))
        Self.openCount.add(1, ordering: .relaxed)
    }

    /// A cursor handing out `documents`, computed whole elsewhere (listings), in batches.
    public static func over(_ documents: [BSONDocument]) -> QueryCursor {
        QueryCursor(.documents(documents, position: 0))
    }

    deinit {
        // Dropped while open: its snapshot and spill files go with the state.
        if state.withLock({ $0.phase == .open }) { Self.openCount.subtract(1, ordering: .relaxed) }
    }

    /// Where the cursor is now.
    public var phase: Phase {
        state.withLock { $0.phase }
    }

    /// Whether batches may still come.
    public var isOpen: Bool { phase == .open }

    /// The next batch: at most `maxCount` documents (at least 1) and, beyond the first
    /// document, at most `maxBytes` of BSON. Empty once the cursor is exhausted or closed;
    /// the batch that returns the last results leaves the cursor exhausted (check
    /// ``isOpen``). `interrupt` is polled through the work (maxTimeMS, killOp).
    ///
    /// - Throws: the engine's errors (`MaxTimeMSExpired` 50, `Interrupted` 11601,
    ///   `QueryExceededMemoryLimitNoDiskUseAllowed` 292, ...); the cursor is then closed.
    public func nextBatch(
        maxCount: Int, maxBytes: Int = QueryCursor.defaultMaxBatchBytes, interrupt: OperationInterrupt = .none
    ) throws(MongoError) -> [BSONDocument] {
        let batch: [BSONDocument]
        let ended: Bool
        do {
            (batch, ended) = try state.withLock { (state) throws(MongoError) -> ([BSONDocument], Bool) in
                guard case .open(var source) = state else { return ([], false) }
                state = .closed  // until the batch is taken: an error leaves the cursor closed
                var builder = BatchBuilder(maxCount: max(1, maxCount), maxBytes: maxBytes)
                try source.fill(&builder, interrupt: interrupt)
                if source.isDone {
                    state = .exhausted
                    return (builder.documents, true)
                }
                state = .open(source)
                return (builder.documents, false)
            }
        } catch {
            Self.openCount.subtract(1, ordering: .relaxed)
            throw error
        }
        if ended { Self.openCount.subtract(1, ordering: .relaxed) }
        return batch
    }

    /// Closes the cursor, releasing its snapshot and spill files; later batches are empty.
    /// Harmless when repeated or after the cursor was exhausted.
    public func close() {
        let wasOpen = state.withLock { state in
            guard case .open = state else { return false }
            state = .closed
            return true
        }
        if wasOpen { Self.openCount.subtract(1, ordering: .relaxed) }
    }
}

/// A batch being built under its count and byte limits.
struct BatchBuilder {
    let maxCount: Int
    let maxBytes: Int
    private(set) var documents: [BSONDocument] = []
    private var bytes = 0

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = maxCount
        self.maxBytes = maxBytes
    }

    /// Whether no more documents go in.
    var isFull: Bool { documents.count >= maxCount }

    /// Adds `document` when it fits (the first always does); returns whether it did.
    mutating func add(_ document: BSONDocument) -> Bool {
        guard !isFull else { return false }
        let size = BSONSize.of(document)
        if !documents.isEmpty && bytes + size > maxBytes { return false }
        bytes += size
        documents.append(document)
        return true
    }
}

/// Where a cursor's documents come from.
enum CursorSource {
    /// A find: matches, projected.
    case find(FindStream)
    /// An aggregation whose stages work document by document, fed from a find stream.
    case pipeline(PipelineStream)
    /// Results computed whole (pipelines that cannot stream), handed out from `position`.
    case documents([BSONDocument], position: Int)

    var isDone: Bool {
        switch self {
        case let .find(stream): stream.isDone
        case let .pipeline(stream): stream.isDone
        case let .documents(documents, position): position >= documents.count
        }
    }

    mutating func fill(_ builder: inout BatchBuilder, interrupt: OperationInterrupt) throws(MongoError) {
        switch self {
        case var .find(stream):
            self = .documents([], position: 0)
            defer { self = .find(stream) }
            try stream.fill(&builder, interrupt: interrupt)
        case var .pipeline(stream):
            self = .documents([], position: 0)
            defer { self = .pipeline(stream) }
            try stream.fill(&builder, interrupt: interrupt)
        case .documents(let documents, var position):
            while position < documents.count, builder.add(documents[position]) { position += 1 }
            self = .documents(documents, position: position)
        }
    }
}

/// A find's results: the plan's matches, projected, with the one that did not fit the last
/// batch kept for the next.
struct FindStream {
    private var matches: any MatchStream
    private let projection: Projection?
    private var pending: BSONDocument?

    init(matches: any MatchStream, projection: Projection?) {
        self.matches = matches
        self.projection = projection
    }

    var isDone: Bool { pending == nil && matches.isDone }

    mutating func fill(_ builder: inout BatchBuilder, interrupt: OperationInterrupt) throws(MongoError) {
        if let document = pending {
            guard builder.add(document) else { return }
            pending = nil
        }
        guard !builder.isFull else { return }
        let projection = self.projection
        var overflow: BSONDocument?
        try matches.run(interrupt: interrupt) { (match) throws(MongoError) -> Bool in
            let document = try projection.map { (projection) throws(MongoError) -> BSONDocument in
                try projection.apply(to: match.document, positionalIndex: match.positionalIndex)
            } ?? match.document
            // One match past a full batch is read ahead (kept for the next batch), so the
            // batch that returns the last match also knows it was the last.
            guard builder.add(document) else {
                overflow = document
                return false
            }
            return true
        }
        pending = overflow
    }
}

/// An aggregation's streaming stages, fed from the source collection's matches: one chain of
/// stage sinks for the cursor's life ($skip and $limit keep their counts across batches).
struct PipelineStream {
    private var source: any MatchStream
    private let chain: DocumentSink
    private let output: DrainingSink
    /// Whether the chain wants no more input (a `$limit` was reached) or was finished.
    private var inputEnded = false

    init(source: any MatchStream, chain: DocumentSink, output: DrainingSink) {
        self.source = source
        self.chain = chain
        self.output = output
    }

    var isDone: Bool { inputEnded && output.isEmpty }

    mutating func fill(_ builder: inout BatchBuilder, interrupt: OperationInterrupt) throws(MongoError) {
        while true {
            while let document = output.first, builder.add(document) { output.removeFirst() }
            if !inputEnded && source.isDone {
                try chain.finish()
                inputEnded = true
                continue
            }
            guard !inputEnded, !builder.isFull, output.isEmpty else { return }
            let chain = self.chain
            let output = self.output
            // One result past the batch is produced ahead, so the last batch knows it is last.
            let wanted = builder.maxCount - builder.documents.count
            var stopped = false
            try source.run(interrupt: interrupt) { (match) throws(MongoError) -> Bool in
                guard try chain.push(match.document) else {
                    stopped = true
                    return false
                }
                return output.count <= wanted
            }
            if stopped {
                try chain.finish()
                inputEnded = true
            }
        }
    }
}

/// The end of a streaming pipeline: holds what the stages produced until a batch takes it.
final class DrainingSink: DocumentSink {
    private var documents: [BSONDocument] = []
    private var start = 0

    var isEmpty: Bool { start >= documents.count }
    var count: Int { documents.count - start }
    var first: BSONDocument? { isEmpty ? nil : documents[start] }

    func removeFirst() {
        start += 1
        if start >= documents.count {
            documents.removeAll(keepingCapacity: true)
            start = 0
        }
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        documents.append(document)
        return true
    }
}
