// The profiler, top and the fsync lock through the dispatcher on a real store: what level 2
// writes to system.profile, the per-collection counts top keeps, and the lock count.

import BSON
import Commands
import Testing

@Suite struct ProfilerCommandTests {
    /// The first batch of `find` on `collection` with `filter`.
    static func find(_ server: CommandTestServer, _ collection: String, _ filter: BSONDocument = [:]) -> [BSONDocument] {
        let reply = server.run(["find": .string(collection), "filter": .document(filter)])
        return (reply["cursor"]?.documentValue?["firstBatch"]?.arrayValue ?? []).compactMap(\.documentValue)
    }

    @Test func levelTwoWritesOneEntryPerCommandWithWhatItExamined() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": .array((0..<8).map { .document(["k": .int32(Int32($0))]) })])
            #expect(server.run(["profile": 2])["was"]?.int64Value == 0)
            #expect(Self.find(server, "c", ["k": ["$lt": 3]]).count == 3)
            server.run(["delete": "c", "deletes": [["q": ["k": 7], "limit": 1]]])
            #expect(server.run(["profile": 0])["was"]?.int64Value == 2)

            let entries = Self.find(server, "system.profile", ["ns": "test.c"])
            #expect(entries.map { $0["op"]?.stringValue } == ["query", "remove"])
            let query = entries.first ?? [:]
            #expect(query["nreturned"]?.int64Value == 3)
            #expect(query["docsExamined"]?.int64Value == 8)
            #expect(query["planSummary"]?.stringValue == "COLLSCAN")
            #expect(entries.last?["ndeleted"]?.int64Value == 1)
            let listed = server.run(["listCollections": 1, "filter": ["name": "system.profile"]])
            let options = listed["cursor"]?.documentValue?["firstBatch"]?.arrayValue?.first?.documentValue?["options"]
            #expect(options?.documentValue?["capped"] == .bool(true))
        }
    }

    @Test func topCountsEachCollectionsCommandsByKind() throws {
        try CommandTestServer.with { server in
            for value in 0..<3 { server.run(["insert": "c", "documents": [["v": .int32(Int32(value))]]]) }
            _ = Self.find(server, "c")
            let row = server.run(["top": 1], database: "admin")["totals"]?.documentValue?["test.c"]?.documentValue ?? [:]
            func count(_ field: String) -> Int64? { row[field]?.documentValue?["count"]?.int64Value }
            #expect(count("insert") == 3 && count("queries") == 1)
            #expect(count("writeLock") == 3 && count("readLock") == 1 && count("total") == 4)
            #expect(server.run(["top": 1]).code == 13)
        }
    }

    @Test func fsyncLockCountsAndUnlockRefusesBelowZero() throws {
        try CommandTestServer.with { server in
            #expect(server.run(["fsync": 1, "lock": true], database: "admin")["lockCount"]?.int64Value == 1)
            #expect(server.run(["fsync": 1, "lock": true], database: "admin")["lockCount"]?.int64Value == 2)
            #expect(server.run(["fsyncUnlock": 1], database: "admin")["lockCount"]?.int64Value == 1)
            #expect(server.run(["fsyncUnlock": 1], database: "admin")["lockCount"]?.int64Value == 0)
            #expect(server.run(["fsyncUnlock": 1], database: "admin").code == 20)
            // Unlocked, writes run at once.
            #expect(server.run(["insert": "c", "documents": [["x": 1]]])["n"]?.int64Value == 1)
        }
    }
}
