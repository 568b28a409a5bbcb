// Point reads and writes on RocksDBStore: put/get/delete, pinned reads, durability flags,
// persistence across reopen, and concurrent writers sharing one store.
import Testing
@testable import Storage

@Suite("Point operations")
struct PointOperationTests {
    @Test func putThenGetReturnsTheValueAndDeleteRemovesIt() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let keySpace = store.defaultKeySpace
            #expect(try store.get(bytes("missing"), in: keySpace) == nil)
            try store.put(bytes("alpha"), bytes("one"), in: keySpace, durability: .buffered)
            #expect(try store.get(bytes("alpha"), in: keySpace) == bytes("one"))
            try store.put(bytes("alpha"), bytes("two"), in: keySpace, durability: .buffered)
            #expect(try store.get(bytes("alpha"), in: keySpace) == bytes("two"))
            try store.delete(bytes("alpha"), in: keySpace, durability: .buffered)
            #expect(try store.get(bytes("alpha"), in: keySpace) == nil)
        }
    }

    @Test func emptyKeysAndEmptyValuesAreStoredDistinctFromAbsence() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            try store.put([], [], in: store.defaultKeySpace, durability: .buffered)
            #expect(try store.get([], in: store.defaultKeySpace) == [])
            try store.put([0x00, 0xFF], [0xFF, 0x00], in: store.defaultKeySpace, durability: .buffered)
            #expect(try store.get([0x00, 0xFF], in: store.defaultKeySpace) == [0xFF, 0x00])
        }
    }

    @Test func pinnedValueReadsWithoutCopyingAndMatchesGet() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let value = [UInt8](repeating: 7, count: 10_000)
            try store.put(bytes("big"), value, in: store.defaultKeySpace, durability: .buffered)
            try store.flush()
            guard let pinned = try store.pinnedValue(forKey: bytes("big"), in: store.defaultKeySpace) else {
                Issue.record("pinned value missing")
                return
            }
            #expect(pinned.count == value.count)
            let sum = pinned.withUnsafeBytes { buffer in buffer.reduce(0) { $0 + Int($1) } }
            #expect(sum == 70_000)
            #expect(pinned.bytes == value)
            #expect(try store.pinnedValue(forKey: bytes("absent"), in: store.defaultKeySpace) == nil)
        }
    }

    @Test func journaledAndBufferedWritesBothSurviveReopen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do {
                let store = try RocksDBStore(path: path)
                try store.put(bytes("journaled"), bytes("j"), in: store.defaultKeySpace, durability: .journaled)
                try store.put(bytes("buffered"), bytes("b"), in: store.defaultKeySpace, durability: .buffered)
                try store.flushWAL(sync: true)
                #expect(store.latestSequenceNumber == 2)
            }
            let reopened = try RocksDBStore(path: path)
            #expect(try reopened.get(bytes("journaled"), in: reopened.defaultKeySpace) == bytes("j"))
            #expect(try reopened.get(bytes("buffered"), in: reopened.defaultKeySpace) == bytes("b"))
        }
    }

    @Test func concurrentWritersShareOneStore() async throws {
        try await withTemporaryDirectoryAsync { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let keySpace = try store.keySpace(named: "shared")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0 ..< 4 {
                    group.addTask {
                        for index in 0 ..< 250 {
                            try store.put(bytes("w\(writer)-\(index)"), bytes("\(index)"), in: keySpace, durability: .buffered)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try store.entries(.all, in: keySpace).count == 1000)
        }
    }
}

