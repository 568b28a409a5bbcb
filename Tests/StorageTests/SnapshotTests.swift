// Snapshots: reads and scans through a snapshot see exactly the state when it was taken,
// across key spaces, while the store moves on.
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

    @Test func snapshotIsConsistentAcrossKeySpaces() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let left = try store.keySpace(named: "left")
            let right = try store.keySpace(named: "right")
            let batch = try store.makeWriteBatch()
            batch.put(bytes("k"), bytes("v1"), in: left)
            batch.put(bytes("k"), bytes("v1"), in: right)
            try store.write(batch, durability: .buffered)
            let snapshot = try store.makeSnapshot()
            let second = try store.makeWriteBatch()
            second.put(bytes("k"), bytes("v2"), in: left)
            second.put(bytes("k"), bytes("v2"), in: right)
            try store.write(second, durability: .buffered)
            #expect(try snapshot.get(bytes("k"), in: left) == bytes("v1"))
            #expect(try snapshot.get(bytes("k"), in: right) == bytes("v1"))
            let cursor = try snapshot.makeCursor(over: .all, in: right)
            cursor.seekToFirst()
            #expect(cursor.value == bytes("v1"))
        }
    }
}
