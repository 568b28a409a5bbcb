// Hybrid index builds on a real RocksDB store: writers (inserts, updates of the indexed field,
// deletes) go on while an index is built and the finished index holds exactly the documents'
// keys; a duplicate written during a unique build fails the build with 11000 and leaves no
// index and no key space; one written and removed again does not, nor does a write that
// failed; killOp and shutdown stop a build with 11601 / 11600 leaving nothing; the building
// index is invisible to readers.

import BSON
import Foundation
import Synchronization
import Testing
@testable import Documents

struct HybridIndexBuildTests {
    /// Documents in the collection before the build: enough that the build takes many batches.
    static let existing = 20_000

    private func seed(_ collection: DocumentCollection, count: Int = existing) throws {
        var batch: [BSONDocument] = []
        for n in 0..<count {
            batch.append(["_id": .int64(Int64(n)), "a": .int64(Int64(n)), "pad": .string(String(repeating: "x", count: 40))])
            if batch.count == 1000 {
                try collection.insert(contentsOf: batch)
                batch.removeAll()
            }
        }
        if !batch.isEmpty { try collection.insert(contentsOf: batch) }
    }

    /// Runs `body` on a new store whose collection `db.c` holds `existing` documents.
    private func withSeededCollection(_ body: (DocumentStore, DocumentCollection) throws -> Void) throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try seed(collection)
            try body(store, collection)
        }
    }

    /// Whether `namespace` has a build registered (writers maintain it, readers do not see it).
    private func isBuilding(_ store: DocumentStore, _ namespace: Namespace) -> Bool {
        store.catalog.openCollection(namespace)?.building.isEmpty == false
    }

    private func waitUntilBuilding(_ store: DocumentStore, _ namespace: Namespace) {
        while !isBuilding(store, namespace) { usleep(200) }
    }

    /// The `_id`s in index `name` (on `a`), and those of every document in `a` order (a
    /// missing `a` is null, as in the index).
    private func indexedAndExpected(_ collection: DocumentCollection, _ name: String) throws -> ([BSONValue], [BSONValue]) {
        let indexed = try scanned(collection, name).map(\.id)
        let documents = try collection.documents()
            .sorted { lhs, rhs in
                let order = BSONValue.compare(lhs["a"] ?? .null, rhs["a"] ?? .null)
                return order != 0 ? order < 0 : BSONValue.compare(lhs["_id"] ?? .null, rhs["_id"] ?? .null) < 0
            }
        return (indexed, documents.compactMap { $0["_id"] })
    }

    @Test func writesGoOnDuringABuildAndTheIndexEndsComplete() throws {
        try withSeededCollection { store, collection in
            let namespace = collection.namespace
            let done = Atomic<Bool>(false)
            let duringBuild = Atomic<Int>(0)
            let writer = Thread {
                var n = Int64(Self.existing)
                var step: Int64 = 0
                while !done.load(ordering: .acquiring) {
                    step += 1
                    do {
                        let building = isBuilding(store, namespace)
                        try collection.insert(["_id": .int64(n), "a": .int64(-n)])
                        n += 1
                        // Move an indexed value, drop a field, delete a document, all ahead of
                        // and behind the builder.
                        let target = (step * 7919) % Int64(Self.existing)
                        try collection.replace(id: .int64(target), with: ["a": .int64(target + 1_000_000)])
                        try collection.replace(id: .int64((target + 5) % Int64(Self.existing)), with: ["b": 1])
                        _ = try collection.delete(id: .int64((target + 11) % Int64(Self.existing)))
                        if building && isBuilding(store, namespace) { duringBuild.add(1, ordering: .relaxed) }
                    } catch {
                        Issue.record("write failed during the build: \(error)")
                        return
                    }
                }
            }
            writer.start()
            try store.createIndex(on: namespace, key: ["a": 1])
            done.store(true, ordering: .releasing)
            while !writer.isFinished { usleep(1000) }
            #expect(duringBuild.load(ordering: .relaxed) > 0, "no write completed while the index was being built")
            let (indexed, expected) = try indexedAndExpected(collection, "a_1")
            #expect(indexed == expected)
            let report = try store.checkConsistency()
            #expect(report.isConsistent, "\(report.problems)")
            #expect(!isBuilding(store, namespace))
        }
    }

    @Test func aDuplicateWrittenDuringAUniqueBuildFailsItAndLeavesNothing() throws {
        try withSeededCollection { store, collection in
            let namespace = collection.namespace
            let before = try store.storage.keySpaceNames
            let writeError = Mutex<(any Error)?>(nil)
            let writer = Thread {
                waitUntilBuilding(store, namespace)
                // The builder has not yet reached the end: this duplicates the last document's
                // key. A build does not refuse it; the build fails instead.
                do {
                    try collection.insert(["_id": "dup", "a": .int64(Int64(Self.existing - 1))])
                    try collection.insert(["_id": "free", "a": "unique"])
                } catch {
                    writeError.withLock { $0 = error }
                }
            }
            writer.start()
            let error = expectMongoError(.duplicateKey) {
                try store.createIndex(on: namespace, key: ["a": 1], options: ["unique": true])
            }
            while !writer.isFinished { usleep(1000) }
            #expect(writeError.withLock { $0 } == nil)
            #expect(error?.message.contains("index: a_1") == true)
            #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_"])
            #expect(!isBuilding(store, namespace))
            #expect(try store.storage.keySpaceNames.sorted() == before.sorted())
            // Writes go on with no trace of the index; removing the duplicate lets it build.
            try collection.insert(["_id": "after", "a": "unique"])
            #expect(try collection.delete(id: "after"))
            #expect(try collection.delete(id: "dup"))
            try store.createIndex(on: namespace, key: ["a": 1], options: ["unique": true])
            let (indexed, expected) = try indexedAndExpected(collection, "a_1")
            #expect(indexed == expected)
        }
    }

    @Test func aDuplicateRemovedBeforeTheBuildEndsDoesNotFailIt() throws {
        try withSeededCollection { store, collection in
            let namespace = collection.namespace
            let writer = Thread {
                waitUntilBuilding(store, namespace)
                do {
                    // Duplicates the first document (which the builder has indexed or will
                    // index), then goes away again while the build still runs.
                    try collection.insert(["_id": "dup", "a": .int64(0)])
                    _ = try collection.delete(id: "dup")
                } catch {
                    Issue.record("write failed during the build: \(error)")
                }
            }
            writer.start()
            try store.createIndex(on: namespace, key: ["a": 1], options: ["unique": true])
            while !writer.isFinished { usleep(1000) }
            let (indexed, expected) = try indexedAndExpected(collection, "a_1")
            #expect(indexed == expected)
            #expect(try store.checkConsistency().isConsistent)
        }
    }

    @Test func aWriteThatFailsNotesNothingForTheBuild() throws {
        try withSeededCollection { store, collection in
            let namespace = collection.namespace
            let writer = Thread {
                waitUntilBuilding(store, namespace)
                // The first document cannot go in {a: 1, b: 1} (parallel arrays), but the
                // insert fails as a whole on the second one's `_id`: nothing was written, so the
                // build must not fail. (With the index ready, the first would fail it with 171.)
                expectMongoError(.duplicateKey) {
                    try collection.insert(contentsOf: [["_id": "parallel", "a": [1, 2], "b": [3, 4]], ["_id": .int64(0)]])
                }
            }
            writer.start()
            try store.createIndex(on: namespace, key: ["a": 1, "b": 1])
            while !writer.isFinished { usleep(1000) }
            #expect(try collection.documents().contains { $0["_id"] == "parallel" } == false)
            #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_", "a_1_b_1"])
            #expect(try store.checkConsistency().isConsistent)
        }
    }

    @Test func killOpAndShutdownStopABuildLeavingNoIndex() throws {
        try withSeededCollection { store, collection in
            let namespace = collection.namespace
            let before = try store.storage.keySpaceNames
            for (code, shutdown) in [(MongoError.Code.interrupted, false), (.interruptedAtShutdown, true)] {
                let killSwitch = KillSwitch()
                let killer = Thread {
                    waitUntilBuilding(store, namespace)
                    // Readers never see a building index.
                    #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_"])
                    if shutdown { killSwitch.killForShutdown() } else { killSwitch.kill() }
                }
                killer.start()
                expectMongoError(code) {
                    try store.createIndex(on: namespace, key: ["a": 1], interrupt: OperationInterrupt(killSwitch: killSwitch))
                }
                while !killer.isFinished { usleep(1000) }
                #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_"])
                #expect(!isBuilding(store, namespace))
                #expect(try store.storage.keySpaceNames.sorted() == before.sorted())
            }
            try collection.insert(["_id": "after", "a": 1])
            #expect(try store.checkConsistency().isConsistent)
        }
    }
}
