// text-search: full-text search over short posts (issue 20). Each post's body is 8–16 words
// drawn uniformly from a 10,000-word made-up vocabulary (four consonant-vowel syllables, so
// every word is one term after stemming on both sides); a search asks for any of two random
// words and returns the 20 best-scored posts.
//
// MongoDB: index {body: "text"}; find {$text: {$search: "w1 w2"}} with projection and sort
// {score: {$meta: "textScore"}}, limit 20 (TEXT_OR over the two terms, then a top-20 sort).
// PostgreSQL: GIN index ON posts USING GIN (to_tsvector('english', doc->>'body')); WHERE
// to_tsvector(...) @@ to_tsquery('english', 'w1 | w2') ORDER BY ts_rank(...) DESC LIMIT 20.

public import BenchSupport
import BSON

/// Ranked text search over short posts.
public struct TextSearchWorkload: Workload {
    /// `text-search`.
    public static let workloadName = "text-search"
    /// `text-search`.
    public var name: String { Self.workloadName }
    /// Reads only.
    public let durability = Durability.acknowledged
    /// The number of posts.
    public let records: Int
    /// One kind: the search.
    public let operationNames = ["search"]

    static let collection = "posts"
    static let syllables = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze"]
    static let vocabulary = 10_000
    static let resultLimit: Int32 = 20

    /// The search over `records` posts.
    public init(records: Int = 200_000) {
        self.records = records
    }

    /// Word `index` of the vocabulary: its four decimal digits as syllables.
    static func word(_ index: Int) -> String {
        var digits = index
        var word = ""
        for _ in 0..<4 {
            word += syllables[digits % 10]
            digits /= 10
        }
        return word
    }

    /// Post `index`: 8–16 uniformly drawn words.
    static func post(_ index: Int, random: inout SeededGenerator) -> BSONDocument {
        let count = Int.random(in: 8...16, using: &random)
        let body = (0..<count).map { _ in word(Int.random(in: 0..<vocabulary, using: &random)) }.joined(separator: " ")
        return ["_id": .int64(Int64(index)), "body": .string(body)]
    }

    /// Loads the posts and builds the text index (GIN over the tsvector on PostgreSQL).
    public func prepare(_ session: BenchSession) throws(BenchError) {
        if try DataSet.isLoaded(session, name: Self.collection, records: records) { return }
        try DataSet.recreate(session, Self.collection)
        var random = SeededGenerator(seed: 0x7E_57)
        try DataSet.load(session, Self.collection, count: records) { Self.post($0, random: &random) }
        try DataSet.createIndex(session, Self.collection, key: ["body": "text"], name: "body_text",
                                sql: "CREATE INDEX posts_body_fts ON posts USING GIN (to_tsvector('english', doc->>'body'))")
        try DataSet.markLoaded(session, name: Self.collection, records: records)
    }

    /// One search for either of two random words, best 20 first.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let first = Self.word(Int.random(in: 0..<Self.vocabulary, using: &random))
        let second = Self.word(Int.random(in: 0..<Self.vocabulary, using: &random))
        switch session {
        case let .document(db):
            let score: BSONDocument = ["$meta": "textScore"]
            _ = try db.command([
                "find": .string(Self.collection),
                "filter": ["$text": ["$search": .string("\(first) \(second)")]],
                "projection": ["score": .document(score)], "sort": ["score": .document(score)],
                "limit": .int32(Self.resultLimit), "singleBatch": true,
            ], database: DataSet.database)
        case let .sql(sql):
            _ = try sql.execute("""
                SELECT doc::text FROM posts WHERE to_tsvector('english', doc->>'body') @@ to_tsquery('english', $1) \
                ORDER BY ts_rank(to_tsvector('english', doc->>'body'), to_tsquery('english', $1)) DESC LIMIT \(Self.resultLimit)
                """, [.text("\(first) | \(second)")])
        }
        return 0
    }
}
