// serve through the public API: pymongo (from the repository's .venv, which
// scripts/integration-setup makes before `make test` runs the Swift tests) reads and writes
// the store over the wire while this process goes on reading and writing it embedded.
// Under `make test` (TESSERA_REQUIRE_PYMONGO=1) a missing .venv fails the test instead of
// skipping it.

import Foundation
import Testing
import Tessera

/// The repository's virtualenv Python, when scripts/integration-setup has made it.
private let venvPython: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".venv/bin/python").path

private let pymongoRequired = ProcessInfo.processInfo.environment["TESSERA_REQUIRE_PYMONGO"] == "1"

/// What the pymongo client does: read the embedded program's document, write its own, and
/// count the documents the embedded program keeps inserting.
private let pymongoScript = """
import sys, pymongo
client = pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=20000, directConnection=True)
db = client.game
seen = db.scores.find_one({"_id": "embedded"})
assert seen is not None and seen["score"] == 42, seen
db.scores.insert_one({"_id": "from-pymongo", "game": 1, "player": "py", "score": 7})
db.scores.update_one({"_id": "embedded"}, {"$inc": {"score": 1}})
live = db.live.count_documents({})
print("live", live)
"""

@Suite("serve")
struct ServeTests {
    @Test("pymongo reads and writes over the wire while this process uses the store embedded",
          .enabled(if: pymongoRequired || FileManager.default.isExecutableFile(atPath: venvPython),
                   "needs the repository's .venv with pymongo (scripts/integration-setup)"))
    func pymongoAlongsideEmbedded() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: venvPython),
                     "\(venvPython) is missing: run scripts/integration-setup")
        try await withScores { client, scores, _ in
            try await scores.insertOne(Score(_id: "embedded", game: 1, player: "swift", score: 42))
            let server = try await client.startServer(host: "127.0.0.1", port: 0)
            #expect(server.port > 0)

            let live = client.db("game").collection("live")
            let stop = Flag()
            let writer = Task {
                var written = 0
                while !(await stop.isSet) {
                    try await live.insertOne(["_id": .int64(Int64(written))])
                    written += 1
                    try await Task.sleep(for: .milliseconds(1))
                }
                return written
            }
            let (status, output) = try await Self.runPython(pymongoScript, argument: server.connectionString)
            await stop.set()
            let written = try await writer.value
            #expect(status == 0, "pymongo failed: \(output)")
            let counted = output.split(separator: "\n").last { $0.hasPrefix("live ") }.flatMap { Int($0.dropFirst(5)) }
            #expect(counted.map { $0 <= written } == true, "pymongo counted \(counted.map(String.init) ?? "nothing"), \(written) written")

            // pymongo's writes are the embedded program's reads, on the same engine.
            #expect(try await scores.findOne(["_id": "from-pymongo"]) == Score(_id: "from-pymongo", game: 1, player: "py", score: 7))
            #expect(try await scores.findOne(["_id": "embedded"])?.score == 43)
            #expect(try await live.countDocuments() == written)
            await server.stop()
            // Stopping the server leaves the store open for embedded use.
            #expect(try await scores.countDocuments() == 2)
        }
    }

    @Test("serve runs until its task is cancelled; a non-loopback host is refused without insecureNoAuth")
    func serveLifecycle() async throws {
        try await withClient { client in
            let serving = Task { try await client.serve(host: "127.0.0.1", port: 0) }
            try await Task.sleep(for: .milliseconds(50))
            serving.cancel()
            _ = try await serving.value
            #expect(await tesseraErrorCode { try await client.serve(host: "0.0.0.0", port: 0) } == 20)
            try await client.db("a").collection("b").insertOne(["_id": 1])
            #expect(try await client.listDatabaseNames() == ["a", "local"])
        }
    }

    /// Runs `script` with the venv's Python, `argument` as its first argument; returns its
    /// exit status and its output (standard output and error).
    private static func runPython(_ script: String, argument: String) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: venvPython)
        process.arguments = ["-c", script, argument]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let finished = AsyncStream<Int32> { continuation in
            process.terminationHandler = { process in
                continuation.yield(process.terminationStatus)
                continuation.finish()
            }
        }
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        var status: Int32 = -1
        for await code in finished { status = code }
        return (status, String(decoding: output, as: UTF8.self))
    }
}
