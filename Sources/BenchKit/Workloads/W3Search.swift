// w3-search: W3's public-match search. Matches span 30 days either side of "now"; 30 % are
// public. `w3-search-indexed` lets the planner use the partial index holding only public,
// future matches; `w3-search-scan` runs the same queries over the whole collection.
//
// MongoDB: index {club: 1, gender: 1, level: 1, date: 1} with partialFilterExpression
// {public: true, date: {$gte: now}}; find {public: true, club, gender, level: {$gte, $lte},
// date: {$gte: t}}; the scan variant adds hint {$natural: 1}.
// PostgreSQL: partial expression index ON matches ((doc->>'club'), (doc->>'gender'),
// ((doc->>'level')::int), ((doc->>'date')::bigint)) WHERE (doc->>'public')::boolean AND
// (doc->>'date')::bigint >= now; the same predicates in SQL (postgres-nio's unnamed
// statements get custom plans, so the planner proves the partial predicate from the bound
// parameter, as Tessera's planner does from the query). The scan variant sets
// enable_indexscan, enable_bitmapscan and enable_indexonlyscan off in its session. Dates
// are epoch milliseconds in jsonb (BSON dates in Tessera).

public import BenchSupport
import BSON

/// The match search, with or without its partial index.
public struct W3SearchWorkload: Workload {
    /// `w3-search-indexed` or `w3-search-scan`.
    public var name: String { indexed ? "w3-search-indexed" : "w3-search-scan" }
    /// Reads only.
    public let durability = Durability.acknowledged
    /// The number of matches.
    public let records: Int
    /// One kind: the search.
    public let operationNames = ["search"]
    /// Whether the planner may use the partial index.
    public let indexed: Bool

    static let collection = "matches"
    static let clubs = 1_000
    static let genders = W3Matches.genders
    static let now = W3Matches.now
    static let day = W3Matches.day

    /// The search over `records` matches.
    public init(records: Int = 200_000, indexed: Bool) {
        self.records = records
        self.indexed = indexed
    }

    /// Loads the matches and builds the partial index (shared by both variants).
    public func prepare(_ session: BenchSession) throws(BenchError) {
        if try DataSet.isLoaded(session, name: Self.collection, records: records) { return }
        try DataSet.recreate(session, Self.collection)
        var random = SeededGenerator(seed: 0x57_33)
        let sql: Bool
        if case .sql = session { sql = true } else { sql = false }
        try DataSet.load(session, Self.collection, count: records) { W3Matches.match($0, clubs: Self.clubs, dateAsMilliseconds: sql, random: &random) }
        switch session {
        case let .document(db):
            _ = try db.command([
                "createIndexes": .string(Self.collection),
                "indexes": [[
                    "key": ["club": 1, "gender": 1, "level": 1, "date": 1], "name": "public_future",
                    "partialFilterExpression": [
                        "public": true, "date": ["$gte": .datetime(BSONDateTime(millisecondsSinceEpoch: Self.now))],
                    ],
                ]],
            ], database: DataSet.database)
        case let .sql(sql):
            try sql.execute("""
                CREATE INDEX matches_public_future ON matches ((doc->>'club'), (doc->>'gender'), ((doc->>'level')::int), \
                ((doc->>'date')::bigint)) WHERE (doc->>'public')::boolean AND (doc->>'date')::bigint >= \(Self.now)
                """)
            try sql.execute("ANALYZE matches")
        }
        try DataSet.markLoaded(session, name: Self.collection, records: records)
    }

    /// The scan variant turns PostgreSQL's index paths off for its sessions.
    public func begin(_ session: BenchSession) throws(BenchError) {
        guard case let .sql(sql) = session, !indexed else { return }
        try sql.execute("SET enable_indexscan = off")
        try sql.execute("SET enable_bitmapscan = off")
        try sql.execute("SET enable_indexonlyscan = off")
    }

    /// One search.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let level = Int32.random(in: 1...8, using: &random)
        let club = "club-\(Int.random(in: 0..<Self.clubs, using: &random))"
        let gender = Self.genders[Int.random(in: 0..<3, using: &random)]
        let from = Self.now + Int64.random(in: 0..<Self.day, using: &random)
        switch session {
        case let .document(db):
            var find: BSONDocument = [
                "find": .string(Self.collection),
                "filter": [
                    "public": true, "club": .string(club), "gender": .string(gender),
                    "level": ["$gte": .int32(level), "$lte": .int32(level + 2)],
                    "date": ["$gte": .datetime(BSONDateTime(millisecondsSinceEpoch: from))],
                ],
                "batchSize": 1_000, "singleBatch": true,
            ]
            if !indexed { find.append("hint", ["$natural": 1]) }
            _ = try db.command(find, database: DataSet.database)
        case let .sql(sql):
            _ = try sql.execute("""
                SELECT doc::text FROM matches WHERE (doc->>'public')::boolean AND doc->>'club' = $1 AND doc->>'gender' = $2 \
                AND (doc->>'level')::int BETWEEN $3 AND $4 AND (doc->>'date')::bigint >= $5
                """, [.text(club), .text(gender), .int(Int64(level)), .int(Int64(level + 2)), .int(from)])
        }
        return 0
    }
}
