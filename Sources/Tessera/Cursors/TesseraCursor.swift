// TesseraCursor: the AsyncSequence find, aggregate and the listings return — MongoSwift's
// `MongoCursor`. Reads the engine a batch at a time through its EngineReader, decodes each
// document as it is handed out, and releases the read when exhausted, killed, cancelled with
// its task, closed with its client, or released.

import Query
import Synchronization

/// The results of a read, as an `AsyncSequence` that reads them from the store a batch at a
/// time (``FindOptions/batchSize``): only one batch is in memory, however many documents
/// match.
///
/// ```swift
/// for try await score in try await scores.find(["game": 1], options: FindOptions(limit: 10, sort: ["score": -1])) {
///     print(score.player, score.score)
/// }
/// ```
///
/// Cancelling the task that iterates stops the read (the next call throws `Interrupted`,
/// 11601) and releases it; so do ``kill()``, the client's ``TesseraClient/close()`` and
/// releasing the cursor. Iterate a cursor from one task at a time.
public final class TesseraCursor<T: Sendable>: AsyncSequence, Sendable {
    /// The type of the results.
    public typealias Element = T
    /// The error iteration throws.
    public typealias Failure = TesseraError

    private let reader: EngineReader
    private let client: TesseraClient
    private let batchSize: Int
    private let deadline: @Sendable () throws(TesseraError) -> ContinuousClock.Instant?
    private let decode: @Sendable (BSONDocument) throws(TesseraError) -> T
    /// The current batch and how far it has been handed out.
    private let buffer = Mutex(Buffer())

    private struct Buffer {
        var documents: [BSONDocument] = []
        var position = 0
    }

    init(reader: EngineReader, client: TesseraClient, batchSize: Int,
         deadline: @escaping @Sendable () throws(TesseraError) -> ContinuousClock.Instant?,
         decode: @escaping @Sendable (BSONDocument) throws(TesseraError) -> T) {
        self.reader = reader
        self.client = client
        self.batchSize = batchSize
        self.deadline = deadline
        self.decode = decode
    }

    deinit {
        reader.close()
    }

    /// Whether more results may come: false once exhausted, killed or its client closed.
    public var isAlive: Bool {
        buffer.withLock { $0.position < $0.documents.count } || reader.isOpen
    }

    /// The next result, reading the next batch from the store when the current one is used
    /// up; nil at the end.
    ///
    /// - Throws: the engine's error; `Interrupted` (11601) when the task is cancelled (the
    ///   cursor is then killed); `TypeMismatch` (14) for a document that does not decode.
    public func next() async throws(TesseraError) -> T? {
        if Task.isCancelled {
            kill()
            throw .cancelled
        }
        if let document = take() { return try decode(document) }
        guard reader.isOpen else { return nil }
        let batch = try await readBatch()
        guard let first = batch.first else { return nil }
        buffer.withLock { buffer in
            buffer.documents = batch
            buffer.position = 1
        }
        return try decode(first)
    }

    /// Reads the first batch (so a bad query fails where the cursor is made).
    func prefetch() async throws(TesseraError) {
        let batch = try await readBatch()
        buffer.withLock { buffer in
            buffer.documents = batch
            buffer.position = 0
        }
    }

    /// The next batch from the engine; on failure the cursor is killed.
    private func readBatch() async throws(TesseraError) -> [BSONDocument] {
        let reader = reader
        let batchSize = batchSize
        do {
            return try await EngineWork.run(client, deadline: try deadline()) { (interrupt) throws(MongoError) -> [BSONDocument] in
                try reader.nextBatch(maxCount: batchSize, interrupt: interrupt)
            }
        } catch {
            kill()
            throw error
        }
    }

    /// Every remaining result, in order (all in memory: for results known to be small).
    public func toArray() async throws(TesseraError) -> [T] {
        var results: [T] = []
        while let result = try await next() { results.append(result) }
        return results
    }

    /// Stops the cursor and releases its read; later calls to ``next()`` return nil.
    public func kill() {
        reader.close()
        buffer.withLock { $0 = Buffer() }
    }

    /// The next document of the current batch, if one is left.
    private func take() -> BSONDocument? {
        buffer.withLock { buffer in
            guard buffer.position < buffer.documents.count else {
                if !buffer.documents.isEmpty { buffer = Buffer() }
                return nil
            }
            defer { buffer.position += 1 }
            return buffer.documents[buffer.position]
        }
    }

    /// Iterates the cursor.
    public func makeAsyncIterator() -> TesseraAsyncIterator<T> {
        TesseraAsyncIterator { () async throws(TesseraError) -> T? in try await self.next() }
    }
}
