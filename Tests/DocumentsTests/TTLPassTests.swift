// TTL passes as the server runs them: sub-passes of bounded batches while an index has a
// full batch, the stop signal honoured before each batch and per document inside one (a
// stop mid-batch abandons that batch's commit), the pass counters, and a monitor whose
// schedule is read live (disabled, then enabled).

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

    @Test func aStopRaisedInsideABatchEndsItAtTheNextDocumentAndWritesNothingOfIt() throws {
        let documents = 400
        let signal = TTLStopSignal()
        // The TTL index is partial, so the pass evaluates its filter on every document it is
        // about to delete; the filter raises the stop once the pass is well inside its batch.
        let trigger = StopAfterEvaluations(signal: signal, evaluations: 50)
        var options = DocumentStoreOptions()
        options.predicateCompiler = { _ in trigger }
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path, options: options)
            let collection = try store.collection("c", in: "db")
            try collection.insert(contentsOf: (0 ..< documents).map { index in
                ["_id": .int32(Int32(index)), "at": .datetime(BSONDateTime(millisecondsSinceEpoch: 1000))]
            })
            try store.createIndex(on: collection.namespace, key: ["at": 1],
                                  options: ["expireAfterSeconds": 0, "partialFilterExpression": ["at": ["$exists": true]]])
            trigger.arm()
            // One batch holds every document: before, the stop was only seen after it committed.
            let stopped = try store.runTTLPass(now: BSONDateTime(millisecondsSinceEpoch: 5000), batchSize: documents,
                                               stop: signal)
            #expect(stopped.wasStopped)
            #expect(stopped.deletedDocuments == 0)
            #expect(try collection.count() == documents)
            // The pass stopped at the document after the one that raised the stop, far short
            // of the batch (each deleted document is evaluated at most twice: the expiry check
            // and the index maintenance).
            #expect(trigger.evaluationCount < 2 * trigger.stopAt + 2)
            // Nothing was left half done: an unstopped pass deletes them all.
            let finished = try store.runTTLPass(now: BSONDateTime(millisecondsSinceEpoch: 5000), batchSize: documents)
            #expect(!finished.wasStopped && finished.deletedDocuments == documents)
            #expect(try collection.count() == 0)
        }
    }
}

/// A partial-index filter that matches every document and, once armed, raises `signal`
/// at its `stopAt`-th evaluation, counting every evaluation.
private final class StopAfterEvaluations: DocumentPredicate, Sendable {
    let signal: TTLStopSignal
    let stopAt: Int
    private let state = Mutex((armed: false, count: 0))

    init(signal: TTLStopSignal, evaluations: Int) {
        self.signal = signal
        stopAt = evaluations
    }

    /// Starts counting (inserts and the index build before it do not count).
    func arm() { state.withLock { $0.armed = true } }

    /// Evaluations since armed.
    var evaluationCount: Int { state.withLock { $0.count } }

    func matches(_ document: BSONDocument) -> Bool {
        let raise = state.withLock { state -> Bool in
            guard state.armed else { return false }
            state.count += 1
            return state.count == stopAt
        }
        if raise { signal.requestStop() }
        return true
    }
}
