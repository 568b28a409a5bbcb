// compact's dryRun estimate against a real RocksDB store: nothing to reclaim in a fresh
// collection, most of the disk after deleting most documents (tombstones still in the
// memtable count), and the estimate bounded by the bytes a real compaction frees; plus the
// parsing of RocksDB's table-properties text it reads.

import BSON
import Foundation
import Testing
@testable import Documents

@Suite struct CompactionEstimateTests {
    @Test func estimateFollowsDeletesAndIsBoundedByWhatCompactionFrees() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let namespace = try Namespace(database: "db", collection: "c")
            let collection = store.collection(namespace)
            let pad = String(repeating: "x", count: 600)
            let count = 4000
            for start in stride(from: 0, to: count, by: 500) {
                try collection.insert(contentsOf: (start..<start + 500).map {
                    ["_id": .int64(Int64($0)), "pad": .string(pad + String($0))]
                })
            }
            try store.flushToDisk()
            #expect(try store.estimateCompaction(namespace) == 0)
            var deleted = 0
            for id in 0..<count where id % 10 != 0 {
                if try collection.delete(id: .int64(Int64(id))) { deleted += 1 }
            }
            let estimate = try store.estimateCompaction(namespace)
            let result = try store.compact(namespace)
            // Most of what lived on disk is reclaimable, and the estimate does not promise
            // more than there was.
            #expect(estimate >= result.bytesBefore / 2, "estimate \(estimate), before \(result.bytesBefore)")
            #expect(estimate <= result.bytesBefore)
            #expect(result.bytesFreed >= result.bytesBefore / 2)
            #expect(deleted == count - count / 10)
            #expect(throws: MongoError.self) { try store.estimateCompaction(try Namespace(database: "db", collection: "missing")) }
        }
    }

    @Test func tableFiguresReadRocksDBsPropertiesText() {
        let text = "# data blocks=12; # entries=4000; # deletions=3600; # merge operands=0; # range deletions=0; raw key size=64000"
        #expect(TableFigures(parsing: text) == TableFigures(parsing: "# entries=4000;# deletions=3600"))
        let figures = TableFigures(parsing: text)
        #expect(figures.entries == 4000 && figures.deletions == 3600)
        #expect(TableFigures(parsing: "nonsense") == TableFigures(parsing: ""))
        #expect(DocumentStore.reclaimableBytes(onDisk: 1000, entries: (entries: 100, deletions: 25)) == 500)
        #expect(DocumentStore.reclaimableBytes(onDisk: 1000, entries: (entries: 100, deletions: 90)) == 1000)
        #expect(DocumentStore.reclaimableBytes(onDisk: 1000, entries: (entries: 0, deletions: 0)) == 0)
    }
}
