// ChangeStream: one open change stream — its position in the change log, the events
// converted but not yet returned, and batch building: read entries, turn them into events,
// run the following stages, and wait (on the change log's commit signal, not by polling)
// until a deadline when there is nothing new. The engine's core of change streams: the
// aggregate/getMore commands and the embedding API's `watch()` both read through it.

public import BSON
internal import Documents
internal import Synchronization

/// One open change stream (``QueryEngine/watch(_:)``). Shared by whoever reads it; a mutex
/// serialises concurrent reads of the same stream.
public final class ChangeStream: Sendable {
    /// The most change log entries one read examines (a busy log with nothing in scope
    /// returns an empty batch with an advanced resume token rather than reading on).
    public static let maximumEntriesPerBatch = 10_000
    /// How long a getMore waits for events without `maxAwaitTimeMS` (MongoDB's default).
    public static let defaultAwait: Duration = .seconds(1)

    /// One batch: its events and the resume token after it.
    public struct Batch: Sendable {
        /// The events, as MongoDB's change event documents (`_id` is each one's resume token).
        public let events: [BSONDocument]
        /// Where a stream resumed with this token continues: after the batch's last event,
        /// or after the last change log entry examined when that is newer.
        public let postBatchResumeToken: BSONDocument
        /// The stream ended (after an invalidate): read no further.
        public let isFinished: Bool
    }

    private struct State {
        /// Events converted (and passed through the stages) but not yet returned.
        var buffered: [BSONDocument] = []
        /// The last change log entry examined.
        var position: UInt64
        /// An invalidate was converted: read no further.
        var invalidated = false
        /// The token of the last event returned, while it is the newest position.
        var lastReturned: BSONDocument?
        /// Resuming from a split event's fragment: the fragments up to it are not returned
        /// again (cleared at that event).
        var resumeFragment: ResumeToken?
    }

    /// What the stream watches and how.
    public let spec: ChangeStreamSpec
    private let engine: QueryEngine
    /// The collection the following stages run against (for the database name).
    private let stageCollection: QueryCollection
    private let state: Mutex<State>
    /// After a batch that left nothing to return: the change log sequence it read through.
    /// nil while events wait or the stream has not been read. Lets a getMore tell, without
    /// I/O or the state lock, that it would only wait.
    private let idleThrough = Mutex<UInt64?>(nil)

    /// A stream positioned where `spec` says; checks the history is still there.
    init(spec: ChangeStreamSpec, engine: QueryEngine) throws(MongoError) {
        self.spec = spec
        self.engine = engine
        stageCollection = engine.collection(try Namespace(database: spec.scope.database, collection: "aggregate_1"))
        var initial = State(position: try spec.startingSequence(in: engine.store.changeLog))
        if case let .after(token) = spec.start, token.fragment != nil { initial.resumeFragment = token }
        state = Mutex(initial)
    }

