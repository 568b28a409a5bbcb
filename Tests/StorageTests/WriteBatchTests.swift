// Write batches: atomic application across key spaces, range deletes, reuse, and
// rejection (with nothing applied) of batches that touch dropped or foreign key spaces.
import Testing
@testable import Storage

@Suite("Write batches")
struct WriteBatchTests {
    @Test func batchAcrossKeySpacesBecomesVisibleAllAtOnce() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let records = try store.keySpace(named: "records")
            let index = try store.keySpace(named: "index")
            let batch = try store.makeWriteBatch()
            for number in 0 ..< 100 {
                batch.put(bytes("r\(number)"), bytes("doc\(number)"), in: records)
                batch.put(bytes("i\(number)"), bytes("r\(number)"), in: index)
            }
            #expect(batch.count == 200)
            #expect(batch.byteCount > 0)
            let before = try store.makeSnapshot()
            #expect(try store.entries(.all, in: records).isEmpty)
            try store.write(batch, durability: .journaled)
            #expect(try store.entries(.all, in: records).count == 100)
            #expect(try store.entries(.all, in: index).count == 100)
            #expect(try before.entries(.all, in: records).isEmpty)
            #expect(try before.entries(.all, in: index).isEmpty)
        }
    }

    @Test func batchAppliesPutsDeletesRangeDeletesAndMergesInOrder() throws {
        try withTemporaryDirectory { directory in
            var options = StorageOptions()
            options.mergeOperators["counters"] = Int64AddOperator(calls: MergeCallCounter())
            let store = try RocksDBStore(path: directory + "/db", options: options)
            let data = store.defaultKeySpace
            let counters = try store.keySpace(named: "counters")
            for letter in ["a", "b", "c", "d", "e"] {
                try store.put(bytes(letter), bytes(letter), in: data, durability: .buffered)
            }
            let batch = try store.makeWriteBatch()
            batch.deleteRange(from: bytes("b"), to: bytes("d"), in: data)  // removes b, c
            batch.delete(bytes("e"), in: data)
            batch.put(bytes("f"), bytes("f"), in: data)
            batch.put(bytes("hits"), Int64AddOperator.encode(1), in: counters)
            batch.merge(bytes("hits"), Int64AddOperator.encode(41), in: counters)
            try store.write(batch, durability: .buffered)
            #expect(keyStrings(try store.entries(.all, in: data)) == ["a", "d", "f"])
            #expect(Int64AddOperator.decode(try store.get(bytes("hits"), in: counters)) == 42)
        }
    }

    @Test func batchCanBeClearedAndReused() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let batch = try store.makeWriteBatch()
            batch.put(bytes("discarded"), bytes("x"), in: store.defaultKeySpace)
            batch.clear()
            #expect(batch.isEmpty)
            batch.put(bytes("kept"), bytes("y"), in: store.defaultKeySpace)
            try store.write(batch, durability: .buffered)
            #expect(try store.get(bytes("discarded"), in: store.defaultKeySpace) == nil)
            #expect(try store.get(bytes("kept"), in: store.defaultKeySpace) == bytes("y"))
        }
    }

    @Test func batchTouchingADroppedKeySpaceIsRejectedWithNothingApplied() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let doomed = try store.keySpace(named: "doomed")
            let batch = try store.makeWriteBatch()
            batch.put(bytes("survivor"), bytes("1"), in: store.defaultKeySpace)
            batch.put(bytes("orphan"), bytes("2"), in: doomed)
            try store.dropKeySpace(doomed)
            let error = #expect(throws: StorageError.self) {
                try store.write(batch, durability: .buffered)
            }
            #expect(error?.code == .keySpaceDropped)
            #expect(error?.operation == .write)
            #expect(try store.get(bytes("survivor"), in: store.defaultKeySpace) == nil)
        }
    }

    @Test func batchFromAnotherStoreIsRejected() throws {
        try withTemporaryDirectory { directory in
            let first = try RocksDBStore(path: directory + "/first")
            let second = try RocksDBStore(path: directory + "/second")
            let batch = try first.makeWriteBatch()
            batch.put(bytes("k"), bytes("v"), in: first.defaultKeySpace)
            let error = #expect(throws: StorageError.self) {
                try second.write(batch, durability: .buffered)
            }
            #expect(error?.code == .invalidArgument)
            let foreignKeySpace = #expect(throws: StorageError.self) {
                try second.get(bytes("k"), in: first.defaultKeySpace)
            }
            #expect(foreignKeySpace?.code == .invalidArgument)
        }
    }
}
