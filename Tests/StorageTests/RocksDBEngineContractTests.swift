// The storage interface's contract (EngineContract) run on the RocksDB engine, opened only
// through `RocksDBConfiguration`, the way the Documents layer opens it. Plus the refusals
// RocksDB makes of another engine's handles and batches.
import Testing
@testable import Storage

@Suite("RocksDB engine contract")
struct RocksDBEngineContractTests {
    @Test(arguments: EngineContract.allCases)
    func rocksDBMeetsTheContract(_ clause: EngineContract) throws {
        try withTemporaryDirectory { directory in
            try clause.check(on: RocksDBConfiguration(path: directory + "/db"))
        }
    }

    /// A key space handle of no engine at all.
    private final class StrangerKeySpace: KeySpace {
        let name = "stranger"
        let isDropped = false
    }

    @Test func handlesAndBatchesOfAnotherEngineAreRefused() throws {
        try withTemporaryDirectory { directory in
            let engine = try RocksDBConfiguration(path: directory + "/one").open(mergeOperators: [:])
            let other = try RocksDBConfiguration(path: directory + "/two").open(mergeOperators: [:])
            let foreign = try other.keySpace(named: "records")
            let records = try engine.keySpace(named: "records")
            for keySpace: any KeySpace in [foreign, StrangerKeySpace()] {
                let readError = #expect(throws: StorageError.self) { try engine.get(bytes("k"), in: keySpace) }
                #expect(readError?.code == .invalidArgument)
                let batch = try engine.makeWriteBatch()
                batch.put(bytes("k"), bytes("v"), in: records)
                batch.put(bytes("k"), bytes("v"), in: keySpace)
                let writeError = #expect(throws: StorageError.self) { try engine.write(batch, durability: .buffered) }
                #expect(writeError?.code == .invalidArgument)
                #expect(try engine.get(bytes("k"), in: records) == nil)
            }
            let otherBatch = try other.makeWriteBatch()
            otherBatch.put(bytes("k"), bytes("v"), in: foreign)
            let batchError = #expect(throws: StorageError.self) { try engine.write(otherBatch, durability: .buffered) }
            #expect(batchError?.code == .invalidArgument)
        }
    }

    @Test func configurationMergeOperatorsJoinTheOptions() throws {
        try withTemporaryDirectory { directory in
            let calls = MergeCallCounter()
            var options = StorageOptions()
            options.mergeOperatorsByPrefix["counter."] = Int64AddOperator(calls: MergeCallCounter())
            let store = try RocksDBConfiguration(path: directory + "/db", options: options)
                .openStore(mergeOperators: ["counter.": Int64AddOperator(calls: calls)])
            let counters = try store.keySpace(named: "counter.x")
            try store.merge(bytes("n"), Int64AddOperator.encode(2), in: counters, durability: .buffered)
            try store.merge(bytes("n"), Int64AddOperator.encode(3), in: counters, durability: .buffered)
            #expect(Int64AddOperator.decode(try store.get(bytes("n"), in: counters)) == 5)
            // The operator given at open replaced the one in the options.
            #expect(calls.fullMerges.load(ordering: .relaxed) > 0)
        }
    }
}
