// Bulk inserts in batches of 1,000: the API's `insertMany` (typed, so Codable encoding is
// included, and with the same BSONDocuments) against the in-process `insert` command
// through `TesseraDatabase.runCommand` (the command dispatcher the wire server uses), each
// into a fresh collection of the same client.
import ReportSupport
import Tessera

struct InsertFigures {
    let documentCount: Int
    let batchSize: Int
    /// Documents per second of each path.
    let typedPerSecond: Double
    let bsonPerSecond: Double
    let commandPerSecond: Double

    static func measure(_ data: ScoreDocuments, client: TesseraClient, batchSize: Int = 1_000) async throws -> InsertFigures {
        let database = client.db("bench")
        let clock = ContinuousClock()
        let count = data.scores.count
        let batches = stride(from: 0, to: count, by: batchSize).map { $0..<min($0 + batchSize, count) }

        let commandBatches = batches.map { range in BSONValue.array(data.documents[range].map { .document($0) }) }
        var started = clock.now
        for documents in commandBatches {
            let reply = try await database.runCommand(["insert": "insert_command", "documents": documents])
            guard reply["n"]?.int64Value == Int64(documents.arrayValue?.count ?? -1) else {
                throw ReportFailure(description: "insert command reply \(reply)")
            }
        }
        let commandSeconds = started.duration(to: clock.now).seconds

        let typed = database.collection("insert_typed", withType: Score.self)
        started = clock.now
        for range in batches {
            try await typed.insertMany(Array(data.scores[range]))
        }
        let typedSeconds = started.duration(to: clock.now).seconds

        let documents = database.collection("insert_bson")
        started = clock.now
        for range in batches {
            try await documents.insertMany(Array(data.documents[range]))
        }
        let bsonSeconds = started.duration(to: clock.now).seconds

        return InsertFigures(
            documentCount: count, batchSize: batchSize,
            typedPerSecond: Double(count) / typedSeconds,
            bsonPerSecond: Double(count) / bsonSeconds,
            commandPerSecond: Double(count) / commandSeconds
        )
    }
}
