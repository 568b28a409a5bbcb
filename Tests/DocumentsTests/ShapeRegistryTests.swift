// Shape interning and the transition tree: same fields and kinds in the same order give the
// same shape, from any number of concurrent writers; shapes persist and restore.

import BSON
import Testing
@testable import Documents

@Suite("Shape registry")
struct ShapeRegistryTests {
    @Test("same field names and kinds in the same order intern to one shape")
    func internsIdenticalShapes() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let first = try encoder.encode(["a": 1, "b": "x"]).shape
        let second = try encoder.encode(["a": 2, "b": "yyy"]).shape
        var freshEncoder = RecordEncoder(registry: registry)
        let fresh = try freshEncoder.encode(["a": 3, "b": ""]).shape
        #expect(first === second)
        #expect(first === fresh)
        #expect(first.fields == [ShapeField(name: "a", kind: .int32), ShapeField(name: "b", kind: .string)])
    }

    @Test("key order, kinds and Boolean values distinguish shapes")
    func orderAndKindsDistinguishShapes() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let ab = try encoder.encode(["a": 1, "b": 2]).shape
        let ba = try encoder.encode(["b": 2, "a": 1]).shape
        let int64 = try encoder.encode(["a": .int64(1), "b": 2]).shape
        let double = try encoder.encode(["a": 1.0, "b": 2]).shape
        let yes = try encoder.encode(["a": true]).shape
        let no = try encoder.encode(["a": false]).shape
        let ids = Set([ab, ba, int64, double, yes, no].map(\.id))
        #expect(ids.count == 6)
    }

    @Test("adding a field moves to a child shape; the tree is shared by prefixes")
    func transitionsFormATree() throws {
        let registry = ShapeRegistry()
        let a = try registry.shape(for: [ShapeField(name: "a", kind: .int32)])
        let ab = try registry.child(of: a, field: ShapeField(name: "b", kind: .string))
        let ac = try registry.child(of: a, field: ShapeField(name: "c", kind: .string))
        #expect(ab.parent === a)
        #expect(ac.parent === a)
        #expect(a.parent === registry.root)
        #expect(registry.root.id == .root)
        #expect(ab.id > a.id)
        #expect(try registry.child(of: a, field: ShapeField(name: "b", kind: .string)) === ab)
        #expect(ab.fieldCount == 2)
        #expect(ab.layout.slot(named: "b") == 1)
        #expect(ab.layout.slot(named: "c") == nil)
        #expect(registry.idCount == 4)
    }

    @Test("concurrent writers interning the same shapes get one id per shape")
    func concurrentInterningGivesOneIdPerShape() async throws {
        let documents: [BSONDocument] = (0..<24).map { variant in
            var document = BSONDocument()
            for field in 0...(variant % 6) { document.append("f\(field)", .int32(Int32(field))) }
            if variant % 2 == 0 { document.append("tag", "even") }
            if variant % 3 == 0 { document.append("nested", ["x": .int32(Int32(variant)), "y": [1, "two", 3.0]]) }
            if variant % 4 == 0 { document.append("flag", .bool(variant % 8 == 0)) }
            return document
        }
        let registry = ShapeRegistry()
        let results = try await withThrowingTaskGroup(of: [ShapeID].self) { group in
            for task in 0..<8 {
                group.addTask {
                    var encoder = RecordEncoder(registry: registry)
                    var ids = [ShapeID](repeating: .root, count: documents.count)
                    for round in 0..<50 {
                        for offset in 0..<documents.count {
                            let index = (offset + task * 5 + round) % documents.count
                            ids[index] = try encoder.encode(documents[index]).shape.id
                        }
                    }
                    return ids
                }
            }
            var all: [[ShapeID]] = []
            for try await ids in group { all.append(ids) }
            return all
        }
        #expect(results.count == 8)
        for ids in results { #expect(ids == results[0]) }

        // The same documents interned one at a time make exactly as many shapes.
        let sequential = ShapeRegistry()
        var encoder = RecordEncoder(registry: sequential)
        for document in documents { _ = try encoder.encode(document) }
        #expect(registry.idCount == sequential.idCount)
        #expect(Set(registry.definitions()).count == registry.idCount - 1)
    }

    @Test("shape definitions serialize, restore a registry, and decode the old records")
    func definitionsRestoreTheRegistry() throws {
        let original = ShapeRegistry()
        var encoder = RecordEncoder(registry: original)
        let documents: [BSONDocument] = [
            ["a": 1, "b": "x"], ["a": 1, "b": "x", "c": ["d": 2.5]], ["é": .null, "": .minKey], Workloads.metricsDocument(),
        ]
        let records = try documents.map { try encoder.encode($0).bytes }
        let stored = original.definitions().map { $0.serialized() }
        let restored = try ShapeRegistry(restoring: stored.reversed().map { try ShapeDefinition(serialized: $0) })
        #expect(restored.idCount == original.idCount)
        let decoder = RecordDecoder(registry: restored)
        for (document, record) in zip(documents, records) {
            #expect(try decoder.document(record) == document)
        }
        var restoredEncoder = RecordEncoder(registry: restored)
        for (document, record) in zip(documents, records) {
            let again = try restoredEncoder.encode(document)
            #expect(again.bytes == record)
            #expect(again.unpersistedShapes.isEmpty)
        }
    }

    @Test("records report unpersisted shapes until the catalog marks them persisted")
    func reportsUnpersistedShapesUntilMarked() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        let first = try encoder.encode(["a": 1, "sub": ["x": "y"]])
        // {a}, {a, sub}, and the embedded {x}: parents before children.
        #expect(first.unpersistedShapes.map(\.field.name).sorted() == ["a", "sub", "x"])
        #expect(first.unpersistedShapes.map(\.id) == first.unpersistedShapes.map(\.id).sorted())
        let again = try encoder.encode(["a": 2, "sub": ["x": "z"]])
        #expect(again.unpersistedShapes == first.unpersistedShapes)

        registry.markPersisted(first.unpersistedShapes.map(\.id))
        #expect(try encoder.encode(["a": 3, "sub": ["x": "w"]]).unpersistedShapes.isEmpty)
        let extended = try encoder.encode(["a": 3, "sub": ["x": "w"], "c": true])
        #expect(extended.unpersistedShapes.map(\.field) == [ShapeField(name: "c", kind: .boolTrue)])

        // A child is not marked before its parent is.
        let orphan = try registry.shape(for: [ShapeField(name: "p", kind: .int32), ShapeField(name: "q", kind: .int32)])
        registry.markPersisted([orphan.id])
        #expect(!orphan.isPersisted)
    }

    @Test("inconsistent or malformed definitions are rejected with a typed error")
    func rejectsBadDefinitions() throws {
        let field = ShapeField(name: "a", kind: .int32)
        #expect(throws: RecordError.self) {
            try ShapeRegistry(restoring: [ShapeDefinition(id: ShapeID(2), parentID: ShapeID(1), field: field)])
        }
        #expect(throws: RecordError.self) {
            try ShapeRegistry(restoring: [
                ShapeDefinition(id: ShapeID(1), parentID: .root, field: field),
                ShapeDefinition(id: ShapeID(1), parentID: .root, field: ShapeField(name: "b", kind: .int32)),
            ])
        }
        #expect(throws: RecordError.self) {
            try ShapeRegistry(restoring: [
                ShapeDefinition(id: ShapeID(1), parentID: .root, field: field),
                ShapeDefinition(id: ShapeID(2), parentID: .root, field: field),
            ])
        }
        for bad: [UInt8] in [[], [9, 1, 0, 0x10], [1, 1, 0], [1, 1, 0, 0x42], [1, 0, 0, 0x10], [1, 1, 0, 0x10, 0xFF]] {
            #expect(throws: RecordError.self) { try ShapeDefinition(serialized: bad) }
        }
        let definition = ShapeDefinition(id: ShapeID(300), parentID: ShapeID(7), field: ShapeField(name: "naïve", kind: .javascriptWithScope))
        #expect(try ShapeDefinition(serialized: definition.serialized()) == definition)
    }

    @Test("restoring with a hole in the ids keeps the hole and continues after the highest id")
    func restoringToleratesHoles() throws {
        let registry = try ShapeRegistry(restoring: [
            ShapeDefinition(id: ShapeID(1), parentID: .root, field: ShapeField(name: "a", kind: .int32)),
            ShapeDefinition(id: ShapeID(3), parentID: ShapeID(1), field: ShapeField(name: "b", kind: .int32)),
        ])
        #expect(registry.shape(withID: ShapeID(2)) == nil)
        let next = try registry.shape(for: [ShapeField(name: "z", kind: .null)])
        #expect(next.id == ShapeID(4))
        var encoder = RecordEncoder(registry: registry)
        #expect(try encoder.encode(["a": 1, "b": 2]).shape.id == ShapeID(3))
    }

    @Test("the registry refuses to grow past its shape limit")
    func enforcesShapeLimit() throws {
        let registry = ShapeRegistry(maximumShapeCount: 3)
        var encoder = RecordEncoder(registry: registry)
        _ = try encoder.encode(["a": 1, "b": 1])
        #expect(throws: RecordError.tooManyShapes(limit: 3)) { try encoder.encode(["c": 1]) }
    }

    @Test("one owner running out of shapes leaves the others room, also after a restore")
    func ownerLimitIsPerOwner() throws {
        let registry = ShapeRegistry(maximumShapeCount: 100, maximumShapesPerOwner: 3)
        var hostile = RecordEncoder(registry: registry, owner: "db.hostile")
        _ = try hostile.encode(["a": 1, "b": 1, "c": 1])
        #expect(registry.shapeCount(ownedBy: "db.hostile") == 3)
        #expect(throws: RecordError.tooManyShapes(limit: 3)) { try hostile.encode(["d": 1]) }
        // Another owner may reuse the hostile owner's shapes for free and make its own.
        var other = RecordEncoder(registry: registry, owner: "db.other")
        _ = try other.encode(["a": 1, "b": 1])
        _ = try other.encode(["x": "y"])
        #expect(registry.shapeCount(ownedBy: "db.other") == 1)

        // The counts come back from the persisted definitions (written in the owned format).
        let definitions = try registry.definitions().map { try ShapeDefinition(serialized: $0.serialized()) }
        #expect(definitions.filter { $0.owner == "db.hostile" }.count == 3)
        let restored = try ShapeRegistry(restoring: definitions, maximumShapeCount: 100, maximumShapesPerOwner: 3)
        var hostileAgain = RecordEncoder(registry: restored, owner: "db.hostile")
        #expect(throws: RecordError.tooManyShapes(limit: 3)) { try hostileAgain.encode(["e": 1]) }
        var otherAgain = RecordEncoder(registry: restored, owner: "db.other")
        _ = try otherAgain.encode(["z": true])
        #expect(restored.shapeCount(ownedBy: "db.other") == 2)
    }

    @Test("definitions without an owner still parse (format 1)")
    func ownerlessDefinitionsRoundTrip() throws {
        let plain = ShapeDefinition(id: ShapeID(5), parentID: ShapeID(2), field: ShapeField(name: "k", kind: .string))
        #expect(plain.serialized().first == 1)
        #expect(try ShapeDefinition(serialized: plain.serialized()) == plain)
        let owned = ShapeDefinition(id: ShapeID(5), parentID: ShapeID(2), field: ShapeField(name: "k", kind: .string), owner: "d.c")
        #expect(try ShapeDefinition(serialized: owned.serialized()) == owned)
        // Format 2, id 5, parent 2, kind, then an owner length of 40 with 3 bytes left.
        let overlong: [UInt8] = [2, 5, 2, ValueKind.string.rawValue, 40] + Array("d.c".utf8)
        #expect(throws: RecordError.self) { try ShapeDefinition(serialized: overlong) }
    }

    @Test("a shape from another registry cannot be extended")
    func refusesForeignParents() throws {
        let mine = ShapeRegistry()
        let theirs = ShapeRegistry()
        let foreign = try theirs.shape(for: [ShapeField(name: "a", kind: .int32)])
        #expect(throws: RecordError.unknownShape(foreign.id)) {
            try mine.child(of: foreign, field: ShapeField(name: "b", kind: .int32))
        }
    }
}

