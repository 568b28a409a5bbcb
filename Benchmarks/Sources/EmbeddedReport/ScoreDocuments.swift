// The documents of `make bench-embedded`: seeded leaderboard scores (W2/W7's shape, the
// issue's `Score` example), the same ones for every section and both sides of a comparison,
// as Codable values, as BSONDocuments, and as the RocksDB key/record pairs the engine keeps.
import BenchSupport
import ReportSupport
import Tessera
import Documents

/// One score, as `import Tessera`'s typed collections take it.
struct Score: Codable, Sendable {
    /// "score-" and the document's index, zero-padded (``ScoreDocuments/id(_:)``).
    var _id: String
    /// The game (1 to 200), the level (1 to 120) and the score (0 to 1,000,000).
    var game, level, score: Int
    /// "player-" and a seeded base-36 number; one of ten country codes.
    var player, country: String
}

/// `count` seeded scores and their encodings.
struct ScoreDocuments {
    let scores: [Score]
    let documents: [BSONDocument]

    init(count: Int, seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let countries = ["US", "GB", "DE", "FR", "JP", "BR", "IN", "KR", "CA", "AU"]
        var scores: [Score] = []
        var documents: [BSONDocument] = []
        scores.reserveCapacity(count)
        documents.reserveCapacity(count)
        let encoder = BSONEncoder()
        for index in 0..<count {
            let score = Score(
                _id: ScoreDocuments.id(index),
                game: Int.random(in: 1...200, using: &random),
                level: Int.random(in: 1...120, using: &random),
                score: Int.random(in: 0...1_000_000, using: &random),
                player: "player-" + String(UInt32.random(in: 0...UInt32.max, using: &random), radix: 36),
                country: countries[Int.random(in: 0..<countries.count, using: &random)]
            )
            scores.append(score)
            documents.append(try encoder.encode(score))
        }
        self.scores = scores
        self.documents = documents
    }

    /// The `_id` of document `index`: "score-" and the index, zero-padded to 9 digits.
    static func id(_ index: Int) -> String {
        var digits = String(index)
        while digits.count < 9 { digits = "0" + digits }
        return "score-" + digits
    }

    /// The engine's key (`KeyEncoding` of the `_id`) and shape-encoded record of every document.
    func keyedRecords() throws -> [(key: [UInt8], record: [UInt8])] {
        var encoder = RecordEncoder(registry: ShapeRegistry())
        var pairs: [(key: [UInt8], record: [UInt8])] = []
        pairs.reserveCapacity(documents.count)
        for document in documents {
            guard let id = document["_id"] else { throw ReportFailure(description: "a score without an _id") }
            pairs.append((KeyEncoding.key(for: id), try encoder.encode(document).bytes))
        }
        return pairs
    }

    /// `count` document indexes drawn uniformly from the seeded sequence `seed`.
    static func lookups(_ count: Int, among documentCount: Int, seed: UInt64) -> [Int] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Int.random(in: 0..<documentCount, using: &random) }
    }
}
