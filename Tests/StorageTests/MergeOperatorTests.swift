// Swift merge operators bridged into RocksDB: operands fold on read, fold during
// compaction (after which reads need no merge), survive reopen, and bad operands give a
// typed error instead of a crash.
import Testing
@testable import Storage

@Suite("Merge operators")
struct MergeOperatorTests {
    private func options(_ calls: MergeCallCounter) -> StorageOptions {
        var options = StorageOptions()
        options.mergeOperators["counters"] = Int64AddOperator(calls: calls)
        return options
    }

    @Test func operandsFoldOntoTheBaseValueOnRead() throws {
        try withTemporaryDirectory { directory in
            let calls = MergeCallCounter()
            let store = try RocksDBStore(path: directory + "/db", options: options(calls))
            let counters = try store.keySpace(named: "counters")
            try store.put(bytes("views"), Int64AddOperator.encode(10), in: counters, durability: .buffered)
            for _ in 0 ..< 5 {
                try store.merge(bytes("views"), Int64AddOperator.encode(1), in: counters, durability: .buffered)
            }
            try store.merge(bytes("fresh"), Int64AddOperator.encode(-3), in: counters, durability: .buffered)
            #expect(Int64AddOperator.decode(try store.get(bytes("views"), in: counters)) == 15)
            #expect(Int64AddOperator.decode(try store.get(bytes("fresh"), in: counters)) == -3)
            #expect(calls.fullMerges.load(ordering: .relaxed) >= 2)
        }
    }

    @Test func compactionFoldsOperandsAcrossFilesSoReadsNoLongerMerge() throws {
        try withTemporaryDirectory { directory in
            let calls = MergeCallCounter()
            let store = try RocksDBStore(path: directory + "/db", options: options(calls))
            let counters = try store.keySpace(named: "counters")
            // Base value and operands in three separate SST files.
            try store.put(bytes("total"), Int64AddOperator.encode(100), in: counters, durability: .buffered)
            try store.flush(counters)
            for delta: Int64 in [1, 2] {
                try store.merge(bytes("total"), Int64AddOperator.encode(delta), in: counters, durability: .buffered)
            }
            try store.flush(counters)
            for delta: Int64 in [3, 4, 5] {
                try store.merge(bytes("total"), Int64AddOperator.encode(delta), in: counters, durability: .buffered)
            }
            try store.flush(counters)
            #expect(Int64AddOperator.decode(try store.get(bytes("total"), in: counters)) == 115)

            let beforeCompaction = calls.fullMerges.load(ordering: .relaxed)
            try store.compactRange(in: counters)
            let afterCompaction = calls.fullMerges.load(ordering: .relaxed)
            #expect(afterCompaction > beforeCompaction, "compaction should call the Swift full merge")

            #expect(Int64AddOperator.decode(try store.get(bytes("total"), in: counters)) == 115)
            #expect(calls.fullMerges.load(ordering: .relaxed) == afterCompaction, "a folded value needs no merge on read")
        }
    }

    @Test func mergedValuesSurviveReopenWithTheSameOperator() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let calls = MergeCallCounter()
            do {
                let store = try RocksDBStore(path: path, options: options(calls))
                let counters = try store.keySpace(named: "counters")
                try store.merge(bytes("n"), Int64AddOperator.encode(7), in: counters, durability: .journaled)
            }
            let store = try RocksDBStore(path: path, options: options(calls))
            let counters = try #require(store.existingKeySpace(named: "counters"))
            try store.merge(bytes("n"), Int64AddOperator.encode(8), in: counters, durability: .buffered)
            #expect(Int64AddOperator.decode(try store.get(bytes("n"), in: counters)) == 15)
        }
    }

    @Test func operandTheOperatorRejectsGivesCorruptionErrorNotACrash() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db", options: options(MergeCallCounter()))
            let counters = try store.keySpace(named: "counters")
            try store.merge(bytes("bad"), [1, 2, 3], in: counters, durability: .buffered)
            let error = #expect(throws: StorageError.self) {
                try store.get(bytes("bad"), in: counters)
            }
            #expect(error?.code == .corruption)
            #expect(error?.operation == .get)
        }
    }

    @Test func mergeIntoAKeySpaceWithoutAnOperatorIsRejectedWithTypedError() throws {
        try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db")
            let error = #expect(throws: StorageError.self) {
                try store.merge(bytes("k"), [1], in: store.defaultKeySpace, durability: .buffered)
            }
            #expect(error?.code == .notSupported)
            #expect(error?.operation == .merge)
            #expect(try store.get(bytes("k"), in: store.defaultKeySpace) == nil)
        }
    }

    @Test func operandsFromSwiftArraysReachTheOperatorInOrder() {
        // How an engine without native merges (folding in its own write path) calls an operator.
        let operands: [[UInt8]] = [[1, 2], [], [3], [4, 5, 6]]
        let seen = MergeOperands.withOperands(operands) { view in view.map { [UInt8]($0) } }
        #expect(seen == operands)
        #expect(MergeOperands.withOperands([]) { $0.isEmpty })
        let calls = MergeCallCounter()
        let sum = MergeOperands.withOperands([Int64AddOperator.encode(5), Int64AddOperator.encode(-2)]) { view in
            Int64AddOperator.encode(10).withUnsafeBytes { base in
                Int64AddOperator(calls: calls).fullMerge(key: UnsafeRawBufferPointer(start: nil, count: 0), existingValue: base,
                                                         operands: view)
            }
        }
        #expect(Int64AddOperator.decode(sum) == 13)
    }
}
