// The Workload protocol every named workload implements, and DataSet: the shared steps of
// loading a data set once per target (a marker row remembers what was loaded) so a run of
// several workloads over the same records loads them once.

public import BenchSupport
import BSON

/// A named benchmark workload: how to set up its data on a target and what one operation
/// is, written once for MongoDB commands and once for PostgreSQL (the mapping).
public protocol Workload: Sendable {
    /// The workload's name as `tessera bench --workload` takes it.
    var name: String { get }
    /// The durability its writes ask for; a SQL session gets the matching `synchronous_commit`.
    var durability: Durability { get }
    /// The number of records its data set has.
    var records: Int { get }
    /// A fixed number of operations (W1's simulated day), or nil to run for a duration.
    var operations: Int? { get }
    /// The names of its operation kinds; `perform` returns an index into this list.
    var operationNames: [String] { get }
    /// Documents (or rows) one operation writes or reads, for a documents-per-second figure.
    var documentsPerOperation: Int { get }

    /// Creates the collection or table, its indexes and its records, unless the same data
    /// set is already there.
    func prepare(_ session: BenchSession) throws(BenchError)
    /// Sets up one connection before the measured run (session settings).
    func begin(_ session: BenchSession) throws(BenchError)
    /// Runs one operation. `ticket` numbers operations across all connections from 0.
    /// Returns the index of the operation's kind in `operationNames`.
    func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int
    /// The simulated phase (W1's hour) an operation belongs to, for per-phase throughput.
    func phase(of ticket: Int) -> Int?
    /// Ends one connection's measured run; unacknowledged writers wait here until the
    /// server has taken all they sent, and that wait counts in the run's time.
    func end(_ session: BenchSession) throws(BenchError)
}

extension Workload {
    /// Duration-driven by default.
    public var operations: Int? { nil }
    /// One document per operation by default.
    public var documentsPerOperation: Int { 1 }
    /// No phases by default.
    public func phase(of ticket: Int) -> Int? { nil }
    /// A `ping` after unacknowledged writes: the server answers it only after running
    /// every earlier message of the connection.
    public func end(_ session: BenchSession) throws(BenchError) {
        if durability == .unacknowledged, case let .document(db) = session {
            _ = try db.command(["ping": 1], database: DataSet.database)
        }
    }
    /// SQL sessions get the workload's `synchronous_commit`; command sessions need nothing
    /// (each write carries its own `writeConcern`).
    public func begin(_ session: BenchSession) throws(BenchError) {
        if case let .sql(sql) = session {
            try sql.execute("SET synchronous_commit = \(durability.synchronousCommit)")
        }
    }
}

/// The steps workloads share to create and load their data sets.
enum DataSet {
    /// The database every workload uses on Tessera.
    static let database = "bench"

    /// Whether `name` was loaded with `records` records by an earlier run.
    static func isLoaded(_ session: BenchSession, name: String, records: Int) throws(BenchError) -> Bool {
        switch session {
        case let .document(db):
            let reply = try db.command(
                ["find": "bench_meta", "filter": ["_id": .string(name)], "limit": 1, "singleBatch": true],
                database: database)
            let first = reply["cursor"]?.documentValue?["firstBatch"]?.arrayValue?.first?.documentValue
            return first?["records"]?.int64Value == Int64(records)
        case let .sql(sql):
            try sql.execute("CREATE TABLE IF NOT EXISTS bench_meta (name text PRIMARY KEY, records bigint)")
            let rows = try sql.execute("SELECT records::text FROM bench_meta WHERE name = $1", [.text(name)])
            return rows.first?.first.flatMap { $0 }.flatMap { Int64($0) } == Int64(records)
        }
    }

    /// Records that `name` now holds `records` records.
    static func markLoaded(_ session: BenchSession, name: String, records: Int) throws(BenchError) {
        switch session {
        case let .document(db):
            _ = try db.command([
                "update": "bench_meta",
                "updates": [["q": ["_id": .string(name)], "u": ["$set": ["records": .int64(Int64(records))]], "upsert": true]],
            ], database: database)
        case let .sql(sql):
            try sql.execute("CREATE TABLE IF NOT EXISTS bench_meta (name text PRIMARY KEY, records bigint)")
            try sql.execute(
                "INSERT INTO bench_meta (name, records) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET records = EXCLUDED.records",
                [.text(name), .int(Int64(records))])
        }
    }

