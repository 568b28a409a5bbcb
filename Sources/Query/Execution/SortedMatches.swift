// SortedMatches: what a find's blocking sort hands on — its matches in memory, or, when the
// sort outgrew memory with `allowDiskUse`, the spill file the external sort wrote its output
// to, read back one document at a time (skip and limit applied as it is read). A streaming
// cursor holds either between batches; the spill file goes when it is released.

internal import BSON
internal import Documents

/// A blocking sort's output.
enum SortedMatches {
    /// Sorted, skipped and limited, all in memory.
    case inMemory([QueryMatch])
    /// In a spill file, in order; read with ``SpilledMatches/next()``.
    case spilled(SpilledMatches)
}

/// The end of a spilling `$sort` for a find: each sorted document appended to a spill file.
final class SpillingSink: DocumentSink {
    let file: SpillFile

    /// A sink writing to a new spill file under `dataDirectory`.
    init(dataDirectory: String) throws(MongoError) {
        file = try SpillFile(dataDirectory: dataDirectory)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        try file.append(document)
        return true
    }

    override func finish() throws(MongoError) {
        try file.flush()
    }
}

/// A sorted result in a spill file, read in order; the file is removed with this object.
final class SpilledMatches {
    private var reader: SpillReader
    private var remaining: Int

    /// The documents `sink` collected, after skipping `skip` of them, at most `limit`.
    init(_ sink: SpillingSink, skip: Int, limit: Int?) throws(MongoError) {
        reader = SpillReader(sink.file, range: 0..<sink.file.size, chunkSize: 64 * 1024)
        remaining = limit ?? Int.max
        var skipped = 0
        while skipped < skip, try reader.next() != nil { skipped += 1 }
    }

    /// The next match (documents only: no positional `$` index survives the spill); nil at
    /// the end.
    func next() throws(MongoError) -> QueryMatch? {
        guard remaining > 0, let document = try reader.next() else { return nil }
        remaining -= 1
        return QueryMatch(id: document["_id"] ?? .null, document: document, positionalIndex: nil)
    }
}
