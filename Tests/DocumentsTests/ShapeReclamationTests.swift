// Shape reclamation on real stores (issue 14): dropping a collection gives its shapes' charge
// back at once and a sweep forgets the definitions no record names; a sweep forgets only
// unused shapes (embedded ones too) and never reuses an id while the process runs; a write
// in flight during a sweep keeps its shapes; and every count survives a restart.

import BSON
import Foundation
import Synchronization
import Testing
@testable import Documents

struct ShapeReclamationTests {
    /// A store with small shape limits whose change log keeps one entry once trimmed, so the
    /// log does not keep old shapes in use.
    private func smallStore(_ path: String, reclaimThreshold: Int = 1 << 20) throws -> DocumentStore {
        var options = DocumentStoreOptions()
        options.maximumShapeCount = 64
        options.maximumShapesPerCollection = 40
        options.shapeReclaimThreshold = reclaimThreshold
        options.changeLogRetention = ChangeLogRetention(maximumEntries: 1, maximumBytes: nil, maximumAge: nil, trimInterval: nil)
        return try DocumentStore(path: path, options: options)
    }

    /// Inserts `{_id: n, <prefix>n: n}` for n = 0, 1, … (one new shape each) until the store
    /// refuses a shape; returns the documents accepted.
    private func flood(_ collection: DocumentCollection, prefix: String) throws -> [BSONDocument] {
        var accepted: [BSONDocument] = []
        for index in 0 ..< 1000 {
            let document: BSONDocument = ["_id": .int32(Int32(index)), "\(prefix)\(index)": .int32(Int32(index))]
            do {
                try collection.insert(document)
            } catch {
                #expect(error.code == .badValue && "\(error)".contains("shapes"), "\(error)")
                return accepted
            }
            accepted.append(document)
        }
        Issue.record("the flood never reached a shape limit")
        return accepted
    }

    @Test func droppingAFloodedCollectionReleasesItsChargeAndASweepItsDefinitions() throws {
        try withStoreDirectory { path in
            var kept: [BSONDocument] = []
            var counts: (charged: Int, live: Int, released: Int, later: Int) = (0, 0, 0, 0)
            do {
                let store = try smallStore(path)
                let flooded = try flood(try store.collection("flood", in: "db"), prefix: "f")
                #expect(store.shapes.shapeCount(ownedBy: "db.flood") == store.shapes.maximumShapesPerOwner)
                // A second collection fills what the store has left.
                kept = try flood(try store.collection("other", in: "db"), prefix: "o")
                #expect(store.shapes.chargedCount == store.shapes.maximumShapeCount)
                let third = try store.collection("third", in: "db")
                expectMongoError(.badValue) { try third.insert(["_id": 1, "brandNew": 1]) }

                // The drop gives the flood's charge back at once: new shapes fit again.
                let liveBeforeDrop = store.shapes.liveCount
                let floodCharge = store.shapes.shapeCount(ownedBy: "db.flood")
                try store.dropCollection(try Namespace(database: "db", collection: "flood"))
                #expect(store.shapes.shapeCount(ownedBy: "db.flood") == 0)
                #expect(store.shapes.releasedCount == floodCharge)
                #expect(floodCharge > flooded.count)  // its documents' shapes and the `_id` shape
                #expect(store.shapes.liveCount == liveBeforeDrop)
                try third.insert(["_id": 1, "brandNew": 1])

                // A sweep, once the log no longer holds the flood, forgets every released
                // shape no record names (the `_id` shape "other" shares stays, uncharged).
                _ = try store.changeLog.trim()
                let released = store.shapes.releasedCount
                let live = store.shapes.liveCount
                let result = try store.reclaimUnusedShapes()
                #expect(result.reclaimedShapes > 0)
                #expect(result.reclaimedShapes == released - store.shapes.releasedCount)
                #expect(store.shapes.liveCount == live - result.reclaimedShapes)
                #expect(try store.collection("other", in: "db").documents() == kept)
                #expect(try third.documents() == [["_id": 1, "brandNew": 1]])
                counts = (store.shapes.chargedCount, store.shapes.liveCount, store.shapes.releasedCount,
                          store.shapes.shapeCount(ownedBy: "db.other"))
            }
            // After a restart: the same counts, the same documents, and room for new shapes.
            let store = try smallStore(path)
            #expect(store.shapes.chargedCount == counts.charged)
            #expect(store.shapes.liveCount == counts.live)
            #expect(store.shapes.releasedCount == counts.released)
            #expect(store.shapes.shapeCount(ownedBy: "db.other") == counts.later)
            #expect(try store.collection("other", in: "db").documents() == kept)
            let recreated = try store.collection("flood", in: "db")
            try recreated.insert(["_id": 1, "afterRestart": [["nested": true]]])
            #expect(try recreated.documents() == [["_id": 1, "afterRestart": [["nested": true]]]])
        }
    }

