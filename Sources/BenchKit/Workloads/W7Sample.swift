// w7-sample: W7's "give me random items" — 10 random documents from a collection, the
// job an `ORDER BY RAND()` once did at 90 % of a database's load.
//
// MongoDB: aggregate [{$sample: {size: 10}}].
// PostgreSQL: SELECT ... FROM items TABLESAMPLE SYSTEM_ROWS(10) (contrib's tsm_system_rows,
// shipped with the server package): PostgreSQL's fast sampler. It picks random blocks and
// returns their rows, so its rows are less independent than $sample's; ORDER BY random()
// would be uniform but reads the whole table.

public import BenchSupport
import BSON

/// Random samples of 10.
public struct W7SampleWorkload: Workload {
    /// `w7-sample`.
    public let name = "w7-sample"
    /// Reads only.
    public let durability = Durability.acknowledged
    /// The number of items.
    public let records: Int
    /// One kind: the sample.
    public let operationNames = ["sample"]
    /// Ten documents per sample.
    public let documentsPerOperation = 10

    static let collection = "items"

    /// Samples over `records` items.
    public init(records: Int = 100_000) {
        self.records = records
    }

    /// Loads the items.
    public func prepare(_ session: BenchSession) throws(BenchError) {
        if case let .sql(sql) = session { try sql.execute("CREATE EXTENSION IF NOT EXISTS tsm_system_rows") }
        if try DataSet.isLoaded(session, name: Self.collection, records: records) { return }
        try DataSet.recreate(session, Self.collection)
        var random = SeededGenerator(seed: 0x57_37)
        try DataSet.load(session, Self.collection, count: records) { index in
            ["_id": .int32(Int32(index)), "name": .string("item-\(index)"),
             "reviewed": .bool(Bool.random(using: &random)), "weight": .int32(Int32.random(in: 1...1_000, using: &random))]
        }
        try DataSet.markLoaded(session, name: Self.collection, records: records)
    }

    /// One sample of 10.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let returned: Int
        switch session {
        case let .document(db):
            let reply = try db.command([
                "aggregate": .string(Self.collection), "pipeline": [["$sample": ["size": 10]]], "cursor": [:],
            ], database: DataSet.database)
            returned = DataSet.batchCount(reply)
        case let .sql(sql):
            returned = try sql.execute("SELECT doc::text FROM items TABLESAMPLE SYSTEM_ROWS(10)").count
        }
        if returned != 10 { throw BenchError("w7-sample returned \(returned) documents") }
        return 0
    }
}