    /// Up to `batchSize` events (101 by default), waiting until `deadline` (nil: not at all)
    /// for the first one when none is ready; `interrupt` is polled between reads.
    ///
    /// - Throws: `ChangeStreamHistoryLost` (286) when entries the stream had not read were
    ///   trimmed, `ChangeStreamFatalError` (280) when a stage changed an event's `_id`,
    ///   `NoMatchingDocument` (47) for a required image that is missing, and what
    ///   `interrupt` throws.
    public func nextBatch(batchSize: Int?, waitUntil deadline: ContinuousClock.Instant?,
                   interrupt: () throws(MongoError) -> Void) throws(MongoError) -> Batch {
        let limit = max(batchSize ?? 101, 0)
        return try state.withLock { (state) throws(MongoError) -> Batch in
            var examined = 0
            while state.buffered.count < limit && !state.invalidated && examined < Self.maximumEntriesPerBatch {
                try interrupt()
                let seen = engine.latestCommitSequence
                let entries = try engine.store.changeLog.entries(after: state.position, limit: 1000)
                if entries.isEmpty {
                    guard state.buffered.isEmpty, let deadline else { break }
                    guard engine.store.changeLog.waitForEntries(after: max(seen, state.position), until: deadline) else { break }
                    continue
                }
                if let first = entries.first, first.sequence > state.position + 1 {
                    throw MongoError(.changeStreamHistoryLost,
                                     "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
                }
                examined += entries.count
                try convert(entries, into: &state)
            }
            let events = Self.prefix(of: state.buffered, count: limit)
            state.buffered.removeFirst(events.count)
            let finished = state.invalidated && state.buffered.isEmpty
            let idle: UInt64? = state.buffered.isEmpty && !state.invalidated ? state.position : nil
            idleThrough.withLock { $0 = idle }
            let token: BSONDocument
            if let last = events.last?["_id"]?.documentValue, !state.buffered.isEmpty || finished {
                token = last
            } else if let last = events.last?["_id"]?.documentValue, (try? ResumeToken(.document(last)))?.sequence == state.position {
                token = last
            } else {
                token = ResumeToken(sequence: state.position).document
            }
            return Batch(events: events, postBatchResumeToken: token, isFinished: finished)
        }
    }

    /// The first events of `buffered`, at most `count`, that fit in one reply (16 MiB, as
    /// mongod fills a batch), and always the first.
    private static func prefix(of buffered: [BSONDocument], count: Int) -> [BSONDocument] {
        var bytes = 0
        var taken: [BSONDocument] = []
        for event in buffered.prefix(count) {
            bytes += BSONSize.of(event)
            if !taken.isEmpty && bytes > ChangeEventSplitter.maximumEventSize { break }
            taken.append(event)
        }
        return taken
    }

    /// The sequence a getMore would wait past when nothing is ready: the stream has no
    /// buffered events and has read the change log through it, which has not moved on since.
    /// nil when a read may find something (or the stream was never read). Cheap: no I/O.
    public func waitSequence(latest: UInt64) -> UInt64? {
        guard let idle = idleThrough.withLock({ $0 }), idle >= latest else { return nil }
        return idle
    }

    /// Converts `entries` into events, runs the following stages on them and buffers the
    /// results; advances the position past every entry (stopping at an invalidate).
    private func convert(_ entries: [ChangeLogEntry], into state: inout State) throws(MongoError) {
        let builder = ChangeEventBuilder(spec: spec, engine: engine)
        var events: [BSONDocument] = []
        for entry in entries {
            let produced = try builder.events(for: entry)
            events += produced
            state.position = entry.sequence
            if produced.last?["operationType"] == "invalidate" {
                state.invalidated = true
                break
            }
        }
        guard !events.isEmpty else { return }
        var output = events
        if !spec.stages.isEmpty {
            let tokens = Set(events.compactMap { $0["_id"] })
            output = try stageCollection.aggregate(spec.stages, over: events)
            for event in output {
                guard let id = event["_id"], tokens.contains(id) else {
                    throw MongoError(.changeStreamFatalError,
                                     "Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.")
                }
            }
        }
        state.buffered += spec.splitsLargeEvents ? try split(output, state: &state) : output
    }

    /// `$changeStreamSplitLargeEvent`: `events` with each one over 16 MiB replaced by its
    /// fragments, less those up to the fragment the stream resumed from.
    ///
    /// - Throws: `ChangeStreamFatalError` (280) when the event resumed from is no longer
    ///   split, or split into fewer fragments; the splitter's errors.
    private func split(_ events: [BSONDocument], state: inout State) throws(MongoError) -> [BSONDocument] {
        var result: [BSONDocument] = []
        for event in events {
            var fragments = try ChangeEventSplitter.split(event)
            if let resume = state.resumeFragment, let skip = resume.fragment,
               let id = event["_id"], try ResumeToken(id).sequence == resume.sequence {
                state.resumeFragment = nil
                guard fragments.count > 1 else {
                    throw MongoError(.changeStreamFatalError,
                                     "Attempted to resume from a split event fragment, but the event in the resumed stream was not large enough to be split")
                }
                guard skip < fragments.count else {
                    throw MongoError(.changeStreamFatalError,
                                     "Attempted to resume from a split event, but the resumed stream produced a different split. Ensure that the pipeline used to resume is the same as the original")
                }
                fragments.removeFirst(skip + 1)
            }
            result += fragments
        }
        return result
    }
}
