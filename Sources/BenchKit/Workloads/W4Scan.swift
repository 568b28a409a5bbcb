// w4-scan: W4's fruit count — `count({apples: {$gt: 10000}})` over fruit documents of two
// shapes (half have `kiwis`), no index: every operation reads every document, so this is
// the compiled matcher over shape-encoded records against jsonb field extraction.
//
// MongoDB: count {query: {apples: {$gt: 10000}}}.
// PostgreSQL: SELECT count(*) FROM fruit WHERE (doc->>'apples')::int > 10000 (PostgreSQL
// may use its parallel workers, as configured by default). Dates are epoch milliseconds.

public import BenchSupport
import BSON

/// The fruit count.
public struct W4ScanWorkload: Workload {
    /// `w4-scan`.
    public let name = "w4-scan"
    /// Reads only.
    public let durability = Durability.acknowledged
    /// The number of fruit documents.
    public let records: Int
    /// One kind: the count.
    public let operationNames = ["count"]
    /// Every operation examines every document.
    public var documentsPerOperation: Int { records }

    static let collection = "fruit"

    /// The count over `records` documents.
    public init(records: Int = 500_000) {
        self.records = records
    }

    /// Loads the fruit.
    public func prepare(_ session: BenchSession) throws(BenchError) {
        if try DataSet.isLoaded(session, name: Self.collection, records: records) { return }
        try DataSet.recreate(session, Self.collection)
        var random = SeededGenerator(seed: 0x57_34)
        let sql: Bool
        if case .sql = session { sql = true } else { sql = false }
        let yearStart: Int64 = 1_767_225_600_000
        try DataSet.load(session, Self.collection, count: records) { index in
            var document: BSONDocument = ["_id": .int32(Int32(index))]
            let date = yearStart + Int64.random(in: 0..<(365 * 86_400_000), using: &random)
            document.append("date", sql ? .int64(date) : .datetime(BSONDateTime(millisecondsSinceEpoch: date)))
            document.append("apples", .int32(Int32.random(in: 0...100_000, using: &random)))
            document.append("oranges", .int32(Int32.random(in: 0...100_000, using: &random)))
            document.append("bananas", .int32(Int32.random(in: 0...100_000, using: &random)))
            if index % 2 == 1 { document.append("kiwis", .int32(Int32.random(in: 0...100_000, using: &random))) }
            return document
        }
        try DataSet.markLoaded(session, name: Self.collection, records: records)
    }

    /// One count; fails when the count is implausible (about 90 % of the documents match).
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let count: Int64?
        switch session {
        case let .document(db):
            let reply = try db.command(["count": .string(Self.collection), "query": ["apples": ["$gt": 10_000]]],
                                       database: DataSet.database)
            count = reply["n"]?.int64Value
        case let .sql(sql):
            let rows = try sql.execute("SELECT count(*)::text FROM fruit WHERE (doc->>'apples')::int > 10000")
            count = rows.first?.first.flatMap { $0 }.flatMap { Int64($0) }
        }
        guard let count, count > Int64(records) * 8 / 10 else {
            throw BenchError("w4-scan: count returned \(count.map { String($0) } ?? "nothing") of \(records)")
        }
        return 0
    }
}
