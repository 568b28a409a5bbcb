// ChangeStream: the AsyncSequence `watch()` returns — MongoSwift's `ChangeStream`. Reads the
// engine's change stream a batch at a time on an engine thread and, when nothing is new, waits
// for the next commit without a thread (the change log's commit notification resumes it), so
// an idle stream costs nothing. Its change-log position is released when it is killed,
// cancelled with its task, closed with its client, or released.

import Query
import Synchronization

/// Changes to a collection, a database or the whole store, as they commit, in commit order.
///
/// ```swift
/// for try await event in try await scores.watch() {
///     print(event.operationType, event.fullDocument?.player ?? "-")
///     saved = event.resumeToken   // continue after it later with ChangeStreamOptions(resumeAfter:)
/// }
/// ```
///
/// Iteration waits for new changes (it ends only after an `invalidate`); cancel the task, or
/// call ``kill()``, to stop. ``tryNext()`` returns what has committed without waiting.
public final class ChangeStream<Event: Sendable>: AsyncSequence, Sendable {
    /// The type of the events.
    public typealias Element = Event
    /// The error iteration throws.
    public typealias Failure = TesseraError

    private let read: StreamRead
    private let client: TesseraClient
    private let batchSize: Int
    private let decode: @Sendable (BSONDocument) throws(TesseraError) -> Event
    private let progress: Mutex<Progress>

    private struct Progress {
        /// Events read but not yet returned.
        var buffered: [BSONDocument] = []
        /// Where a stream resumed now would continue.
        var resumeToken: ResumeToken?
        /// An invalidate was read: nothing follows.
        var finished = false
        /// The token after the buffered batch, which becomes the resume token once its last
        /// event is returned.
        var pendingBatchToken: BSONDocument?
    }

    init(stream: Query.ChangeStream, client: TesseraClient, batchSize: Int,
         decode: @escaping @Sendable (BSONDocument) throws(TesseraError) -> Event) throws(TesseraError) {
        read = StreamRead(stream)
        self.client = client
        self.batchSize = batchSize
        self.decode = decode
        progress = Mutex(Progress())
        try read.register(with: client)
    }

    deinit {
        read.close()
    }

    /// Where a stream opened with `resumeAfter` this token would continue: after the last
    /// event returned, or later when the stream has read past changes it does not report.
    /// Nil before the first read.
    public var resumeToken: ResumeToken? {
        progress.withLock { $0.resumeToken }
    }

    /// Whether events may still come: false after an `invalidate`, ``kill()`` or closing the
    /// client.
    public var isAlive: Bool {
        read.isOpen && !progress.withLock { $0.finished && $0.buffered.isEmpty }
    }

    /// The next event, waiting for one to commit; nil once the stream has ended.
    ///
    /// - Throws: `Interrupted` (11601) when the task is cancelled (the stream is then
    ///   killed), `ChangeStreamHistoryLost` (286) when the change log no longer holds the
    ///   changes after the stream's position, and decoding errors.
    public func next() async throws(TesseraError) -> Event? {
        while true {
            if let event = try await nextReady(waiting: true) { return event }
            if !isAlive { return nil }
        }
    }

    /// The next event if one has committed, without waiting; nil when none has (yet).
    public func tryNext() async throws(TesseraError) -> Event? {
        try await nextReady(waiting: false)
    }

    /// Stops the stream and releases its position in the change log.
    public func kill() {
        read.close()
    }

    /// A buffered event, else one batch read; with `waiting`, an empty read waits for the
    /// next commit and returns nil (the caller reads again).
    private func nextReady(waiting: Bool) async throws(TesseraError) -> Event? {
        if Task.isCancelled {
            kill()
            throw .cancelled
        }
        if let event = takeBuffered() { return try decode(event) }
        guard read.isOpen, !progress.withLock({ $0.finished }) else { return nil }
        let read = read
        let batchSize = batchSize
        let batch: Query.ChangeStream.Batch
        do {
            batch = try await EngineWork.run(client) { (interrupt) throws(MongoError) -> Query.ChangeStream.Batch in
                try read.nextBatch(batchSize: batchSize, interrupt: interrupt)
            }
        } catch {
            kill()
            throw error
        }
        progress.withLock { progress in
            progress.buffered += batch.events
            progress.finished = batch.isFinished
            if batch.events.isEmpty { progress.resumeToken = ResumeToken(batch.postBatchResumeToken) }
            else { progress.pendingBatchToken = batch.postBatchResumeToken }
        }
        if let event = takeBuffered() { return try decode(event) }
        if waiting, !batch.isFinished {
            await read.waitForCommit(engine: try client.engine())
        }
        return nil
    }

