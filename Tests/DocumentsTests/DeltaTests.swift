// Delta updates against real RocksDB stores: folded reads equal MongoDB's semantics applied to
// BSON (seeded model test), integer widths grow, new fields make shapes that survive reopen,
// flush and compaction change nothing, operands do not grow with the document, indexes and
// missing documents are respected, and journaled deltas are durable.

import BSON
import Foundation
import Testing
@testable import Documents
@testable import Storage

/// Opens a store at `path` (statistics on when asked).
private func openStore(_ path: String, statistics: Bool = false) throws -> DocumentStore {
    var options = optionsWithCompiler
    options.storage.collectsStatistics = statistics
    return try DocumentStore(path: path, options: options)
}

private func inc(_ path: String, _ amount: BSONValue) -> FieldDelta {
    .increment(path: path.split(separator: ".").map(String.init), by: amount)
}

private func set(_ path: String, _ value: BSONValue) -> FieldDelta {
    .set(path: path.split(separator: ".").map(String.init), value: value)
}

@Suite("Delta updates")
struct DeltaTests {
    // MARK: Model

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func foldedReadsMatchMongoDBSemanticsOverRandomUpdates(seed: UInt64) throws {
        try withStoreDirectory { path in
            let final = try runModel(path: path, seed: seed)
            // The final state survives a reopen (WAL replay folds the operands again).
            try reopenAndCompare(path: path, expected: final)
        }
    }

    /// Runs the seeded model comparison in a store at `path`; returns the final documents.
    private func runModel(path: String, seed: UInt64) throws -> [Int: BSONDocument] {
        let store = try openStore(path)
        let collection = try store.collection("metrics", in: "delta")
        var fuzz = DeltaFuzz(seed: seed)
        var model: [Int: BSONDocument] = [:]
        for id in 0..<4 {
            var document = fuzz.document()
            document["_id"] = .int32(Int32(id))
            try collection.insert(document)
            let inserted = try #require(try collection.document(withID: .int32(Int32(id))))
            model[id] = inserted
        }
        var applied = 0, unchanged = 0, fellBack = 0, rejected = 0, added = 0
        for step in 0..<600 {
            let id = Int.random(in: 0..<4, using: &fuzz.random)
            let before = try #require(model[id])
            if fuzz.chance(4) {
                var replacement = fuzz.document()
                replacement["_id"] = .int32(Int32(id))
                try collection.replace(id: .int32(Int32(id)), with: replacement)
                model[id] = try collection.document(withID: .int32(Int32(id)))
                continue
            }
            if fuzz.chance(3) { try store.rocksDB.flush() }
            if fuzz.chance(2) {
                let keySpace = try #require(store.catalog.openCollection(collection.namespace)?.keySpace)
                try store.rocksDB.compactRange(in: keySpace)
            }
            let changes = fuzz.changes(for: before)
            let expected = DeltaModel.apply(changes, to: before)
            let outcome = try collection.applyDeltas(id: .int32(Int32(id)), changes, writeConcern: .acknowledged)
            let stored = try #require(try collection.document(withID: .int32(Int32(id))), "step \(step)")
            switch (outcome, expected) {
            case let (.applied(modified), .updated(document, expectedModified)):
                #expect(stored == document, "step \(step): \(changes)")
                #expect(modified == expectedModified, "step \(step): \(changes)")
                if modified { applied += 1 } else { unchanged += 1 }
                if DeltaFuzz.paths(in: stored).count > DeltaFuzz.paths(in: before).count { added += 1 }
                model[id] = stored
            case let (.notApplicable, .updated(document, _)):
                #expect(stored == before, "step \(step): nothing is written when not applicable")
                // What the caller does then: rewrite the document.
                try collection.replace(id: .int32(Int32(id)), with: document)
                model[id] = try collection.document(withID: .int32(Int32(id)))
                #expect(model[id] == document)
                fellBack += 1
            case (.notApplicable, .rejected), (.notApplicable, .throughArray):
                #expect(stored == before, "step \(step)")
                rejected += 1
            default:
                Issue.record("step \(step): \(outcome) but the model says \(expected) for \(changes)")
            }
        }
        // The run exercised every branch, deltas most of all.
        #expect(applied > 150 && added > 30, "applied \(applied), \(added) adding fields")
        #expect(unchanged > 0 && fellBack > 0 && rejected > 0, "\(unchanged) \(fellBack) \(rejected)")
        return model
    }