    /// Drops `collection` (the table of the same name on PostgreSQL, with its marker) and
    /// creates it empty: a table `(id text PRIMARY KEY, doc jsonb)`, the primary key being
    /// MongoDB's `_id` index.
    static func recreate(_ session: BenchSession, _ collection: String) throws(BenchError) {
        switch session {
        case let .document(db):
            do {
                _ = try db.command(["drop": .string(collection)], database: database)
            } catch {
                // Dropping a collection that does not exist is an error on older servers; ignore it.
            }
            _ = try db.command(["create": .string(collection)], database: database)
        case let .sql(sql):
            try sql.execute("DROP TABLE IF EXISTS \(collection)")
            try sql.execute("CREATE TABLE \(collection) (id text PRIMARY KEY, doc jsonb NOT NULL)")
        }
        try markLoaded(session, name: collection, records: -1)
    }

    /// Builds one secondary index: `key` named `name` on Tessera, the `CREATE INDEX`
    /// statement `sql` on PostgreSQL (then ANALYZE).
    static func createIndex(
        _ session: BenchSession, _ collection: String, key: BSONDocument, name: String, sql statement: String
    ) throws(BenchError) {
        switch session {
        case let .document(db):
            _ = try db.command([
                "createIndexes": .string(collection),
                "indexes": [["key": .document(key), "name": .string(name)]],
            ], database: database)
        case let .sql(sql):
            try sql.execute(statement)
            try sql.execute("ANALYZE \(collection)")
        }
    }

    /// Inserts `count` documents made by `make` into `collection`, 1,000 per batch, with
    /// `w: 1` (PostgreSQL: one multi-row INSERT per batch from a JSON array).
    static func load(
        _ session: BenchSession, _ collection: String, count: Int, make: (Int) -> BSONDocument
    ) throws(BenchError) {
        var start = 0
        while start < count {
            let end = min(start + 1_000, count)
            let batch = (start..<end).map(make)
            try insert(session, collection, batch, durability: .acknowledged)
            start = end
        }
        if case let .sql(sql) = session { try sql.execute("ANALYZE \(collection)") }
    }

    /// Inserts `documents` with the given durability: an `insert` command with a document
    /// sequence (`w: 0` sends it without waiting), or on PostgreSQL one INSERT of the JSON
    /// array's elements with `_id` as the key.
    static func insert(
        _ session: BenchSession, _ collection: String, _ documents: [BSONDocument], durability: Durability
    ) throws(BenchError) {
        switch session {
        case let .document(db):
            let body: BSONDocument = [
                "insert": .string(collection), "ordered": true, "writeConcern": .document(durability.writeConcern),
            ]
            if durability == .unacknowledged {
                try db.send(body, database: database, documents: documents)
            } else {
                _ = try db.command(body, database: database, documents: documents)
            }
        case let .sql(sql):
            if documents.count == 1, let document = documents.first {
                try sql.execute("INSERT INTO \(collection) (id, doc) VALUES ($1, $2::jsonb)",
                                [.text(key(of: document)), .text(json(document))])
            } else {
                try sql.execute(
                    "INSERT INTO \(collection) (id, doc) SELECT e->>'_id', e FROM jsonb_array_elements($1::jsonb) AS e",
                    [.text(json(documents))])
            }
        }
    }

    /// The `_id` as PostgreSQL's key column holds it (strings as is, numbers in decimal).
    static func key(of document: BSONDocument) -> String {
        switch document["_id"] {
        case let .string(value)?: value
        case let .objectId(value)?: value.hex
        case let value?: value.int64Value.map { String($0) } ?? value.extendedJSON(.relaxed)
        case nil: ""
        }
    }

    /// A document as PostgreSQL's jsonb input: relaxed Extended JSON, which is plain JSON
    /// for the strings, numbers, booleans and sub-documents the workloads store there.
    static func json(_ document: BSONDocument) -> String {
        document.extendedJSON(.relaxed)
    }

    /// An array of documents as one JSON array.
    static func json(_ documents: [BSONDocument]) -> String {
        var text = "["
        for (index, document) in documents.enumerated() {
            if index > 0 { text += "," }
            text += document.extendedJSON(.relaxed)
        }
        return text + "]"
    }

    /// The number of documents a find/aggregate reply's first batch holds.
    static func batchCount(_ reply: BSONDocument) -> Int {
        reply["cursor"]?.documentValue?["firstBatch"]?.arrayValue?.count ?? 0
    }
}
