// Snapshots: reads through a RocksDB snapshot (pinned values included) see exactly the state
// when it was taken while the store moves on; consistency across key spaces is a clause of
// EngineContract.
import Testing
@testable import Storage

@Suite("Snapshots")
struct SnapshotTests {
    @Test func snapshotDoesNotSeeLaterPutsOverwritesOrDeletes() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let keySpace = store.defaultKeySpace
            try store.put(bytes("a"), bytes("1"), in: keySpace, durability: .buffered)
            try store.put(bytes("b"), bytes("2"), in: keySpace, durability: .buffered)
            let snapshot = try store.makeSnapshot()
            try store.put(bytes("a"), bytes("10"), in: keySpace, durability: .buffered)
            try store.delete(bytes("b"), in: keySpace, durability: .buffered)
            try store.put(bytes("c"), bytes("3"), in: keySpace, durability: .buffered)
            try store.flush()

            #expect(try snapshot.get(bytes("a"), in: keySpace) == bytes("1"))
            #expect(try snapshot.get(bytes("b"), in: keySpace) == bytes("2"))
            #expect(try snapshot.get(bytes("c"), in: keySpace) == nil)
            #expect(try snapshot.entries(.all, in: keySpace) == [
                KeyValuePair(key: bytes("a"), value: bytes("1")),
                KeyValuePair(key: bytes("b"), value: bytes("2")),
            ])
            #expect(keyStrings(try store.entries(.all, in: keySpace)) == ["a", "c"])
            #expect(try store.get(bytes("a"), in: keySpace) == bytes("10"))
            if let pinned = try snapshot.pinnedValue(forKey: bytes("a"), in: keySpace) {
                #expect(pinned.bytes == bytes("1"))
            } else {
                Issue.record("snapshot lost key a")
            }
        }
    }

}