    private func reopenAndCompare(path: String, expected: [Int: BSONDocument]) throws {
        let store = try openStore(path)
        let collection = try store.collection("metrics", in: "delta")
        for (id, document) in expected {
            #expect(try collection.document(withID: .int32(Int32(id))) == document)
        }
    }

    // MARK: Widths and types

    @Test func aOneByteCounterGrowsPast255AsDeltas() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "small": 0, "other": 7, "ratio": 0.5, "big": .int64(3)])
            for _ in 0..<300 {
                #expect(try collection.applyDeltas(id: 1, [inc("small", 1)], writeConcern: .acknowledged) == .applied(modified: true))
            }
            #expect(try collection.document(withID: 1) == ["_id": 1, "small": 300, "other": 7, "ratio": 0.5, "big": .int64(3)])
            // Widen both integer classes at once, with a double between the integers.
            let changes = [inc("other", .int32(1 << 20)), set("big", .int64(1 << 50))]
            #expect(try collection.applyDeltas(id: 1, changes, writeConcern: .acknowledged) == .applied(modified: true))
            #expect(try collection.document(withID: 1)
                == ["_id": 1, "small": 300, "other": .int32(7 + (1 << 20)), "ratio": 0.5, "big": .int64(1 << 50)])
        }
    }

    @Test func int32OverflowBecomesAnInt64OrFallsBack() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "n": .int32(Int32.max - 1), "after": 1])
            let outcome = try collection.applyDeltas(id: 1, [inc("n", 5)], writeConcern: .acknowledged)
            // MongoDB promotes an int32 sum that overflows to an int64.
            let promoted: BSONDocument = ["_id": 1, "n": .int64(Int64(Int32.max) + 4), "after": 1]
            switch outcome {
            case .applied(modified: true):
                #expect(try collection.document(withID: 1) == promoted)
            case .notApplicable:
                #expect(try collection.document(withID: 1) == ["_id": 1, "n": .int32(Int32.max - 1), "after": 1])
            default:
                Issue.record("unexpected \(outcome)")
            }
        }
    }

    @Test func typeChangesAndVariableValuesAreNotApplicableAndWriteNothing() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "n": 1, "s": "text", "d": ["x": 1], "flag": false])
            let before = store.changeLog.latestSequence
            for changes in [[inc("n", 0.5)], [set("s", "other")], [set("d", ["y": 2])], [set("flag", true)],
                            [inc("s", 1)], [set("n.deeper", 1)], [inc("n", 1), inc("n", 2)], [set("_id", 2)]] {
                #expect(try collection.applyDeltas(id: 1, changes, writeConcern: .acknowledged) == .notApplicable)
            }
            #expect(store.changeLog.latestSequence == before)
            #expect(try collection.document(withID: 1) == ["_id": 1, "n": 1, "s": "text", "d": ["x": 1], "flag": false])
        }
    }

    @Test func noOpChangesReportUnmodifiedAndLogNothing() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "n": 5, "x": 2.5])
            let before = store.changeLog.latestSequence
            #expect(try collection.applyDeltas(id: 1, [inc("n", 0), set("x", 2.5)], writeConcern: .acknowledged)
                == .applied(modified: false))
            #expect(store.changeLog.latestSequence == before)
        }
    }

    // MARK: New fields and shapes

    @Test func newFieldsFollowMongoDBOrderAndSurviveReopen() throws {
        try withStoreDirectory { path in
            do {
                let store = try openStore(path)
                let collection = try store.collection("c", in: "delta")
                try collection.insert(["_id": 1, "minute": ["00": ["00": 1]]])
                // Numeric names in numeric order, then others by bytes: "2" < "10" < "a" < "b".
                let changes = [set("b", 1), set("a", "s"), inc("10", 1), inc("2", .int64(1)),
                               inc("minute.00.01", 1), inc("minute.01.00", 1), set("deep.er.path", ["k": true])]
                #expect(try collection.applyDeltas(id: 1, changes, writeConcern: .acknowledged) == .applied(modified: true))
            }
            let store = try openStore(path)
            let expected: BSONDocument = [
                "_id": 1, "minute": ["00": ["00": 1, "01": 1], "01": ["00": 1]],
                "2": .int64(1), "10": 1, "a": "s", "b": 1, "deep": ["er": ["path": ["k": true]]],
            ]
            #expect(try store.collection("c", in: "delta").document(withID: 1) == expected)
        }
    }

    @Test func newShapesArePersistedWithTheDelta() throws {
        try withStoreDirectory { path in
            let shapeCount: Int
            do {
                let store = try openStore(path)
                let collection = try store.collection("c", in: "delta")
                try collection.insert(["_id": 1, "h": ["00": 1]])
                let before = store.shapes.idCount
                #expect(try collection.applyDeltas(id: 1, [inc("h.01", 1), inc("m.00.00", 1)], writeConcern: .acknowledged)
                    == .applied(modified: true))
                shapeCount = store.shapes.idCount
                #expect(shapeCount > before)
                #expect(store.shapes.snapshot().shapes.allSatisfy { $0?.isPersisted ?? true })
            }
            // The registry is rebuilt from the catalog alone: every shape the record names is there.
            let store = try openStore(path)
            #expect(store.shapes.idCount == shapeCount)
            #expect(try store.collection("c", in: "delta").document(withID: 1) == ["_id": 1, "h": ["00": 1, "01": 1], "m": ["00": ["00": 1]]])
        }
    }

    @Test func layoutEdgeCasesMatchTheModel() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            // An ObjectId _id and doubles only: the record body starts without a layout byte.
            let id = BSONValue.objectId(ObjectId(bytes: [UInt8](repeating: 7, count: 12)) ?? ObjectId())
            var model: BSONDocument = [
                "_id": id, "ratio": 0.5, "empty": .document([:]), "flat": ["x": 1.5],
                "a": ["x": 1], "s": .string(String(repeating: "y", count: 240)), "b": ["z": 1], "t": "tail",
                "wide": ["pad": .string(String(repeating: "w", count: 65_200)), "n": 1],
            ]
            try collection.insert(model)
            var steps: [[FieldDelta]] = [
                [inc("n", 1)], [inc("empty.first", 1)], [set("flat.flag", true), inc("flat.count", .int64(1 << 40))],
                [inc("b.z", 300), set("b.when", .datetime(BSONDateTime(millisecondsSinceEpoch: 1 << 41)))],
            ]
            // Grow `b` (a child followed by another variable slot) past 255 bytes of data and the
            // top level past 65,535, so offset tables widen from 1 to 2 and from 2 to 3 bytes.
            for index in 0..<60 {
                steps.append([inc("a.f\(index)", .int32(Int32(index * 1_000))), inc("wide.m\(index)", 1), inc("b.z", 1),
                              set("b.s\(index)", "abcde")])
            }
            steps.append([inc("a.x", .int32(1 << 30)), inc("wide.n", .int32(-(1 << 20)))])
            for changes in steps {
                guard case let .updated(next, _) = DeltaModel.apply(changes, to: model) else {
                    Issue.record("the model rejects \(changes)")
                    return
                }
                #expect(try collection.applyDeltas(id: id, changes, writeConcern: .acknowledged) == .applied(modified: true),
                        "\(changes)")
                model = next
                #expect(try collection.document(withID: id) == model, "\(changes)")
            }
            try store.rocksDB.flush()
            #expect(try collection.document(withID: id) == model)
        }
    }

    // MARK: Storage

    @Test func collectionKeySpacesGetTheMergeOperatorAndABoundOnSuccessiveMerges() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            try store.collection("c", in: "delta").insert(["_id": 1])
            try store.rocksDB.flush()
            #expect(try store.rocksDB.statistics() == nil)
            let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("OPTIONS-") }
            let newest = try #require(names.max { $0.count == $1.count ? $0 < $1 : $0.count < $1.count })
            let text = try String(contentsOfFile: path + "/" + newest, encoding: .utf8)
            let section = try #require(text.components(separatedBy: "[CFOptions \"c.").dropFirst().first)
            #expect(section.contains("merge_operator=tessera.record-patch.v1"))
            #expect(section.contains("max_successive_merges=\(RecordPatchOperator.defaultMaxSuccessiveMerges)"))
        }
    }

    @Test func readsAfterFlushAndCompactionEqualReadsBefore() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            for id in 0..<20 { try collection.insert(["_id": .int32(Int32(id)), "daily": 0, "hourly": BSONValue.document([:])]) }
            for round in 0..<50 {
                for id in 0..<20 {
                    let changes = [inc("daily", 1), inc("hourly.\(round % 7)", .int32(Int32(id)))]
                    _ = try collection.applyDeltas(id: .int32(Int32(id)), changes, writeConcern: .acknowledged)
                }
            }
            let before = try collection.documents()
            try store.rocksDB.flush()
            #expect(try collection.documents() == before)
            let keySpace = try #require(store.catalog.openCollection(collection.namespace)?.keySpace)
            try store.rocksDB.compactRange(in: keySpace)
            #expect(try collection.documents() == before)
            #expect(before.count == 20 && before.allSatisfy { $0["daily"] == 50 })
        }
    }

    @Test func operandSizeDoesNotDependOnDocumentSize() throws {
        try withStoreDirectory { path in
            let store = try openStore(path, statistics: true)
            let collection = try store.collection("c", in: "delta")
            var big: BSONDocument = ["_id": "big", "counter": 5]
            for minute in 0..<1_440 { big.append("m\(minute)", .int32(Int32(minute % 50))) }
            try collection.insert(big)
            try collection.insert(["_id": "sml", "counter": 5])
            // The operand itself.
            let planner = RecordPatchPlanner(registry: store.shapes, sizes: RecordPatchBSONSize())
            let request = try #require(RecordPatchRequest([inc("counter", 1)]))
            var sizes: [Int] = []
            for id: BSONValue in ["big", "sml"] {
                let keySpace = try #require(store.catalog.openCollection(collection.namespace)?.keySpace)
                let record = try #require(try store.storage.get(KeyEncoding.key(for: id), in: keySpace))
                guard case let .patch(patch, shapes, _) = try planner.plan(request, record: record) else {
                    Issue.record("no patch for \(id)")
                    return
                }
                #expect(shapes.isEmpty)
                sizes.append(patch.serialized().count)
            }
            #expect(sizes.count == 2 && sizes[0] == sizes[1], "\(sizes)")
            // And what RocksDB counts as written by the whole update (key, operand, log entry).
            var written: [UInt64] = []
            for id: BSONValue in ["big", "sml"] {
                let start = try #require(try store.rocksDB.statistics()).bytesWritten
                #expect(try collection.applyDeltas(id: id, [inc("counter", 1)], writeConcern: .acknowledged) == .applied(modified: true))
                written.append(try #require(try store.rocksDB.statistics()).bytesWritten - start)
            }
            // Small: the key, the operand and the log entry (which names its collection's id).
            #expect(written[0] == written[1] && written[0] > 0 && written[0] < 220, "\(written)")
            #expect(try collection.document(withID: "big")?["counter"] == 6)
            #expect(try collection.document(withID: "big")?["m1439"] == .int32(1439 % 50))
        }
    }

    @Test func bsonSizeOfARecordMatchesItsBSONBytes() throws {
        var random = KeyOrderRandom(seed: 7)
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let sizes = RecordPatchBSONSize()
        for _ in 0..<300 {
            var document = BSONDocument()
            for index in 0..<Int.random(in: 0...6, using: &random) {
                document.append("f\(index)", RandomValues.value(&random))
            }
            // BSON cannot carry a NUL in a key; such documents have no BSON size to compare.
            guard let bson = try? document.bsonBytes() else { continue }
            let record = try encoder.encode(document).bytes
            let computed = try record.withUnsafeBytes { raw in
                try sizes.documentSize(raw, start: 0, end: raw.count, resolver: ShapeResolver(registry: registry))
            }
            #expect(computed == bson.count, "\(document)")
        }
    }

    // MARK: Catalog and change log

    @Test func indexedPathsAreNotApplicable() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "a": ["b": 1, "c": 1], "p": 1, "w": ["z": 1], "free": 1])
            try store.createIndex(on: collection.namespace, key: ["a.b": 1])
            try store.createIndex(on: collection.namespace, key: ["free": 1], options: ["partialFilterExpression": ["p": ["$gt": 0]]])
            for changes in [[inc("a.b", 1)], [set("a", 1)], [inc("a.b.c", 1)], [inc("p", 1)], [inc("free", 1)]] {
                #expect(try collection.applyDeltas(id: 1, changes, writeConcern: .acknowledged) == .notApplicable, "\(changes)")
            }
            #expect(try collection.applyDeltas(id: 1, [inc("a.c", 1)], writeConcern: .acknowledged) == .applied(modified: true))
            #expect(try collection.applyDeltas(id: 1, [inc("w.z", 1)], writeConcern: .acknowledged) == .applied(modified: true))
            #expect(try collection.document(withID: 1) == ["_id": 1, "a": ["b": 1, "c": 2], "p": 1, "w": ["z": 2], "free": 1])
        }
    }

    @Test func aRewriteFallbackRunsInTheSameCommitAndMaintainsIndexes() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "s": "text", "a": 1, "n": 1])
            try store.createIndex(on: collection.namespace, key: ["a": 1])
            func entries() -> Int64 { store.commitSectionFigures.acquisitions }
            let withS: (BSONDocument) -> BSONDocument? = { current in
                var next = current
                next["s"] = "longer text"
                return next
            }
            // A string replaced: not a delta, rewritten by the fallback in one commit.
            var before = entries()
            let logged = store.changeLog.latestSequence
            #expect(try collection.applyDeltas(id: 1, [set("s", "longer text")], writeConcern: .acknowledged, otherwise: withS)
                == .rewritten(modified: true))
            #expect(entries() - before == 1)
            #expect(try collection.document(withID: 1) == ["_id": 1, "s": "longer text", "a": 1, "n": 1])
            let entry = try #require(try store.changeLog.entries(after: logged).first)
            #expect(entry.operation == .update)
            #expect(entry.document == ["updatedFields": ["s": "longer text"], "removedFields": [], "truncatedArrays": []])
            // An indexed path: rewritten in one commit, and the index follows.
            before = entries()
            #expect(try collection.applyDeltas(id: 1, [inc("a", 1)], writeConcern: .acknowledged, otherwise: { current in
                var next = current
                next["a"] = 2
                return next
            }) == .rewritten(modified: true))
            #expect(entries() - before == 1)
            #expect(try scanned(collection, "a_1").map(\.keyValues) == [[2]])
            // A fallback that changes nothing writes and logs nothing.
            let quiet = store.changeLog.latestSequence
            #expect(try collection.applyDeltas(id: 1, [set("s", "x")], writeConcern: .acknowledged, otherwise: { _ in nil })
                == .rewritten(modified: false))
            #expect(store.changeLog.latestSequence == quiet)
            // A delta that applies never calls the fallback; a missing document is reported.
            #expect(try collection.applyDeltas(id: 1, [inc("n", 1)], writeConcern: .acknowledged, otherwise: { _ in
                Issue.record("the fallback ran for an applicable delta")
                return nil
            }) == .applied(modified: true))
            #expect(try collection.applyDeltas(id: 9, [set("s", "x")], writeConcern: .acknowledged, otherwise: withS)
                == .documentNotFound)
            // Without a fallback the same changes are handed back, unwritten.
            #expect(try collection.applyDeltas(id: 1, [set("s", "y")], writeConcern: .acknowledged) == .notApplicable)
            #expect(try collection.document(withID: 1) == ["_id": 1, "s": "longer text", "a": 2, "n": 2])
        }
    }

    @Test func anInsertFallbackUpsertsAMissingDocumentInTheSameCommit() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "n": 1, "u": 1])
            try store.createIndex(on: collection.namespace, key: ["u": 1], options: ["unique": true])
            let before = store.commitSectionFigures.acquisitions
            let logged = store.changeLog.latestSequence
            #expect(try collection.applyDeltas(id: 2, [inc("n", 1)], writeConcern: .acknowledged,
                                               orInsert: { ["_id": 2, "n": 1, "u": 2] }) == .upserted(2))
            #expect(store.commitSectionFigures.acquisitions - before == 1)
            #expect(try collection.document(withID: 2) == ["_id": 2, "n": 1, "u": 2])
            #expect(try scanned(collection, "u_1").map(\.keyValues) == [[1], [2]])
            let entry = try #require(try store.changeLog.entries(after: logged).first)
            #expect(entry.operation == .insert && entry.documentKey == 2)
            // An existing document takes the delta; the insert is never built.
            #expect(try collection.applyDeltas(id: 2, [inc("n", 1)], writeConcern: .acknowledged, orInsert: {
                Issue.record("the insert was built for an existing document")
                return [:]
            }) == .applied(modified: true))
            // A unique index refuses the upsert as it would the insert, and nothing is written.
            let refused = #expect(throws: MongoError.self) {
                try collection.applyDeltas(id: 3, [inc("n", 1)], writeConcern: .acknowledged, orInsert: { ["_id": 3, "u": 1] })
            }
            #expect(refused?.code == .duplicateKey)
            #expect(try collection.document(withID: 3) == nil)
            // A missing collection is still reported, not created.
            let other = try store.collection("absent", in: "delta")
            #expect(try other.applyDeltas(id: 1, [inc("n", 1)], writeConcern: .acknowledged, orInsert: { ["_id": 1] })
                == .documentNotFound)
        }
    }

    @Test func missingDocumentsAndCollectionsAreReported() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            #expect(try collection.applyDeltas(id: 1, [inc("n", 1)], writeConcern: .acknowledged) == .documentNotFound)
            try collection.insert(["_id": 2, "n": 1])
            #expect(try collection.applyDeltas(id: 1, [inc("n", 1)], writeConcern: .acknowledged) == .documentNotFound)
            #expect(try collection.applyDeltas(id: 2.0, [inc("n", 1)], writeConcern: .acknowledged) == .applied(modified: true))
            #expect(try collection.document(withID: 2) == ["_id": 2, "n": 2])
        }
    }

    @Test func deltasAreLoggedAsUpdateDescriptions() throws {
        try withStoreDirectory { path in
            let store = try openStore(path)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": "k", "n": 1, "h": ["00": 1]])
            let before = store.changeLog.latestSequence
            #expect(try collection.applyDeltas(id: "k", [inc("n", 2), inc("h.00", 1), inc("m.00.01", 1)], writeConcern: .acknowledged)
                == .applied(modified: true))
            let entries = try store.changeLog.entries(after: before)
            #expect(entries.count == 1)
            let entry = try #require(entries.first)
            #expect(entry.operation == .update)
            #expect(entry.documentKey == "k")
            #expect(entry.namespace == "delta.c")
            #expect(entry.document == ["updatedFields": ["n": 3, "h.00": 2, "m": ["00": ["01": 1]]], "removedFields": []])
        }
    }

    // MARK: Durability

    @Test func journaledDeltasAreSyncedAndSurviveReopen() throws {
        try withStoreDirectory { path in
            do {
                let store = try openStore(path)
                let collection = try store.collection("c", in: "delta")
                try collection.insert(["_id": 1, "n": 1], writeConcern: .journaled)
                let syncs = store.journalSyncCount
                #expect(try collection.applyDeltas(id: 1, [inc("n", 41), inc("new", 1)], writeConcern: .journaled)
                    == .applied(modified: true))
                #expect(store.journalSyncCount > syncs)
            }
            let store = try openStore(path)
            #expect(try store.collection("c", in: "delta").document(withID: 1) == ["_id": 1, "n": 42, "new": 1])
        }
    }

    @Test func shapeLimitsAndDeepPathsFallBackInsteadOfFailing() throws {
        try withStoreDirectory { path in
            var options = DocumentStoreOptions()
            options.maximumShapeCount = 8
            let store = try DocumentStore(path: path, options: options)
            let collection = try store.collection("c", in: "delta")
            try collection.insert(["_id": 1, "n": 1])
            var outcomes: [DeltaOutcome] = []
            for index in 0..<10 {
                outcomes.append(try collection.applyDeltas(id: 1, [inc("f\(index)", 1)], writeConcern: .acknowledged))
            }
            #expect(outcomes.contains(.applied(modified: true)))
            #expect(outcomes.last == .notApplicable)
            let deep = FieldDelta.increment(path: (0..<250).map { "d\($0)" }, by: 1)
            #expect(try collection.applyDeltas(id: 1, [deep], writeConcern: .acknowledged) == .notApplicable)
        }
    }

    // MARK: Patch format

    @Test func damagedOperandsFailWithoutCrashing() {
        var random = KeyOrderRandom(seed: 99)
        let base: [UInt8] = (0..<64).map { UInt8($0) }
        for _ in 0..<2_000 {
            var operand = RecordPatch(baseLength: 64, edits: [
                .splice(offset: 3, removed: 2, bytes: [1, 2, 3]), .integers(offset: 10, count: 4, oldWidth: 1, newWidth: 2),
                .table(offset: 20, count: 3, oldWidth: 1, newWidth: 2, shifts: [.init(from: 1, delta: 5)]),
                .overwrite(offset: 40, bytes: [9]),
            ]).serialized()
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<operand.count, using: &random)
                operand[index] = UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) { operand.removeLast(Int.random(in: 0..<operand.count, using: &random)) }
            var record = base
            if !operand.withUnsafeBytes({ RecordPatch.apply($0, to: &record) }) { #expect(record == base) }
        }
    }

    @Test func aPatchRefusesARecordOfAnotherLength() {
        let patch = RecordPatch(baseLength: 4, edits: [.overwrite(offset: 1, bytes: [9])]).serialized()
        var matching: [UInt8] = [1, 2, 3, 4]
        var other: [UInt8] = [1, 2, 3]
        #expect(patch.withUnsafeBytes { RecordPatch.apply($0, to: &matching) })
        #expect(matching == [1, 9, 3, 4])
        #expect(!patch.withUnsafeBytes { RecordPatch.apply($0, to: &other) })
        #expect(other == [1, 2, 3])
        let operator_ = RecordPatchOperator()
        #expect(operator_.fullMerge(key: UnsafeRawBufferPointer(start: nil, count: 0), existingValue: nil,
                                    operands: MergeOperands(pointers: nil, lengths: nil, count: 0)) == nil)
    }
}
