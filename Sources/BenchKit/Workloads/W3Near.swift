// w3-near: W3's search by location — the 50 public, future matches nearest a player within
// 20 km, in a level range, over W3's matches (Lisbon area, 30 days either side of "now").
//
// MongoDB: index {location: "2dsphere", level: 1, date: 1} with partialFilterExpression
// {public: true, date: {$gte: now}}; find {location: {$near: {$geometry: player,
// $maxDistance: 20000}}, public: true, level: {$gte, $lte}, date: {$gte: t}} limit 50 —
// nearest first, read in growing rings of the index.
// PostgreSQL: contrib's cube + earthdistance; a partial GiST index on
// ll_to_earth(lat, lng) WHERE public AND date >= now; the same predicates with
// earth_box(player, 20000) @> point AND earth_distance(...) <= 20000, ORDER BY the cube
// distance (<->, a nearest-neighbour scan of the GiST index) LIMIT 50.

public import BenchSupport
import BSON

/// The location search.
public struct W3NearWorkload: Workload {
    /// `w3-near`.
    public let name = "w3-near"
    /// Reads only.
    public let durability = Durability.acknowledged
    /// The number of matches.
    public let records: Int
    /// One kind: the search.
    public let operationNames = ["near"]
    /// Up to 50 matches per search.
    public let documentsPerOperation = 50

    static let collection = "matches_geo"
    static let clubs = 1_000
    static let radiusMeters = 20_000.0

    /// The search over `records` matches.
    public init(records: Int = 1_000_000) {
        self.records = records
    }

    /// Loads the matches and builds the partial geo index.
    public func prepare(_ session: BenchSession) throws(BenchError) {
        if case let .sql(sql) = session {
            try sql.execute("CREATE EXTENSION IF NOT EXISTS cube")
            try sql.execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
        }
        if try DataSet.isLoaded(session, name: Self.collection, records: records) { return }
        try DataSet.recreate(session, Self.collection)
        var random = SeededGenerator(seed: 0x57_33)
        let sql: Bool
        if case .sql = session { sql = true } else { sql = false }
        try DataSet.load(session, Self.collection, count: records) {
            W3Matches.match($0, clubs: Self.clubs, dateAsMilliseconds: sql, random: &random)
        }
        switch session {
        case let .document(db):
            _ = try db.command([
                "createIndexes": .string(Self.collection),
                "indexes": [[
                    "key": ["location": "2dsphere", "level": 1, "date": 1], "name": "near_public_future",
                    "partialFilterExpression": [
                        "public": true, "date": ["$gte": .datetime(BSONDateTime(millisecondsSinceEpoch: W3Matches.now))],
                    ],
                ]],
            ], database: DataSet.database)
        case let .sql(sql):
            try sql.execute("""
                CREATE INDEX matches_geo_near ON \(Self.collection) USING gist (\(Self.earthPoint)) \
                WHERE (doc->>'public')::boolean AND (doc->>'date')::bigint >= \(W3Matches.now)
                """)
            try sql.execute("ANALYZE \(Self.collection)")
        }
        try DataSet.markLoaded(session, name: Self.collection, records: records)
    }

    /// A match's location as earthdistance's point.
    static let earthPoint = "ll_to_earth((doc->'location'->'coordinates'->>1)::float8, (doc->'location'->'coordinates'->>0)::float8)"

    /// One search from a random player in the area.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let lng = Double.random(in: -9.3 ... -8.9, using: &random)
        let lat = Double.random(in: 38.6...38.9, using: &random)
        let level = Int32.random(in: 1...8, using: &random)
        let from = W3Matches.now + Int64.random(in: 0..<W3Matches.day, using: &random)
        switch session {
        case let .document(db):
            _ = try db.command([
                "find": .string(Self.collection),
                "filter": [
                    "location": ["$near": [
                        "$geometry": ["type": "Point", "coordinates": [.double(lng), .double(lat)]],
                        "$maxDistance": .double(Self.radiusMeters),
                    ]],
                    "public": true, "level": ["$gte": .int32(level), "$lte": .int32(level + 2)],
                    "date": ["$gte": .datetime(BSONDateTime(millisecondsSinceEpoch: from))],
                ],
                "limit": 50, "batchSize": 50, "singleBatch": true,
            ], database: DataSet.database)
        case let .sql(sql):
            _ = try sql.execute("""
                SELECT doc::text FROM \(Self.collection) WHERE (doc->>'public')::boolean \
                AND (doc->>'date')::bigint >= \(W3Matches.now) AND (doc->>'date')::bigint >= $3 \
                AND (doc->>'level')::int BETWEEN $4 AND $5 \
                AND earth_box(ll_to_earth($1, $2), \(Self.radiusMeters)) @> \(Self.earthPoint) \
                AND earth_distance(ll_to_earth($1, $2), \(Self.earthPoint)) <= \(Self.radiusMeters) \
                ORDER BY \(Self.earthPoint) <-> ll_to_earth($1, $2) LIMIT 50
                """, [.double(lat), .double(lng), .int(from), .int(Int64(level)), .int(Int64(level + 2))])
        }
        return 0
    }
}