    /// The next buffered event; advances the resume token past it.
    private func takeBuffered() -> BSONDocument? {
        progress.withLock { progress in
            guard !progress.buffered.isEmpty else { return nil }
            let event = progress.buffered.removeFirst()
            if progress.buffered.isEmpty, let token = progress.pendingBatchToken {
                progress.resumeToken = ResumeToken(token)
                progress.pendingBatchToken = nil
            } else if let id = event["_id"]?.documentValue {
                progress.resumeToken = ResumeToken(id)
            }
            return event
        }
    }

    /// Iterates the stream.
    public func makeAsyncIterator() -> TesseraAsyncIterator<Event> {
        TesseraAsyncIterator { () async throws(TesseraError) -> Event? in try await self.next() }
    }
}

/// A change stream's hold on the engine: the engine's stream (its change-log position) and
/// the commit wait in progress, both let go by ``close()``.
final class StreamRead: EngineRead {
    private let state: Mutex<State>
    /// The client whose close ends the stream.
    private let client = Mutex<TesseraClient?>(nil)

    private struct State {
        var stream: Query.ChangeStream?
        var waiter: CommitWaiter?
    }

    init(_ stream: Query.ChangeStream) {
        state = Mutex(State(stream: stream))
    }

    deinit {
        close()
    }

    /// Registers with `client` so its close ends the stream.
    func register(with client: TesseraClient) throws(TesseraError) {
        try client.readOpened(self)
        self.client.withLock { $0 = client }
    }

    var isOpen: Bool {
        state.withLock { $0.stream != nil }
    }

    /// One batch, without waiting (blocks on the engine: call on an engine thread); an empty,
    /// unfinished batch once closed.
    func nextBatch(batchSize: Int, interrupt: OperationInterrupt) throws(MongoError) -> Query.ChangeStream.Batch {
        guard let stream = state.withLock({ $0.stream }) else {
            throw MongoError(.interrupted, "the change stream was killed")
        }
        return try stream.nextBatch(batchSize: batchSize, waitUntil: nil) { () throws(MongoError) in try interrupt.check() }
    }

    /// Waits without a thread until a change commits past what the stream has read, the task
    /// is cancelled, or the stream is closed.
    func waitForCommit(engine: QueryEngine) async {
        guard let stream = state.withLock({ $0.stream }),
              let sequence = stream.waitSequence(latest: engine.latestCommitSequence) else { return }
        let waiter = CommitWaiter()
        let installed = state.withLock { (state) -> Bool in
            guard state.stream != nil else { return false }
            state.waiter = waiter
            return true
        }
        guard installed else { return }
        await withTaskCancellationHandler {
            await waiter.wait { () -> CommitWatch? in
                engine.notifyOnCommit(after: sequence) { waiter.wake() }
            }
        } onCancel: {
            waiter.wake()
        }
        if let watch = waiter.watch { engine.cancelCommitNotification(watch) }
        state.withLock { if $0.waiter === waiter { $0.waiter = nil } }
    }

    func close() {
        let waiter = state.withLock { (state) -> CommitWaiter? in
            defer { state = State() }
            return state.waiter
        }
        waiter?.wake()
        client.withLock { $0 }?.readClosed(self)
    }
}

/// One wait for a commit: resumed once, by the commit, a cancellation or a close, whichever
/// comes first.
final class CommitWaiter: Sendable {
    private let state = Mutex(State())

    private struct State {
        var continuation: CheckedContinuation<Void, Never>?
        var woken = false
        var watch: CommitWatch?
    }

    /// The commit notification registered, to cancel after the wait.
    var watch: CommitWatch? {
        state.withLock { $0.watch }
    }

    /// Suspends until ``wake()``; `register` installs the commit notification (nil: a
    /// commit already happened).
    func wait(register: @Sendable () -> CommitWatch?) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { (state) -> Bool in
                if state.woken { return true }
                state.continuation = continuation
                return false
            }
            if resumeNow {
                continuation.resume()
                return
            }
            if let watch = register() {
                state.withLock { $0.watch = watch }
            } else {
                wake()
            }
        }
    }

    /// Resumes the wait (once; later calls do nothing).
    func wake() {
        let continuation = state.withLock { (state) -> CheckedContinuation<Void, Never>? in
            state.woken = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}
