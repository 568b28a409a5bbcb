// EngineReader: the one place the embedding API's cursors read the engine, a batch at a time.
//
// Each reader wraps one of the engine's streaming cursors (Query's QueryCursor): a find, or an
// aggregation whose stages stream, reads from one storage snapshot taken when the cursor is
// made, every batch resuming where the last stopped — so a cursor over a million documents
// holds one batch, and concurrent writes neither shift nor repeat what later batches see.
// Pipelines that cannot stream run whole inside the engine cursor and are handed out in
// batches; listings (indexes, collections) are handed out the same way. The reader also
// registers with its client, which closes it on `close()`.

import Query

/// One cursor's reads of the engine: batches until exhausted, then nothing.
final class EngineReader: EngineRead {
    private let cursor: QueryCursor
    private weak let client: TesseraClient?

    private init(_ cursor: QueryCursor, client: TesseraClient) throws(TesseraError) {
        self.cursor = cursor
        self.client = client
        do {
            try client.readOpened(self)
        } catch {
            cursor.close()
            throw error
        }
    }

    deinit {
        cursor.close()
        client?.readClosed(self)
    }

    /// A reader of `query` on `collection`, streaming from a snapshot taken now.
    static func find(_ query: FindQuery, on collection: QueryCollection, client: TesseraClient) throws(TesseraError) -> EngineReader {
        let cursor: QueryCursor
        do throws(MongoError) {
            cursor = try collection.openCursor(query)
        } catch {
            throw TesseraError(error)
        }
        return try EngineReader(cursor, client: client)
    }

    /// A reader of `pipeline` on `collection`; the engine runs it now when it cannot stream.
    static func aggregate(_ pipeline: [BSONDocument], options: Query.AggregateOptions, on collection: QueryCollection,
                          client: TesseraClient) throws(MongoError) -> EngineReader {
        let cursor = try collection.openCursor(pipeline: pipeline, options: options)
        do throws(TesseraError) {
            return try EngineReader(cursor, client: client)
        } catch {
            throw MongoError(.illegalOperation, error.message)
        }
    }

    /// A reader handing out `documents` (listings computed whole: indexes, collections).
    static func documents(_ documents: [BSONDocument], client: TesseraClient) throws(TesseraError) -> EngineReader {
        try EngineReader(QueryCursor.over(documents), client: client)
    }

    /// Whether batches may still come.
    var isOpen: Bool { cursor.isOpen }

    /// The next batch of at most `maxCount` documents; empty once exhausted. The batch that
    /// returns the last documents closes the reader. Blocks on the engine: call it on an
    /// engine thread.
    func nextBatch(maxCount: Int, interrupt: OperationInterrupt) throws(MongoError) -> [BSONDocument] {
        let batch: [BSONDocument]
        do {
            batch = try cursor.nextBatch(maxCount: maxCount, interrupt: interrupt)
        } catch {
            client?.readClosed(self)
            throw error
        }
        if !cursor.isOpen { client?.readClosed(self) }
        return batch
    }

    /// Releases the read (its snapshot and spill files); later batches are empty. Harmless
    /// when repeated.
    func close() {
        cursor.close()
        client?.readClosed(self)
    }
}
