// w2-ingest: W2's game events, inserted in batches of 1, 100 or 1,000 with w: 0, w: 1 or
// j: true (nine variants, `w2-ingest-b100-j` and so on). Each variant starts from an empty
// `events` collection with only its `_id` index; `_id`s are ObjectIds made by the client.
//
// MongoDB: insert with the documents as OP_MSG's kind-1 sequence; w: 0 sends with
// `moreToCome` and reads no reply.
// PostgreSQL: INSERT INTO events (id, doc) — one row, or SELECT from jsonb_array_elements
// of one JSON array for a batch (one statement, one round trip, as the insert command).
// w: 0 and w: 1 → synchronous_commit = off; j: true → synchronous_commit = on. PostgreSQL
// has no unacknowledged statements, so its w: 0 still waits for the reply.

public import BenchSupport
import BSON

/// Event ingestion with one batch size and one durability.
public struct W2IngestWorkload: Workload {
    /// `w2-ingest-b<batch>-<w0|w1|j>`.
    public var name: String { "w2-ingest-b\(batch)-\(durability.rawValue)" }
    /// The variant's write concern.
    public let durability: Durability
    /// Events per insert.
    public let batch: Int
    /// The collection starts empty.
    public let records = 0
    /// One kind: the insert.
    public let operationNames = ["insert"]
    /// Events per operation.
    public var documentsPerOperation: Int { batch }

    static let collection = "events"
    static let kinds = ["start", "level_up", "purchase", "score", "end"]

    /// The variant with `batch` events per insert and `durability`.
    public init(batch: Int, durability: Durability) {
        self.batch = batch
        self.durability = durability
    }

    /// Every variant starts with an empty collection.
    public func prepare(_ session: BenchSession) throws(BenchError) {
        try DataSet.recreate(session, Self.collection)
    }

    /// An event: about 200 bytes of BSON. PostgreSQL gets the same fields, the ObjectId as
    /// its hex string and the date as epoch milliseconds.
    static func event(sql: Bool, random: inout SeededGenerator) -> BSONDocument {
        let id = ObjectId()
        let millis: Int64 = 1_795_219_200_000 + Int64.random(in: 0..<86_400_000, using: &random)
        return [
            "_id": sql ? .string(id.hex) : .objectId(id),
            "game": .string("game-\(Int.random(in: 0..<8_000, using: &random))"),
            "player": .string("player-\(Int.random(in: 0..<20_000_000, using: &random))"),
            "type": .string(kinds[Int.random(in: 0..<kinds.count, using: &random)]),
            "at": sql ? .int64(millis) : .datetime(BSONDateTime(millisecondsSinceEpoch: millis)),
            "level": .int32(Int32.random(in: 1...100, using: &random)),
            "score": .int32(Int32.random(in: 0...1_000_000, using: &random)),
            "client": ["platform": "android", "version": "4.2.1", "session": .int64(Int64.random(in: 0..<Int64.max, using: &random))],
        ]
    }

    /// One batch insert.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let sql: Bool
        if case .sql = session { sql = true } else { sql = false }
        var documents: [BSONDocument] = []
        documents.reserveCapacity(batch)
        for _ in 0..<batch { documents.append(Self.event(sql: sql, random: &random)) }
        try DataSet.insert(session, Self.collection, documents, durability: durability)
        return 0
    }
}
