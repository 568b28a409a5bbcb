// TTL passes as the server runs them: sub-passes of bounded batches while an index has a
// full batch, the stop signal honoured before each batch, the pass counters, and a monitor
// whose schedule is read live (disabled, then enabled).

import BSON
import Foundation
import Synchronization
import Testing
@testable import Documents

struct TTLPassTests {
    private func expiredStore(_ path: String, documents: Int) throws -> (DocumentStore, DocumentCollection) {
        let store = try DocumentStore(path: path)
        let collection = try store.collection("c", in: "db")
        try store.createIndex(on: collection.namespace, key: ["at": 1], options: ["expireAfterSeconds": 0])
        try collection.insert(contentsOf: (0 ..< documents).map { index in
            ["_id": .int32(Int32(index)), "at": .datetime(BSONDateTime(millisecondsSinceEpoch: 1000))]
        })
        return (store, collection)
    }

    @Test func aPassRunsSubPassesOfBoundedBatchesAndCountsThem() throws {
        try withStoreDirectory { path in
            let (store, collection) = try expiredStore(path, documents: 250)
            let result = try store.runTTLPass(now: BSONDateTime(millisecondsSinceEpoch: 5000), batchSize: 100)
            // 100 + 100 + 50: the third batch is not full, so no fourth sub-pass.
            #expect(result == TTLPassResult(subPasses: 3, deletedDocuments: 250, wasStopped: false))
            #expect(try collection.count() == 0)
            #expect(store.ttlStatistics.passes == 1 && store.ttlStatistics.subPasses == 3)
            #expect(store.ttlStatistics.deletedDocuments == 250)
        }
    }

    @Test func aRaisedStopSignalEndsThePassBeforeItsNextBatch() throws {
        try withStoreDirectory { path in
            let (store, collection) = try expiredStore(path, documents: 50)
            let signal = TTLStopSignal()
            signal.requestStop()
            let result = try store.runTTLPass(now: BSONDateTime(millisecondsSinceEpoch: 5000), batchSize: 10, stop: signal)
            #expect(result.wasStopped && result.deletedDocuments == 0)
            #expect(try collection.count() == 50)
        }
    }

    @Test func aMonitorReadsItsScheduleBeforeEveryPass() throws {
        try withStoreDirectory { path in
            let (store, collection) = try expiredStore(path, documents: 3)
            let enabled = Mutex(false)
            store.startTTLMonitor(schedule: { TTLSchedule(isEnabled: enabled.withLock { $0 }, interval: .milliseconds(20)) })
            Thread.sleep(forTimeInterval: 0.2)
            #expect(try collection.count() == 3)
            #expect(store.ttlStatistics.passes == 0)
            enabled.withLock { $0 = true }
            let deadline = ContinuousClock.now + .seconds(10)
            while try collection.count() > 0, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            #expect(try collection.count() == 0)
            store.stopTTLMonitor()
            #expect(!store.isTTLMonitorRunning)
        }
    }
}
