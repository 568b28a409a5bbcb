// w1-counters: W1's per-minute metrics. A simulated day of upserts `$inc {daily,
// hourly.HH, minute.HH.MM}` over 100 metric documents, each created by its first upsert;
// the day's minutes advance with the operation count, so per-hour throughput shows whether
// an update's cost grows with the document (the last hour against the first).
//
// MongoDB: update {_id: "20101010/metric-K"} {$inc: {...}} upsert: true, w: 1.
// PostgreSQL: INSERT ... ON CONFLICT (id) DO UPDATE with nested jsonb_set calls (the minute
// map for the hour created when missing), synchronous_commit = off (w: 1's guarantee).

public import BenchSupport
import BSON

/// W1's counters over a simulated day.
public struct W1CountersWorkload: Workload {
    /// `w1-counters`.
    public let name = "w1-counters"
    /// Acknowledged upserts, as W1's users ran them.
    public let durability = Durability.acknowledged
    /// The number of metric documents.
    public let records: Int
    /// Upserts in the simulated day.
    public let operations: Int?
    /// One kind: the upsert.
    public let operationNames = ["upsert"]

    static let collection = "w1_metrics"

    /// A day of `operations` upserts over `metrics` documents.
    public init(metrics: Int = 100, operations: Int = 144_000) {
        records = metrics
        self.operations = operations
    }

    /// Starts the day with no documents.
    public func prepare(_ session: BenchSession) throws(BenchError) {
        try DataSet.recreate(session, Self.collection)
    }

    /// The simulated hour of an operation.
    public func phase(of ticket: Int) -> Int? {
        minute(of: ticket) / 60
    }

    private func minute(of ticket: Int) -> Int {
        min(ticket * 1_440 / max(operations ?? 1, 1), 1_439)
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    /// One upsert at the ticket's minute of the day.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let minuteOfDay = minute(of: ticket)
        let hh = Self.pad(minuteOfDay / 60)
        let mm = Self.pad(minuteOfDay % 60)
        let id = "20101010/metric-\(Int.random(in: 0..<records, using: &random))"
        switch session {
        case let .document(db):
            var increments = BSONDocument()
            increments.append("daily", .int32(1))
            increments.append("hourly.\(hh)", .int32(1))
            increments.append("minute.\(hh).\(mm)", .int32(1))
            let update: BSONDocument = [
                "update": .string(Self.collection),
                "updates": [["q": ["_id": .string(id)], "u": ["$inc": .document(increments)], "upsert": true]],
                "writeConcern": .document(durability.writeConcern),
            ]
            do throws(BenchError) {
                _ = try db.command(update, database: DataSet.database)
            } catch {
                guard error.description.contains("E11000") else { throw error }
                // Two first upserts of one document raced and one lost on the _id index:
                // retry once, as MongoDB's manual tells applications to (the document exists now).
                _ = try db.command(update, database: DataSet.database)
            }
        case let .sql(sql):
            try sql.execute("""
                INSERT INTO w1_metrics AS m (id, doc) VALUES ($1, jsonb_build_object('_id', $1::text, 'daily', 1, \
                'hourly', jsonb_build_object($2::text, 1), 'minute', jsonb_build_object($2::text, jsonb_build_object($3::text, 1)))) \
                ON CONFLICT (id) DO UPDATE SET doc = jsonb_set(jsonb_set(jsonb_set(jsonb_set(m.doc, \
                '{daily}', to_jsonb(COALESCE((m.doc->>'daily')::int, 0) + 1)), \
                ARRAY['hourly', $2::text], to_jsonb(COALESCE((m.doc #>> ARRAY['hourly', $2::text])::int, 0) + 1)), \
                ARRAY['minute', $2::text], COALESCE(m.doc #> ARRAY['minute', $2::text], '{}'::jsonb)), \
                ARRAY['minute', $2::text, $3::text], to_jsonb(COALESCE((m.doc #>> ARRAY['minute', $2::text, $3::text])::int, 0) + 1))
                """, [.text(id), .text(hh), .text(mm)])
        }
        return 0
    }
}
