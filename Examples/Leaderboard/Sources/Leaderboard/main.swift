// Leaderboard: workloads W2 and W7's leaderboard, embedded. Players of several games save
// scores (a player's best is kept with one upsert), a compound index on (game, score) serves
// each game's top 10 without a collection scan, and a change feed reports new personal bests
// live while the scores come in. Runs to completion and prints what it saw.
//
//     swift run --package-path Examples/Leaderboard Leaderboard [data-directory]

import Foundation
import Tessera

/// One player's best score in one game; `_id` is "game/player".
struct Score: Codable, Sendable {
    var _id: String
    var game: Int
    var player: String
    var score: Int
}

/// A small deterministic generator, so every run prints the same board.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let arguments = CommandLine.arguments
let directory = arguments.count > 1 ? arguments[1]
    : FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID().uuidString)").path
let removeAfter = arguments.count <= 1
defer { if removeAfter { try? FileManager.default.removeItem(atPath: directory) } }

let client = try TesseraClient(path: directory)
let scores = client.db("games").collection("scores", withType: Score.self)
try await scores.createIndex(["game": 1, "score": -1], indexOptions: IndexOptions(name: "top"))

// The live feed: every insert or update of a score, as it commits.
let feed = try await scores.watch(options: ChangeStreamOptions(fullDocument: .updateLookup))
let submissions = 5_000
let feedReader = Task {
    var newBests = 0
    var lastLine = ""
    for try await event in feed {
        if event.documentKey?["_id"] == "done" { break }
        guard let best = event.fullDocument else { continue }
        newBests += 1
        lastLine = "\(event.operationType.rawValue) \(best.player) \(best.score) in game \(best.game)"
        if newBests <= 3 { print("feed: \(lastLine)") }
    }
    return (newBests, lastLine)
}

// Scores come in: each submission keeps the player's best (one upsert, `$max`).
var random = SplitMix(state: 2024)
let started = ContinuousClock.now
for _ in 0..<submissions {
    let game = Int.random(in: 1...3, using: &random)
    let player = "player\(Int.random(in: 1...400, using: &random))"
    let points = Int.random(in: 0...100_000, using: &random)
    try await scores.updateOne(
        filter: ["_id": .string("\(game)/\(player)")],
        update: ["$max": ["score": .int64(Int64(points))], "$setOnInsert": ["game": .int64(Int64(game)), "player": .string(player)]],
        options: UpdateOptions(upsert: true))
}
let elapsed = ContinuousClock.now - started
let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
try await scores.insertOne(Score(_id: "done", game: 0, player: "-", score: 0))
let (newBests, lastLine) = try await feedReader.value
feed.kill()

print("\(submissions) submissions in \(milliseconds) ms; \(try await scores.countDocuments(["game": ["$gt": 0]])) players on the boards")
print("feed: \(newBests) changes seen live, the last: \(lastLine)")
for game in 1...3 {
    let top = try await scores.find(["game": .int64(Int64(game))],
                                    options: FindOptions(hint: .indexName("top"), limit: 10, sort: ["score": -1])).toArray()
    print("game \(game) top 10: " + top.map { "\($0.player) \($0.score)" }.joined(separator: ", "))
}
let best = try await scores.aggregate([
    ["$match": ["game": ["$gt": 0]]],
    ["$group": ["_id": "$game", "players": ["$sum": 1], "best": ["$max": "$score"]]],
    ["$sort": ["_id": 1]],
]).toArray()
for row in best {
    print("game \(row["_id"]?.int64Value ?? 0): \(row["players"]?.int64Value ?? 0) players, best \(row["best"]?.int64Value ?? 0)")
}
client.close()
