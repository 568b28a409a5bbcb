// Wildcard index keys (MongoDB's WildcardKeyGenerator rules): one [path, value] key per leaf,
// arrays expanded at their own path and recorded as multikey paths, nested arrays and empty
// documents indexed whole, empty arrays as undefined, dotted field names skipped, `_id` left
// out unless projected; the projection rules and codes; and the index maintained through
// inserts, updates and deletes on a real store, multikey paths persisted in the catalog.

import BSON
import Testing
@testable import Documents

struct WildcardIndexKeyTests {
    private func spec(_ key: BSONDocument, _ options: BSONDocument = [:]) throws -> IndexSpec {
        IndexSpec(try IndexSpecValidation.validate(key: key, name: nil, options: options))
    }

    private func keys(_ key: BSONDocument, _ document: BSONDocument, _ options: BSONDocument = [:]) throws -> IndexKeyGenerator.Keys {
        try IndexKeyGenerator(try spec(key, options)).keys(for: document)
    }

    private func pairs(_ key: BSONDocument, _ document: BSONDocument, _ options: BSONDocument = [:]) throws -> Set<[UInt8]> {
        Set(try keys(key, document, options).keys.map { KeyEncoding.key(for: .array($0.values)) })
    }

    @Test func everyLeafHasOneKeyUnderItsPath() throws {
        let document: BSONDocument = ["_id": 1, "a": 1, "b": ["c": "x", "d": ["e": true]], "f": .null]
        #expect(try pairs(["$**": 1], document) == keySet([["a", 1], ["b.c", "x"], ["b.d.e", true], ["f", .null]]))
        #expect(try keys(["$**": 1], document).multikeyPaths.isEmpty)
    }

