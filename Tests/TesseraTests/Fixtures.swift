// Fixtures of the API's tests, through `import Tessera` only: a client on a fresh temporary
// directory (removed afterwards), the typed document the tests store, the resident memory
// of this process, and the TesseraError code an operation throws.

import Foundation
import Tessera

/// A player's score, as the example stores it.
struct Score: Codable, Sendable, Equatable {
    var _id: String
    var game: Int
    var player: String
    var score: Int
}

/// Runs `body` with a directory path that does not exist yet, inside a fresh temporary
/// directory removed afterwards.
func withTemporaryPath<Result>(_ body: (String) async throws -> Result) async throws -> Result {
    let parent = FileManager.default.temporaryDirectory
        .appendingPathComponent("tessera-api-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    return try await body(parent.appendingPathComponent("data").path)
}

/// Runs `body` with a client on a fresh store, closed afterwards.
func withClient<Result>(_ body: (TesseraClient) async throws -> Result) async throws -> Result {
    try await withTemporaryPath { path in
        let client = try TesseraClient(path: path)
        defer { client.close() }
        return try await body(client)
    }
}

/// The TesseraError code `body` throws: nil when it returns, -1 for another kind of error.
func tesseraErrorCode(_ body: () async throws -> Void) async -> Int? {
    do {
        try await body()
        return nil
    } catch let error as TesseraError {
        return error.code
    } catch {
        return -1
    }
}

/// This process's resident memory in bytes, from /proc/self/statm (Linux); nil elsewhere.
func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The scores of `games` games with `players` players each, in a fixed order.
func sampleScores(games: Int, players: Int) -> [Score] {
    var scores: [Score] = []
    for game in 1...games {
        for player in 0..<players {
            let name = "p\(player)"
            scores.append(Score(_id: "g\(game)/\(name)", game: game, player: name, score: (player * 37 + game * 11) % 100))
        }
    }
    return scores
}

/// Runs `body` with a client on a fresh store and its `game.scores` collection, holding
/// `sampleScores(games:players:)` (which `body` also receives); empty when `games` is 0.
func withScores<Result>(
    games: Int = 0, players: Int = 0,
    _ body: (TesseraClient, TesseraCollection<Score>, [Score]) async throws -> Result
) async throws -> Result {
    try await withClient { client in
        let scores = client.db("game").collection("scores", withType: Score.self)
        let batch = games > 0 ? sampleScores(games: games, players: players) : []
        if !batch.isEmpty { try await scores.insertMany(batch) }
        return try await body(client, scores, batch)
    }
}

/// A flag one task sets and another waits for.
actor Flag {
    private(set) var isSet = false

    /// Sets the flag.
    func set() { isSet = true }

    /// Returns once the flag is set, polling every few milliseconds.
    func wait() async throws {
        while !isSet { try await Task.sleep(for: .milliseconds(2)) }
    }
}
