// Index scans inside a transaction read batch by batch, as a cursor reads them (each part
// resumes after the last key of the one before): the whole read examines each entry about
// once — the snapshot's and the transaction's buffered ones — rather than re-reading from
// the start of the write set or the range on every batch, and it returns what a scan of
// the same data committed returns.

import BSON
import Testing
@testable import Documents

struct TransactionIndexScanTests {
    /// A transaction's batched read of index `a_1`: 10,000 documents committed before it,
    /// 10,000 inserted inside it (interleaved in `a`), some committed ones moved or deleted.
    @Test(arguments: [false, true])
    func batchedReadsExamineEachEntryAboutOnce(reverse: Bool) throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let outside = try store.collection("c", in: "db")
            try store.createIndex(on: outside.namespace, key: ["a": 1])
            let total = 20_000
            func document(_ id: Int, a: Int) -> BSONDocument { ["_id": .int64(Int64(id)), "a": .int64(Int64(a))] }
            try outside.insert(contentsOf: stride(from: 0, to: total, by: 2).map { document($0, a: total - $0) })
            let committedEntries = try scanned(outside, "a_1").count

            let transaction = try Transaction(store: store)
            let inside = transaction.collection(outside.namespace)
            try inside.insert(contentsOf: stride(from: 1, to: total, by: 2).map { document($0, a: total - $0) })
            let moved = Array(stride(from: 0, to: total, by: 100))
            for id in moved { try inside.replace(id: .int64(Int64(id)), with: ["a": .int64(Int64(-id))]) }
            let deleted = Array(stride(from: 50, to: total, by: 100))
            for id in deleted { #expect(try inside.delete(id: .int64(Int64(id)))) }
            let bufferedEntries = total / 2 + moved.count

            let (read, statistics, batches) = try readInBatches(inside, index: "a_1", reverse: reverse, batchSize: 100)

            // Every entry once, plus at most the one snapshot entry each batch looked ahead at.
            #expect(statistics.keysExamined >= committedEntries + bufferedEntries)
            #expect(statistics.keysExamined <= committedEntries + bufferedEntries + batches)
            #expect(read.count == total - deleted.count)

            try transaction.commit()
            let committed = try scanned(outside, "a_1", reverse: reverse)
            #expect(read.map(\.id) == committed.map(\.id))
            #expect(read.map(\.keyValues) == committed.map(\.keyValues))
        }
    }

    /// The `_id_` index (the collection's own records) read the same way.
    @Test func batchedIDReadsExamineEachEntryAboutOnce() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let outside = try store.collection("c", in: "db")
            let total = 6_000
            try outside.insert(contentsOf: stride(from: 0, to: total, by: 2).map { ["_id": .int64(Int64($0))] })
            let transaction = try Transaction(store: store)
            let inside = transaction.collection(outside.namespace)
            try inside.insert(contentsOf: stride(from: 1, to: total, by: 2).map { ["_id": .int64(Int64($0))] })

            let (read, statistics, batches) = try readInBatches(inside, index: "_id_", reverse: false, batchSize: 50)

            #expect(statistics.keysExamined <= total + batches)
            try transaction.commit()
            #expect(read.map(\.id) == (try outside.documents()).compactMap { $0["_id"] })
        }
    }

    /// Index `index` of `collection` read whole as a cursor reads it: parts of `batchSize`
    /// entries, each resuming after the last key of the one before.
    private func readInBatches(
        _ collection: DocumentCollection, index: String, reverse: Bool, batchSize: Int
    ) throws -> (entries: [IndexEntry], statistics: IndexScanStatistics, batches: Int) {
        var statistics = IndexScanStatistics()
        var read: [IndexEntry] = []
        var resumeKey: [UInt8]?
        var batches = 0
        repeat {
            batches += 1
            var inBatch = 0
            var stoppedAt: [UInt8]?
            try collection.scanIndex(named: index, bounds: [[.all]], reverse: reverse, after: resumeKey,
                                     statistics: &statistics) { (entry, key) throws(MongoError) -> Bool in
                read.append(entry)
                inBatch += 1
                guard inBatch < batchSize else {
                    stoppedAt = Array(key)
                    return false
                }
                return true
            }
            resumeKey = stoppedAt
        } while resumeKey != nil
        return (read, statistics, batches)
    }
}
