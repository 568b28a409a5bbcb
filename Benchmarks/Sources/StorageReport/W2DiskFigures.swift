// W2's event ingestion on disk: 1,000,000 seeded game-analytics events stored as
// shape-encoded records keyed by their 12 `_id` bytes in a RocksDB key space with the
// default options, then flushed and compacted; raw BSON bytes are compared to SST bytes.
import BenchSupport
import ReportSupport
import BSON
import Documents
import Storage

/// The vocabularies events draw from, built once from the seed.
struct EventVocabulary {
    let games: [String]
    let eventTypes: [String]
    let countries: [String]
    let platforms = ["ios", "android", "web"]
    let tags: [String]
    let players: [BSONValue]

    init(using random: inout SeededGenerator) throws {
        let first = ["Star", "Dragon", "Pixel", "Candy", "Castle", "Rocket", "Zombie", "Puzzle", "Ninja", "Farm",
                     "Space", "Tower", "Jewel", "Monster", "Racing", "Bubble", "Block", "Word", "Galaxy", "Pirate"]
        let second = ["Quest", "Blast", "Saga", "Wars", "Run", "Legends", "Mania", "Empire", "Heroes", "Rush"]
        var games: [String] = []
        for a in first { for b in second { games.append(a + " " + b) } }
        self.games = games  // 200
        eventTypes = ["session_start", "session_end", "level_start", "level_complete", "level_fail", "purchase",
                      "ad_view", "ad_click", "achievement", "tutorial_step", "score_submit", "friend_invite",
                      "share", "crash", "settings_change", "daily_reward", "item_use", "item_buy", "chat", "logout"]
        countries = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "NO", "DK", "FI", "PL", "CZ", "AT", "CH",
                     "BE", "PT", "IE", "GR", "TR", "RU", "UA", "BR", "AR", "MX", "CL", "CO", "PE", "CA", "AU",
                     "NZ", "JP", "KR", "CN", "TW", "HK", "SG", "MY", "TH", "VN", "PH", "ID", "IN", "PK", "SA",
                     "AE", "IL", "EG", "ZA", "NG"]
        tags = ["new", "returning", "vip", "whale", "trial", "beta", "tutorial", "boost", "event", "weekend",
                "promo", "pvp", "coop", "hard", "easy", "bonus", "streak", "night", "ranked", "casual"]
        // 100,000 players: 70% with ObjectIds, the rest with string ids.
        var players: [BSONValue] = []
        players.reserveCapacity(100_000)
        for index in 0..<100_000 {
            if index % 10 < 7 {
                let bytes = (0..<12).map { _ in UInt8.random(in: 0...255, using: &random) }
                guard let id = ObjectId(bytes: bytes) else { throw ReportFailure(description: "bad ObjectId bytes") }
                players.append(.objectId(id))
            } else {
                players.append(.string("player-" + String(UInt32.random(in: 0...UInt32.max, using: &random), radix: 36)))
            }
        }
        self.players = players
    }

    /// One event with a fresh `_id` at `timestamp` milliseconds.
    func event(at timestamp: Int64, using random: inout SeededGenerator) -> BSONDocument {
        var document = BSONDocument()
        document.append("_id", .objectId(ObjectId()))
        document.append("game", .string(games[Int.random(in: 0..<games.count, using: &random)]))
        document.append("player", players[Int.random(in: 0..<players.count, using: &random)])
        document.append("type", .string(eventTypes[Int.random(in: 0..<eventTypes.count, using: &random)]))
        document.append("level", .int32(Int32.random(in: 1...120, using: &random)))
        document.append("score", .int32(Int32.random(in: 0...1_000_000, using: &random)))
        document.append("ts", .datetime(BSONDateTime(millisecondsSinceEpoch: timestamp)))
        document.append("country", .string(countries[Int.random(in: 0..<countries.count, using: &random)]))
        document.append("platform", .string(platforms[Int.random(in: 0..<platforms.count, using: &random)]))
        document.append("session", .string(String(UInt64.random(in: 0...UInt64.max, using: &random), radix: 16)))
        var tagValues: [BSONValue] = []
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            tagValues.append(.string(tags[Int.random(in: 0..<tags.count, using: &random)]))
        }
        document.append("tags", .array(tagValues))
        return document
    }
}

struct W2DiskFigures {
    let documentCount: Int
    let rawBSONBytes: UInt64
    let recordBytes: UInt64
    let sstBytes: UInt64
    let liveSSTBytes: UInt64
    let directoryBytes: UInt64
    let writeSeconds: Double
    let compactSeconds: Double

    var diskRatio: Double { Double(rawBSONBytes) / Double(max(sstBytes, 1)) }

    static func measure(in directory: String, documentCount: Int = 1_000_000, batchSize: Int = 1_000) throws -> W2DiskFigures {
        let clock = ContinuousClock()
        var random = SeededGenerator(seed: 0x57_32_45_56)  // "W2EV"
        let vocabulary = try EventVocabulary(using: &random)
        let store = try RocksDBStore(path: directory, options: StorageOptions())
        let keySpace = try store.keySpace(named: "events")
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let batch = try store.makeWriteBatch()

        let writeStarted = clock.now
        var rawBSON: UInt64 = 0
        var records: UInt64 = 0
        // Events over one day, in order, a few milliseconds apart.
        var timestamp: Int64 = 1_795_651_200_000
        for index in 0..<documentCount {
            timestamp += Int64.random(in: 0...170, using: &random)
            let document = vocabulary.event(at: timestamp, using: &random)
            guard case .objectId(let id)? = document["_id"] else {
                throw ReportFailure(description: "event without an ObjectId _id")
            }
            rawBSON += UInt64(try document.bsonBytes().count)
            let record = try encoder.encode(document).bytes
            records += UInt64(record.count)
            batch.put(id.byteArray, record, in: keySpace)
            if (index + 1) % batchSize == 0 || index + 1 == documentCount {
                try store.write(batch, durability: .buffered)
                batch.clear()
            }
        }
        let writeSeconds = writeStarted.duration(to: clock.now).seconds

        let compactStarted = clock.now
        try store.flush(keySpace)
        try store.compactRange(.all, in: keySpace)
        let compactSeconds = compactStarted.duration(to: clock.now).seconds

        return W2DiskFigures(
            documentCount: documentCount,
            rawBSONBytes: rawBSON,
            recordBytes: records,
            sstBytes: store.sstFilesSize(of: keySpace),
            liveSSTBytes: store.sstFilesSize(of: keySpace, live: true),
            directoryBytes: try store.diskUsage(),
            writeSeconds: writeSeconds,
            compactSeconds: compactSeconds
        )
    }
}
