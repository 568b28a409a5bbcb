// w2-leaderboard: W2's (and W7's) leaderboard. 100 games × 1,000 players; half the
// operations add to a player's score, half read a game's top 10, both served by indexes.
//
// MongoDB: index {game: 1, score: -1}; update {_id} {$inc: {score: n}} (w: 1); find
// {game} sort {score: -1} limit 10.
// PostgreSQL: expression index ON scores (((doc->>'game')::int), ((doc->>'score')::int)
// DESC); UPDATE ... SET doc = jsonb_set(doc, '{score}', old + n) WHERE id = $1
// (synchronous_commit = off); SELECT ... WHERE (doc->>'game')::int = $1 ORDER BY
// (doc->>'score')::int DESC LIMIT 10.

public import BenchSupport
import BSON

/// Score increments and top-10 reads.
public struct W2LeaderboardWorkload: Workload {
    /// `w2-leaderboard`.
    public let name = "w2-leaderboard"
    /// Acknowledged increments.
    public let durability = Durability.acknowledged
    /// Games × players.
    public var records: Int { games * playersPerGame }
    /// increment, top10.
    public let operationNames = ["increment", "top10"]
    /// The number of games.
    public let games: Int
    /// Players per game.
    public let playersPerGame: Int

    static let collection = "scores"

    /// A leaderboard of `records` players over 100 games (at least 10 per game).
    public init(records: Int = 100_000) {
        games = 100
        playersPerGame = max(records / 100, 10)
    }

    /// Loads every player at score 0 and builds the index.
    public func prepare(_ session: BenchSession) throws(BenchError) {
        if try DataSet.isLoaded(session, name: Self.collection, records: records) { return }
        try DataSet.recreate(session, Self.collection)
        let perGame = playersPerGame
        try DataSet.load(session, Self.collection, count: records) { index in
            let game = index / perGame
            return ["_id": .string("g\(game)/p\(index % perGame)"), "game": .int32(Int32(game)),
                    "player": .int32(Int32(index % perGame)), "score": .int32(0)]
        }
        try DataSet.createIndex(session, Self.collection, key: ["game": 1, "score": -1], name: "game_score",
                                sql: "CREATE INDEX scores_game_score ON scores (((doc->>'game')::int), ((doc->>'score')::int) DESC)")
        try DataSet.markLoaded(session, name: Self.collection, records: records)
    }

    /// An increment or a top-10 read, half each.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let game = Int.random(in: 0..<games, using: &random)
        if Bool.random(using: &random) {
            let id = "g\(game)/p\(Int.random(in: 0..<playersPerGame, using: &random))"
            let points = Int32.random(in: 1...100, using: &random)
            switch session {
            case let .document(db):
                _ = try db.command([
                    "update": .string(Self.collection),
                    "updates": [["q": ["_id": .string(id)], "u": ["$inc": ["score": .int32(points)]]]],
                    "writeConcern": .document(durability.writeConcern),
                ], database: DataSet.database)
            case let .sql(sql):
                try sql.execute("UPDATE scores SET doc = jsonb_set(doc, '{score}', to_jsonb((doc->>'score')::int + $2)) WHERE id = $1",
                                [.text(id), .int(Int64(points))])
            }
            return 0
        }
        let returned: Int
        switch session {
        case let .document(db):
            let reply = try db.command([
                "find": .string(Self.collection), "filter": ["game": .int32(Int32(game))], "sort": ["score": -1],
                "limit": 10, "singleBatch": true,
            ], database: DataSet.database)
            returned = DataSet.batchCount(reply)
        case let .sql(sql):
            returned = try sql.execute(
                "SELECT doc::text FROM scores WHERE (doc->>'game')::int = $1 ORDER BY (doc->>'score')::int DESC LIMIT 10",
                [.int(Int64(game))]).count
        }
        if returned != 10 { throw BenchError("w2-leaderboard: top 10 of game \(game) returned \(returned)") }
        return 1
    }
}