    @Test func arraysAreExpandedAtTheirOwnPathAndRecordedAsMultikey() throws {
        let document: BSONDocument = ["a": [1, ["b": 2], [3, 4], [] as BSONValue, 1], "e": [] as BSONValue, "g": ["h": [["i": 5]]]]
        let generated = try keys(["$**": 1], document)
        #expect(Set(generated.keys.map { KeyEncoding.key(for: .array($0.values)) }) == keySet([
            ["a", 1], ["a.b", 2], ["a", [3, 4]], ["a", []], ["e", .undefined], ["g.h.i", 5],
        ]))
        #expect(generated.multikeyPaths == ["a", "e", "g.h"])
        // The catalog records them sorted; the planner reads them per path.
        #expect(try spec(["$**": 1]).multikeyFields(generated.multikeyNames([])) == ["a", "e", "g.h"])
    }

    @Test func emptyDocumentsAreValuesAndDottedNamesAreSkipped() throws {
        #expect(try pairs(["$**": 1], ["a": .document([:]), "b.c": 1, "d": ["e.f": 2, "g": 3]])
            == keySet([["a", .document([:])], ["d.g", 3]]))
    }

    @Test func idIsLeftOutUnlessProjectedIn() throws {
        let document: BSONDocument = ["_id": ["k": 1], "a": 1, "b": 2]
        #expect(try pairs(["$**": 1], document) == keySet([["a", 1], ["b", 2]]))
        #expect(try pairs(["$**": 1], document, ["wildcardProjection": ["a": 1]]) == keySet([["a", 1]]))
        #expect(try pairs(["$**": 1], document, ["wildcardProjection": ["_id": 1, "a": 1]]) == keySet([["_id.k", 1], ["a", 1]]))
        #expect(try pairs(["$**": 1], document, ["wildcardProjection": ["b": 0]]) == keySet([["a", 1]]))
        #expect(try pairs(["$**": 1], document, ["wildcardProjection": ["_id": 1, "b": 0]]) == keySet([["_id.k", 1], ["a", 1]]))
        #expect(try pairs(["_id.$**": 1], document) == keySet([["_id.k", 1]]))
    }

    @Test func projectionsApplyThroughArrays() throws {
        let document: BSONDocument = ["a": [["b": 1, "c": 2], 7, ["c": 3]], "z": 9]
        // Inclusion keeps the documents on the way (an element left empty is a value) and
        // drops other values met in the array.
        #expect(try pairs(["$**": 1], document, ["wildcardProjection": ["a.b": 1]]) == keySet([["a.b", 1], ["a", .document([:])]]))
        #expect(try pairs(["a.b.$**": 1], document) == keySet([["a.b", 1], ["a", .document([:])]]))
        #expect(try pairs(["$**": 1], document, ["wildcardProjection": ["a": ["c": false]]])
            == keySet([["a.b", 1], ["a", 7], ["a", .document([:])], ["z", 9]]))
    }

    @Test func subtreePatternsIndexOnlyTheirSubtree() throws {
        #expect(try pairs(["a.$**": 1], ["a": ["b": 1], "ab": 2, "c": ["a": 3]]) == keySet([["a.b", 1]]))
        #expect(try pairs(["a.$**": 1], ["a": 5]) == keySet([["a", 5]]))
    }

    @Test func descendingPatternsStoreValuesInDescendingOrder() throws {
        let ascending = try keys(["$**": 1], ["a": 1]).keys[0].encoded
        let descending = try keys(["$**": -1], ["a": 1]).keys[0].encoded
        #expect(ascending != descending)
        #expect(try spec(["$**": -1]).fields.map(\.isDescending) == [false, true])
    }

    @Test func patternAndOptionRulesFollowMongoDB() {
        let validate = { (key: BSONDocument, options: BSONDocument) throws in
            _ = try IndexSpecValidation.validate(key: key, name: nil, options: options)
        }
        #expect(throws: Never.self) { try validate(["$**": 1], ["partialFilterExpression": ["a": ["$gt": 0]]]) }
        #expect(throws: Never.self) { try validate(["$**": -1], ["wildcardProjection": ["_id": 0, "a": 1]]) }
        #expect(throws: Never.self) { try validate(["$**": 1], ["wildcardProjection": ["_id": 1, "a": 0]]) }
        for (key, options) in [
            (["$**": 0], [:]), (["$**": 1], ["sparse": true]), (["$**": 1], ["unique": true]),
            (["$**": 1], ["expireAfterSeconds": 10]), (["$**": 1], ["v": 1]), (["$**": "hashed"], [:]),
            (["$**": "2dsphere"], [:]), (["a.$**": "text"], [:]), (["a": "wildcard"], [:]), (["$**": "wildcard"], [:]),
            (["a.$**.$**": 1], [:]), (["$**.$**": 1], [:]), (["a": 1, "$**": 1], [:]),
            (["a.$**": 1, "b": "hashed"], [:]), (["a.$**": 1, "b": 1], ["unique": true]), (["a.$**": 1, "b": 1], ["sparse": true]),
            (["a.$**": 1, "b": 1], ["expireAfterSeconds": 60]),
        ] as [(BSONDocument, BSONDocument)] {
            expectMongoError(.cannotCreateIndex) { try validate(key, options) }
        }
        expectMongoError(MongoError.Code(7246201, "Location7246201")) { try validate(["a.$**": 1, "b.$**": 1], [:]) }
        expectMongoError(.badValue) { try validate(["a": 1], ["wildcardProjection": ["a": 1]]) }
        expectMongoError(.typeMismatch) { try validate(["$**": 1], ["wildcardProjection": "a"]) }
        expectMongoError(.failedToParse) { try validate(["a.$**": 1], ["wildcardProjection": ["a": 1]]) }
        expectMongoError(.failedToParse) { try validate(["$**": 1], ["wildcardProjection": .document([:])]) }
        expectMongoError(MongoError.Code(31254, "Location31254")) { try validate(["$**": 1], ["wildcardProjection": ["a": 1, "b": 0]]) }
        expectMongoError(MongoError.Code(31253, "Location31253")) { try validate(["$**": 1], ["wildcardProjection": ["a": 0, "b": 1]]) }
        expectMongoError(MongoError.Code(51271, "Location51271")) { try validate(["$**": 1], ["wildcardProjection": ["a": 1, "b": "x"]]) }
        expectMongoError(MongoError.Code(31250, "Location31250")) { try validate(["$**": 1], ["wildcardProjection": ["a": 1, "a.b": 1]]) }
        expectMongoError(MongoError.Code(31249, "Location31249")) { try validate(["$**": 1], ["wildcardProjection": ["a.b": 1, "a": 1]]) }
    }

    @Test func compoundPatternsFollowMongoDB80() {
        let validate = { (key: BSONDocument, options: BSONDocument) throws in
            _ = try IndexSpecValidation.validate(key: key, name: nil, options: options)
        }
        // Accepted (mongod's compound_wildcard_index_validation.js cases).
        for (key, options) in [
            (["a": 1, "b.$**": 1], [:]), (["a.$**": 1, "b": 1], [:]), (["a": 1, "b.$**": -1, "c": 1], [:]),
            (["a": 1, "$**": 1], ["wildcardProjection": ["a": 0]]), (["$**": 1, "a": 1], ["wildcardProjection": ["a": 0]]),
            (["$**": 1, "other": 1], ["wildcardProjection": ["_id": 0, "a": 1]]),
            (["$**": 1, "another": 1], ["wildcardProjection": ["_id": 1, "a": 0, "another": 0]]),
            (["$**": 1, "yetAnother": 1], ["wildcardProjection": ["_id": 1]]),
            (["$**": 1, "d": 1], ["wildcardProjection": ["a": ["b": 1, "c": 1]]]),
            (["_id": 1, "$**": 1], ["wildcardProjection": ["_id": 0]]),
            (["_id": 1, "a.b": 1, "$**": 1], ["wildcardProjection": ["_id": 0, "a": 0]]),
            (["$**": 1, "_id": 1, "e.b": 1], ["wildcardProjection": ["_id": 0, "a.b": 1]]),
            (["$**": 1, "e.b": 1], ["wildcardProjection": ["_id": 1, "e": 0]]),
        ] as [(BSONDocument, BSONDocument)] {
            #expect(throws: Never.self, "\(key) \(options)") { try validate(key, options) }
        }
        let code = { (number: Int32) in MongoError.Code(number, "Location\(number)") }
        for (key, options, number) in [
            (["a": 1, "a.$**": 1], [:], 7246204), (["a.b.c": 1, "a.b.$**": 1], [:], 7246204),
            (["$**": 1, "c": 1], ["wildcardProjection": ["a.b": 1, "a.b.c": 1]], 7246200),
            (["a": 1, "$**": 1], ["wildcardProjection": ["a": 1, "b": 1]], 7246208),
            (["_id": 1, "$**": 1], ["wildcardProjection": ["_id": 1, "a": 1]], 7246208),
            (["$**": 1, "c": 1], ["wildcardProjection": ["_id": 0, "a": 0, "b": 1]], 7246211),
            (["$**": 1, "_id": 1, "e": 1], ["wildcardProjection": ["_id": 1, "e": 0]], 7246209),
            (["a": 1, "$**": 1], ["wildcardProjection": ["_id": 0, "a.b": 0]], 7246209),
            (["a": 1, "$**": 1], ["wildcardProjection": ["_id": 0]], 7246210),
            (["_id": 1, "$**": 1, "a": 1], ["wildcardProjection": ["_id": 0]], 7246210),
            (["$**": 1, "e.c": 1], ["wildcardProjection": ["_id": 1, "e.b": 0]], 7246210),
            (["st": 1, "$**": 1], ["wildcardProjection": ["a": "something"]], 51271),
        ] as [(BSONDocument, BSONDocument, Int32)] {
            expectMongoError(code(number)) { try validate(key, options) }
        }
        expectMongoError(.failedToParse) { try validate(["a": 1, "$**": 1], ["wildcardProjection": .document([:])]) }
    }

    @Test func compoundKeysCarryTheRegularFieldsAroundEachPath() throws {
        let key: BSONDocument = ["r": 1, "s.$**": 1, "t": -1]
        let document: BSONDocument = ["r": "x", "s": ["u": 1, "v": [2, 3]], "t": ["w": true]]
        let generated = try keys(key, document)
        #expect(Set(generated.keys.map { KeyEncoding.key(for: .array($0.values)) }) == keySet([
            ["x", "s.u", 1, ["w": true]], ["x", "s.v", 2, ["w": true]], ["x", "s.v", 3, ["w": true]],
        ]))
        #expect(generated.multikeyPaths == ["s.v"])
        #expect(try spec(key).fields.map(\.path) == ["r", "$_path", "$**", "t"])
        #expect(try spec(key).fields.map(\.isDescending) == [false, false, false, true])
        // No indexed path: one key with MinKey as path and value (a missing field is null);
        // neither regular field nor path: no key at all.
        #expect(try pairs(key, ["r": 5, "z": 1]) == keySet([[5, .minKey, .minKey, .null]]))
        #expect(try pairs(key, ["t": 5, "s": .document([:])]) == keySet([[.null, "s", .document([:]), 5]]))
        #expect(try keys(key, ["z": 1]).keys.isEmpty)
        // Regular fields are never multikey: mongod refuses the write.
        for refused: BSONDocument in [["r": [1, 2]], ["r": [] as BSONValue], ["t": ["w": 1], "s": ["u": 1], "r": [["a": 1]]]] {
            expectMongoError(MongoError.Code(7246301, "Location7246301")) { _ = try keys(key, refused) }
        }
        expectMongoError(MongoError.Code(7246301, "Location7246301")) { _ = try keys(["a.b": 1, "$**": 1], ["a": [["b": 1]]], ["wildcardProjection": ["a": 0]]) }
    }

    @Test func writesMaintainTheKeysAndMultikeyPaths() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let c = try store.collection("c", in: "db")
            try c.insert(["_id": 1, "a": 1, "b": ["c": "x"]])
            try store.createIndex(on: c.namespace, key: ["$**": 1], name: "w")
            try c.insert(["_id": 2, "a": [2, 3]])
            try c.insert(["_id": 3, "b": ["c": "y"]])
            let all: [[IndexInterval]] = [[.all], [.all]]
            let entries = { try scanned(c, "w", bounds: all).map { $0.keyValues + [$0.id] } }
            #expect(try entries() == [["a", 1, 1], ["a", 2, 2], ["a", 3, 2], ["b.c", "x", 1], ["b.c", "y", 3]])
            #expect(store.catalog.collection(c.namespace)?.indexes.first { $0.name == "w" }?.multikeyFields == ["a"])
            try c.replace(id: 1, with: ["a": 5, "d": [["e": 1]]])
            _ = try c.delete(id: 3)
            #expect(try entries() == [["a", 2, 2], ["a", 3, 2], ["a", 5, 1], ["d.e", 1, 1]])
            #expect(store.catalog.collection(c.namespace)?.indexes.first { $0.name == "w" }?.multikeyFields == ["a", "d"])
            // One path's point on `$_path` and a value range: what the planner scans.
            let bounded = try scanned(c, "w", bounds: [[.point("a")], [IndexInterval(lower: 3, lowerInclusive: true, upper: 10, upperInclusive: true)]])
            #expect(bounded.map(\.id) == [2, 1])
        }
    }

    @Test func indexVersionsFollowMongoDB() throws {
        let validate = { (key: BSONDocument, options: BSONDocument) throws in
            try IndexSpecValidation.validate(key: key, name: nil, options: options)
        }
        #expect(try validate(["a": 1], ["v": 1]).version == 1)
        #expect(try validate(["a": 1], ["v": 2.0]).options["v"] == .int32(2))
        #expect(try validate(["a": 1], ["v": .int64(1)]).options["v"] == .int32(1))
        #expect(try validate(["a": 1], [:]).version == 2)
        for (key, options) in [
            (["$**": 1], ["v": 0]), (["$**": 1], ["v": 1]), (["a": 1], ["v": 0]), (["a": 1], ["v": 3]),
            (["a": 1], ["v": -2]), (["a": 1], ["v": 1, "collation": ["locale": "fr"]]),
        ] as [(BSONDocument, BSONDocument)] {
            expectMongoError(.cannotCreateIndex) { _ = try validate(key, options) }
        }
        expectMongoError(.badValue) { _ = try validate(["a": 1], ["v": 1.5]) }
        expectMongoError(.badValue) { _ = try validate(["a": 1], ["v": .int64(1 << 40)]) }
        expectMongoError(.badValue) { _ = try validate(["a": 1], ["v": .double(.nan)]) }
        expectMongoError(.typeMismatch) { _ = try validate(["a": 1], ["v": "2"]) }
    }

    @Test func corruptionRemovesAndAddsTheRealWildcardKeys() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let c = try store.collection("c", in: "db")
            try store.createIndex(on: c.namespace, key: ["$**": 1], name: "w")
            try c.insert(["_id": 1, "a": ["b": 1, "c": [2, 3, 3]], "d": "x"])
            try c.insert(["_id": 2, "a": ["b": 9]])
            let all: [[IndexInterval]] = [[.all], [.all]]
            let entries = { try scanned(c, "w", bounds: all).map { $0.keyValues + [$0.id] } }
            #expect(try store.corruptIndex("w", of: c.namespace, .removeEntries(ofID: 1)) == 4)
            #expect(try entries() == [["a.b", 9, 2]])
            #expect(try store.corruptIndex("w", of: c.namespace, .addEntries(likeID: 2, phantomID: "ghost")) == 1)
            #expect(try entries() == [["a.b", 9, 2], ["a.b", 9, "ghost"]])
        }
    }
}