    @Test func aSweepForgetsOnlyShapesNoRecordNamesAndNeverReusesTheirIds() throws {
        try withStoreDirectory { path in
            let survivors: [BSONDocument] = [
                ["_id": 1, "a": 1, "inner": ["x": "kept"]],
                ["_id": 2, "a": 2, "list": [["y": 1], ["z": BSONValue.null]]],
            ]
            var counts: (live: Int, owned: Int) = (0, 0)
            do {
                let store = try smallStore(path)
                let collection = try store.collection("c", in: "db")
                try collection.insert(contentsOf: survivors)
                let liveBefore = store.shapes.liveCount
                let ownedBefore = store.shapes.shapeCount(ownedBy: "db.c")
                // A document with shapes of its own, at the top and embedded, then deleted.
                try collection.insert(["_id": 3, "a": 3, "gone": ["deep": ["deeper": 1]], "list": [["only3": 1]]])
                let created = store.shapes.liveCount - liveBefore
                #expect(created > 0)
                try collection.delete(id: 3)
                _ = try store.changeLog.trim()
                let idCount = store.shapes.idCount

                let result = try store.reclaimUnusedShapes()
                #expect(result.reclaimedShapes == created)
                #expect(store.shapes.liveCount == liveBefore)
                #expect(store.shapes.shapeCount(ownedBy: "db.c") == ownedBefore)
                #expect(try collection.documents() == survivors)
                // A second sweep finds nothing more.
                #expect(try store.reclaimUnusedShapes().reclaimedShapes == 0)

                // The same document again gets new ids, above every id handed out before.
                try collection.insert(["_id": 4, "a": 4, "gone": ["deep": ["deeper": 1]], "list": [["only3": 1]]])
                #expect(store.shapes.idCount == idCount + created)
                counts = (store.shapes.liveCount, store.shapes.shapeCount(ownedBy: "db.c"))
            }
            let store = try smallStore(path)
            #expect(store.shapes.liveCount == counts.live)
            #expect(store.shapes.shapeCount(ownedBy: "db.c") == counts.owned)
            #expect(try store.collection("c", in: "db").documents()
                == survivors + [["_id": 4, "a": 4, "gone": ["deep": ["deeper": 1]], "list": [["only3": 1]]]])
        }
    }

    @Test func aTransactionsShapesSurviveASweepThatRunsBeforeItCommits() throws {
        try withStoreDirectory { path in
            do {
                let store = try smallStore(path)
                let collection = try store.collection("c", in: "db")
                try collection.insert(["_id": 0, "seed": 1])
                let transaction = try Transaction(store: store)
                try transaction.collection(collection.namespace).insert(["_id": 1, "inFlight": ["new": true]])
                // The sweep sees no stored record naming the transaction's new shapes, but they
                // are not persisted yet: a write in flight owns them, so they stay.
                let result = try store.reclaimUnusedShapes()
                #expect(result.reclaimedShapes == 0)
                try transaction.commit()
                #expect(try collection.document(withID: 1) == ["_id": 1, "inFlight": ["new": true]])
                // Committed, they are persisted and named by a record: later sweeps keep them.
                #expect(try store.reclaimUnusedShapes().reclaimedShapes == 0)
            }
            let store = try smallStore(path)
            #expect(try store.collection("c", in: "db").document(withID: 1) == ["_id": 1, "inFlight": ["new": true]])
        }
    }

    @Test func aTransactionThatBeganBeforeASweepForgotShapesConflictsAndItsRetryCommits() throws {
        try withStoreDirectory { path in
            let store = try smallStore(path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(["_id": 0, "doomed": 1])
            try collection.delete(id: 0)
            _ = try store.changeLog.trim()
            // The transaction reuses nothing forgotten, but it cannot know that cheaply.
            let transaction = try Transaction(store: store)
            try transaction.collection(collection.namespace).insert(["_id": 1, "v": 1])
            #expect(try store.reclaimUnusedShapes().reclaimedShapes > 0)
            let conflict = expectMongoError(.writeConflict) { try transaction.commit() }
            #expect(conflict?.details["errorLabels"] == ["TransientTransactionError"])
            let retry = try Transaction(store: store)
            try retry.collection(collection.namespace).insert(["_id": 1, "v": 1])
            try retry.commit()
            #expect(try collection.documents() == [["_id": 1, "v": 1]])
        }
    }

    @Test func insertsRacingSweepsAlwaysLeaveReadableDocuments() throws {
        try withStoreDirectory { path in
            let writes = 200
            var expected: [BSONDocument] = []
            for index in 0 ..< writes where index % 2 == 0 {
                expected.append(Self.racingDocument(index))
            }
            do {
                var options = DocumentStoreOptions()
                options.changeLogRetention = ChangeLogRetention(maximumEntries: 1, maximumBytes: nil, maximumAge: nil,
                                                                trimInterval: 1)
                let store = try DocumentStore(path: path, options: options)
                let collection = try store.collection("race", in: "db")
                let progress = RaceProgress()
                let group = DispatchGroup()
                DispatchQueue.global().async(group: group) {
                    // Every document has shapes of its own; the odd ones are deleted again,
                    // so the sweeps have shapes to forget while the inserts go on.
                    for index in 0 ..< writes {
                        do throws(MongoError) {
                            try collection.insert(Self.racingDocument(index))
                            if index % 2 == 1 { try collection.delete(id: .int32(Int32(index))) }
                        } catch {
                            progress.failures.withLock { $0.append("\(index): \(error)") }
                        }
                    }
                    progress.finished.store(true, ordering: .releasing)
                }
                var sweeps = 0
                var reclaimed = 0
                while !progress.finished.load(ordering: .acquiring) {
                    reclaimed += try store.reclaimUnusedShapes().reclaimedShapes
                    sweeps += 1
                    // Each sweep holds the commit section: let the writer in between.
                    Thread.sleep(forTimeInterval: 0.002)
                }
                group.wait()
                let failures = progress.failures.withLock { $0 }
                #expect(failures.isEmpty, "\(failures)")
                #expect(sweeps > 0)
                #expect(try collection.documents() == expected)
                reclaimed += try store.reclaimUnusedShapes().reclaimedShapes
                #expect(reclaimed > 0)
                #expect(try collection.documents() == expected)
            }
            let store = try DocumentStore(path: path)
            #expect(try store.collection("race", in: "db").documents() == expected)
        }
    }

    /// `{_id: n, field_n: {sub_n: n}}`: two shapes no other document has.
    private static func racingDocument(_ index: Int) -> BSONDocument {
        ["_id": .int32(Int32(index)), "field\(index)": .document(["sub\(index)": .int32(Int32(index))])]
    }

    @Test func theRegistryKeepsShapesCreatedAfterASweepBeganAndTheAncestorsOfKeptOnes() throws {
        let registry = ShapeRegistry()
        let kept = try registry.shape(for: [ShapeField(name: "a", kind: .int32), ShapeField(name: "b", kind: .int32)])
        let unused = try registry.shape(for: [ShapeField(name: "c", kind: .int32)])
        registry.markPersisted([kept.parent?.id, kept.id, unused.id].compactMap { $0 })
        let highWater = registry.idCount
        let late = try registry.shape(for: [ShapeField(name: "late", kind: .string)])
        let forgotten = registry.reclaim(keeping: [kept.id], createdBefore: highWater)
        #expect(forgotten == [unused.id])
        #expect(registry.shape(withID: kept.id) === kept)
        #expect(registry.shape(withID: kept.parent?.id ?? .root) != nil)
        #expect(registry.shape(withID: late.id) === late)
        #expect(registry.shape(withID: unused.id) == nil)
        // Interning the forgotten field again makes a new shape with a new id.
        let again = try registry.shape(for: [ShapeField(name: "c", kind: .int32)])
        #expect(again !== unused && again.id > late.id)
    }
}

/// What the racing writer reports to the sweeping thread.
private final class RaceProgress: Sendable {
    let failures = Mutex<[String]>([])
    let finished = Atomic<Bool>(false)
}
