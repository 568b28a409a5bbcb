// Write durability: journaled writes return after a WAL fsync, concurrent journaled writers
// share fsyncs (group commit), and every acknowledged write is readable after reopen.

import BSON
import Foundation
import Storage
import Testing
@testable import Documents

struct DurabilityTests {
    @Test func concurrentJournaledWritersShareFsyncs() throws {
        try withStoreDirectory { path in
            let writers = 16
            let perWriter = 25
            weak var closing: DocumentStore?
            do {
                let store = try DocumentStore(path: path)
                closing = store
                let collection = try store.collection("c", in: "db")
                try collection.insert(["_id": "warm-up"], writeConcern: .journaled)
                let syncsBefore = store.journalSyncCount
                let failures = FailureCounter()
                let group = DispatchGroup()
                for writer in 0 ..< writers {
                    group.enter()
                    let thread = Thread {
                        defer { group.leave() }
                        for index in 0 ..< perWriter {
                            do {
                                try collection.insert(["_id": .string("\(writer)-\(index)"), "w": .int32(Int32(writer))],
                                                      writeConcern: .journaled)
                            } catch {
                                failures.record()
                            }
                        }
                    }
                    thread.start()
                }
                group.wait()
                #expect(failures.count == 0)
                let syncs = store.journalSyncCount - syncsBefore
                #expect(syncs >= 1)
                print("group commit: \(syncs) fsyncs for \(writers * perWriter) journaled writes")
                #expect(syncs < writers * perWriter, "\(syncs) fsyncs for \(writers * perWriter) writes")
                // Sequence numbers are dense and in commit order.
                let entries = try store.changeLog.entries(after: 0, limit: 10_000)
                #expect(entries.map(\.sequence) == Array(1 ... UInt64(entries.count)))
            }
            // Finished threads release their closures (and the store) a moment after leaving
            // the group; the store closes when the last reference goes.
            for _ in 0 ..< 500 where closing != nil { Thread.sleep(forTimeInterval: 0.01) }
            #expect(closing == nil)
            let reopened = try DocumentStore(path: path)
            let collection = try reopened.collection("c", in: "db")
            #expect(try collection.count() == writers * perWriter + 1)
            for writer in 0 ..< writers {
                for index in 0 ..< perWriter {
                    #expect(try collection.document(withID: .string("\(writer)-\(index)"))?["w"] == .int32(Int32(writer)))
                }
            }
        }
    }

    @Test func backgroundJournalSyncRunsOnlyWhenWritesAreUnsynced() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": "first"], writeConcern: .journaled)
            #expect(store.syncJournalIfBehind() == .upToDate)
            try collection.insert(["_id": "loose"], writeConcern: .acknowledged)
            let syncs = store.journalSyncCount
            #expect(store.syncJournalIfBehind() == .synced)
            #expect(store.journalSyncCount == syncs + 1)
            #expect(store.syncJournalIfBehind() == .upToDate)
        }
    }

    @Test func acknowledgedWritesSurviveReopen() throws {
        try withStoreDirectory { path in
            do {
                let store = try DocumentStore(path: path)
                let collection = try store.collection("c", in: "db")
                for index in 0 ..< 100 { try collection.insert(["_id": .int32(Int32(index))], writeConcern: .acknowledged) }
            }
            let store = try DocumentStore(path: path)
            #expect(try store.collection("c", in: "db").count() == 100)
        }
    }

    @Test func journaledWriteReturnsOnlyAfterAnFsync() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 0], writeConcern: .acknowledged)
            let before = store.journalSyncCount
            try collection.insert(["_id": 1], writeConcern: .journaled)
            #expect(store.journalSyncCount == before + 1)
            try collection.insert(["_id": 2], writeConcern: .acknowledged)
            #expect(store.journalSyncCount == before + 1)
            try store.waitForJournal()
            #expect(store.journalSyncCount == before + 2)
        }
    }
}

/// Counts failures reported from worker threads.
final class FailureCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func record() {
        lock.lock()
        value += 1
        lock.unlock()
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
