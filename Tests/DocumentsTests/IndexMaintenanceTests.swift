// Index maintenance through writes: unique keys (single, compound, null and missing, within
// one batch, multikey), parallel arrays, nothing written on error, builds over existing
// documents (aborted cleanly), writers during a build, and a seeded random workload whose
// index scans must equal an independent full-scan oracle.

import BSON
import Foundation
import Testing
@testable import Documents

struct IndexMaintenanceTests {
    @Test func aUniqueIndexRejectsASecondDocumentWithTheSameKey() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let users = try store.collection("users", in: "db")
            try store.createIndex(on: users.namespace, key: ["email": 1], options: ["unique": true])
            try users.insert(["_id": 1, "email": "x"])
            let error = expectMongoError(.duplicateKey) { try users.insert(["_id": 2, "email": "x"]) }
            #expect(error?.message == "E11000 duplicate key error collection: db.users index: email_1 dup key: { email: \"x\" }")
            #expect(try users.count() == 1)
            #expect(try scanned(users, "email_1").map(\.id) == [1])
            // Moving the first document away frees the key; replacing into a taken key fails.
            try users.replace(id: 1, with: ["email": "y"])
            try users.insert(["_id": 2, "email": "x"])
            expectMongoError(.duplicateKey) { try users.replace(id: 2, with: ["email": "y"]) }
            #expect(try users.document(withID: 2) == ["_id": 2, "email": "x"])
            // Replacing a document with its own key is no conflict.
            try users.replace(id: 2, with: ["email": "x", "name": "two"])
            #expect(try scanned(users, "email_1").map { $0.keyValues + [$0.id] } == [["x", 2], ["y", 1]])
        }
    }

    @Test func concurrentWritersOfOneUniqueKeyHaveExactlyOneWinner() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["k": 1], options: ["unique": true])
            let outcomes = LockedList()
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                do {
                    try collection.insert(["_id": .int32(Int32(worker)), "k": "same"])
                    outcomes.append("inserted")
                } catch let error as MongoError {
                    outcomes.append(error.code.name)
                } catch {
                    outcomes.append("\(error)")
                }
            }
            #expect(outcomes.items.sorted() == ["DuplicateKey", "DuplicateKey", "DuplicateKey", "DuplicateKey",
                                                "DuplicateKey", "DuplicateKey", "DuplicateKey", "inserted"])
            #expect(try collection.count() == 1)
            #expect(try scanned(collection, "k_1").count == 1)
        }
    }

    @Test func compoundUniqueKeysCollideOnlyWhenEveryFieldMatches() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1, "b": -1], options: ["unique": true])
            try collection.insert(contentsOf: [["a": 1, "b": 1], ["a": 1, "b": 2], ["a": 2, "b": 1]])
            let error = expectMongoError(.duplicateKey) { try collection.insert(["a": 1, "b": .double(1.0)]) }
            #expect(error?.message == "E11000 duplicate key error collection: db.c index: a_1_b_-1 dup key: { a: 1, b: 1.0 }")
            #expect(try collection.count() == 3)
        }
    }

    @Test func missingCountsAsNullUnlessSparseOrFilteredOut() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path, options: optionsWithCompiler)
            let plain = try store.collection("plain", in: "db")
            try store.createIndex(on: plain.namespace, key: ["a": 1], options: ["unique": true])
            try plain.insert(["_id": 1])
            let error = expectMongoError(.duplicateKey) { try plain.insert(["_id": 2, "a": .null]) }
            #expect(error?.message == "E11000 duplicate key error collection: db.plain index: a_1 dup key: { a: null }")
            expectMongoError(.duplicateKey) { try plain.insert(["_id": 3]) }

            let sparse = try store.collection("sparse", in: "db")
            try store.createIndex(on: sparse.namespace, key: ["a": 1], options: ["unique": true, "sparse": true])
            try sparse.insert(contentsOf: [["_id": 1], ["_id": 2], ["_id": 3, "a": .null]])
            expectMongoError(.duplicateKey) { try sparse.insert(["_id": 4, "a": .null]) }
            #expect(try scanned(sparse, "a_1").map(\.id) == [3])

            let partial = try store.collection("partial", in: "db")
            try store.createIndex(on: partial.namespace, key: ["a": 1], options: ["unique": true, "partialFilterExpression": ["a": ["$gt": 0]]])
            try partial.insert(contentsOf: [["_id": 1], ["_id": 2], ["_id": 3, "a": -1], ["_id": 4, "a": -1], ["_id": 5, "a": 1]])
            expectMongoError(.duplicateKey) { try partial.insert(["_id": 6, "a": 1]) }
            #expect(try scanned(partial, "a_1").map(\.id) == [5])
        }
    }

    @Test func aDuplicateInsideOneInsertManyWritesNothing() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1], options: ["unique": true])
            try store.createIndex(on: collection.namespace, key: ["b": 1])
            let before = store.changeLog.latestSequence
            expectMongoError(.duplicateKey) {
                try collection.insert(contentsOf: [["_id": 1, "a": 1, "b": 1], ["_id": 2, "a": 2, "b": 2], ["_id": 3, "a": 1, "b": 3]])
            }
            #expect(try collection.count() == 0)
            #expect(try scanned(collection, "a_1").isEmpty)
            #expect(try scanned(collection, "b_1").isEmpty)
            #expect(store.changeLog.latestSequence == before)
            #expect(collection.index(named: "b_1")?.isMultikey == false)
        }
    }

    @Test func oneDocumentMayRepeatAUniqueKeyInItsArrayButNotShareIt() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["tags": 1], options: ["unique": true])
            try collection.insert(["_id": 1, "tags": [1, 1, 2]])
            expectMongoError(.duplicateKey) { try collection.insert(["_id": 2, "tags": [3, 2]]) }
            #expect(try scanned(collection, "tags_1").map(\.keyValues) == [[1], [2]])
            #expect(collection.index(named: "tags_1")?.multikeyFields == ["tags"])
        }
    }

    @Test func parallelArraysFailTheWriteAndLeaveTheIndexAsItWas() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1, "b": 1])
            let error = expectMongoError(.cannotIndexParallelArrays) { try collection.insert(["_id": 1, "a": [1], "b": [2]]) }
            #expect(error?.message == "cannot index parallel arrays [b] [a]")
            #expect(try collection.count() == 0)
            try collection.insert(["_id": 1, "a": [1, 2], "b": 5])
            expectMongoError(.cannotIndexParallelArrays) { try collection.replace(id: 1, with: ["a": [1], "b": [2]]) }
            #expect(try collection.document(withID: 1) == ["_id": 1, "a": [1, 2], "b": 5])
            #expect(try scanned(collection, "a_1_b_1").map(\.keyValues) == [[1, 5], [2, 5]])
        }
    }

    @Test func deletesAndReplacesRemoveStaleEntries() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1])
            try collection.insert(contentsOf: [["_id": 1, "a": [1, 2, 3]], ["_id": 2, "a": 2]])
            try collection.replace(id: 1, with: ["a": [3, 4]])
            #expect(try scanned(collection, "a_1").map { $0.keyValues + [$0.id] } == [[2, 2], [3, 1], [4, 1]])
            // Same key, another numeric type: the stored value follows the document.
            try collection.replace(id: 2, with: ["a": .double(2.0)])
            #expect(try scanned(collection, "a_1").first?.keyValues == [.double(2.0)])
            try collection.delete(id: 1)
            #expect(try scanned(collection, "a_1").map(\.id) == [2])
            try collection.delete(id: 2)
            #expect(try scanned(collection, "a_1").isEmpty)
        }
    }

    @Test func createIndexBuildsOverExistingDocuments() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            // More documents than one build batch.
            try collection.insert(contentsOf: (0 ..< 2500).map { ["_id": .int32(Int32($0)), "v": .int32(Int32(2499 - $0))] })
            try collection.insert(["_id": 5000, "v": [-1, -2]])
            let index = try store.createIndex(on: collection.namespace, key: ["v": 1])
            #expect(index.isMultikey)
            let entries = try scanned(collection, "v_1")
            #expect(entries.count == 2502)
            #expect(entries.prefix(3).map(\.id) == [5000, 5000, 2499])
            #expect(entries.map { $0.keyValues[0] } == [-2, -1] + (0 ..< 2500).map { .int32(Int32($0)) })
        }
    }

    @Test func aFailedBuildLeavesNoIndexBehind() throws {
        try withStoreDirectory { path in
            let namespace = try Namespace(database: "db", collection: "c")
            do {
                let store = try DocumentStore(path: path)
                let collection = store.collection(namespace)
                try collection.insert(contentsOf: (0 ..< 1500).map { ["_id": .int32(Int32($0)), "a": .int32(Int32($0)), "p": [1], "q": .int32(Int32($0))] })
                try collection.insert(["_id": 9999, "a": 7])
                let spaces = try store.storage.keySpaceNames
                let before = store.changeLog.latestSequence
                let error = expectMongoError(.duplicateKey) {
                    try store.createIndex(on: namespace, key: ["a": 1], options: ["unique": true])
                }
                #expect(error?.message == "E11000 duplicate key error collection: db.c index: a_1 dup key: { a: 7 }")
                expectMongoError(.cannotIndexParallelArrays) {
                    try collection.replace(id: 3, with: ["a": 3, "p": [1], "q": [2]])
                    try store.createIndex(on: namespace, key: ["p": 1, "q": 1])
                }
                #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_"])
                #expect(try store.storage.keySpaceNames == spaces)
                #expect(store.changeLog.latestSequence == before + 1)  // only the replace
                // Writes go on without the index.
                try collection.insert(["_id": 10000, "a": 7])
                // A non-unique index on the same field builds.
                try store.createIndex(on: namespace, key: ["a": 1])
                #expect(try scanned(collection, "a_1").count == 1502)
            }
            let store = try DocumentStore(path: path)
            #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_", "a_1"])
            #expect(try store.storage.keySpaceNames.filter { $0.hasPrefix("i.") }.count == 1)
        }
    }

    @Test func writersDuringABuildWaitAndAreIndexed() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try collection.insert(contentsOf: (0 ..< 3000).map { ["_id": .int32(Int32($0)), "v": .int32(Int32($0 % 97))] })
            let failures = LockedList()
            DispatchQueue.concurrentPerform(iterations: 3) { worker in
                do {
                    if worker == 0 {
                        try store.createIndex(on: collection.namespace, key: ["v": 1])
                    } else {
                        for index in 0 ..< 200 {
                            let id = Int32(10000 * worker + index)
                            try collection.insert(["_id": .int32(id), "v": .int32(id % 97)])
                            if index % 3 == 0 { try collection.delete(id: .int32(Int32(index * worker))) }
                        }
                    }
                } catch {
                    failures.append("\(error)")
                }
            }
            #expect(failures.items.isEmpty)
            var oracle: [(BSONValue, BSONValue)] = []
            try collection.forEachDocument { document in
                oracle.append((document["v"] ?? .null, document["_id"] ?? .null))
                return true
            }
            oracle.sort { lhs, rhs in
                let byValue = BSONValue.compare(lhs.0, rhs.0)
                return byValue != 0 ? byValue < 0 : BSONValue.compare(lhs.1, rhs.1) < 0
            }
            let entries = try scanned(collection, "v_1")
            #expect(entries.map(\.id) == oracle.map(\.1))
        }
    }

    @Test func randomWritesKeepEveryIndexEqualToAFullScanOracle() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let collection = try store.collection("c", in: "db")
            try store.createIndex(on: collection.namespace, key: ["a": 1, "b": -1])
            try store.createIndex(on: collection.namespace, key: ["u": 1], options: ["unique": true, "sparse": true])
            try store.createIndex(on: collection.namespace, key: ["b": 1])
            var random = SeededGenerator(seed: 20_240_601)
            var model = IndexModel()
            for step in 0 ..< 500 {
                try model.applyRandomOperation(to: collection, using: &random)
                if step % 25 == 24 {
                    try model.verify(collection, using: &random)
                }
            }
            try model.verify(collection, using: &random)
            #expect(model.operations > 400)
            #expect(model.rejected > 10)
        }
    }
}

/// A thread-safe list of strings, for failures seen on worker threads.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ item: String) {
        lock.withLock { storage.append(item) }
    }

    var items: [String] {
        lock.withLock { storage }
    }
}

/// The expected contents of a collection and its three indexes, kept independently of the
/// index code: keys are derived directly from MongoDB's documented rules for these simple
/// documents (missing is null, an array gives one key per distinct element, an empty array
/// gives undefined).
struct IndexModel {
    var documents: [Int: BSONDocument] = [:]
    var operations = 0
    var rejected = 0
    var multikey = false

    static let aValues: [BSONValue?] = [
        0, 1, 2, 3, 2.5, "x", "y", .null, nil, [1, 3], [], [2, "x"], [[1]], ["k": 1], true, [3, .double(3.0)],
    ]
    static let bValues: [BSONValue?] = [0, 1, 2, "s", .null, nil]
    static let boundaryValues: [BSONValue] = [.minKey, .undefined, .null, 0, 1, 2, 2.5, 3, "x", "y", ["k": 1], [1], true, .maxKey]

    func randomDocument(_ id: Int, using random: inout SeededGenerator) -> BSONDocument {
        var document: BSONDocument = ["_id": .int32(Int32(id))]
        if let a = Self.aValues.randomElement(using: &random) ?? nil { document.append("a", a) }
        if let b = Self.bValues.randomElement(using: &random) ?? nil { document.append("b", b) }
        if Int.random(in: 0 ..< 10, using: &random) < 7 { document.append("u", .int32(Int32.random(in: 0 ..< 25, using: &random))) }
        return document
    }

    /// Whether `document`'s `u` is taken by a document other than `excluding` (and the others).
    func uniqueConflict(_ document: BSONDocument, among others: [BSONDocument]) -> Bool {
        guard let u = document["u"] else { return false }
        return others.contains { $0["u"].map { BSONValue.compare($0, u) == 0 } ?? false }
    }

    mutating func applyRandomOperation(to collection: DocumentCollection, using random: inout SeededGenerator) throws {
        operations += 1
        let choice = Int.random(in: 0 ..< 100, using: &random)
        if choice < 35 {
            let document = randomDocument(Int.random(in: 0 ..< 40, using: &random), using: &random)
            let id = Int(document["_id"]?.int64Value ?? 0)
            let fails = documents[id] != nil || uniqueConflict(document, among: Array(documents.values))
            try expectOutcome(fails) { try collection.insert(document) }
            if !fails { store(document) }
        } else if choice < 50 {
            let batch = (0 ..< Int.random(in: 2 ... 3, using: &random)).map { _ in
                randomDocument(Int.random(in: 0 ..< 40, using: &random), using: &random)
            }
            var fails = false
            var seen: [BSONDocument] = Array(documents.values)
            var ids: Set<Int> = Set(documents.keys)
            for document in batch {
                let id = Int(document["_id"]?.int64Value ?? 0)
                if !ids.insert(id).inserted || uniqueConflict(document, among: seen) { fails = true }
                seen.append(document)
            }
            try expectOutcome(fails) { try collection.insert(contentsOf: batch) }
            if !fails { batch.forEach { store($0) } }
        } else if choice < 75 {
            let id = Int.random(in: 0 ..< 40, using: &random)
            let replacement = randomDocument(id, using: &random)
            let others = documents.filter { $0.key != id }.map(\.value)
            let fails = documents[id] != nil && uniqueConflict(replacement, among: others)
            var replaced = false
            try expectOutcome(fails) { replaced = try collection.replace(id: .int32(Int32(id)), with: replacement) }
            if !fails {
                #expect(replaced == (documents[id] != nil))
                if replaced { store(replacement) }
            }
        } else {
            let id = Int.random(in: 0 ..< 40, using: &random)
            #expect(try collection.delete(id: .int32(Int32(id))) == (documents[id] != nil))
            documents[id] = nil
        }
    }

    private mutating func store(_ document: BSONDocument) {
        documents[Int(document["_id"]?.int64Value ?? 0)] = document
        if case .array = document["a"] { multikey = true }
    }

    private mutating func expectOutcome(_ fails: Bool, _ body: () throws -> Void) throws {
        do {
            try body()
            #expect(!fails, "a write the model rejects succeeded")
        } catch let error as MongoError {
            #expect(fails, "unexpected \(error)")
            #expect(error.code == .duplicateKey)
            rejected += 1
        }
    }

    /// The key values of `path` in `document` for a single-field path without nesting.
    static func values(_ document: BSONDocument, _ path: String) -> [BSONValue] {
        guard let value = document[path] else { return [.null] }
        guard case let .array(elements) = value else { return [value] }
        if elements.isEmpty { return [.undefined] }
        var distinct: [BSONValue] = []
        for element in elements where !distinct.contains(where: { BSONValue.compare($0, element) == 0 }) {
            distinct.append(element)
        }
        return distinct
    }

    /// The expected entries of an index on `paths` (with `descending` flags) in index order.
    func entries(_ paths: [String], descending: [Bool], sparse: Bool = false) -> [(keys: [BSONValue], id: BSONValue)] {
        var result: [(keys: [BSONValue], id: BSONValue)] = []
        for document in documents.values {
            if sparse && paths.allSatisfy({ document[$0] == nil }) { continue }
            var keys: [[BSONValue]] = [[]]
            for path in paths {
                keys = keys.flatMap { prefix in Self.values(document, path).map { prefix + [$0] } }
            }
            for key in keys { result.append((key, document["_id"] ?? .null)) }
        }
        result.sort { lhs, rhs in
            for (position, isDescending) in descending.enumerated() {
                let order = BSONValue.compare(lhs.keys[position], rhs.keys[position])
                if order != 0 { return isDescending ? order > 0 : order < 0 }
            }
            return BSONValue.compare(lhs.id, rhs.id) < 0
        }
        return result
    }

    func randomIntervals(using random: inout SeededGenerator) -> [IndexInterval] {
        var cuts = (0 ..< 4).map { _ in Int.random(in: 0 ..< Self.boundaryValues.count, using: &random) }.sorted()
        if Bool.random(using: &random) { cuts = Array(cuts.prefix(2)) }
        var intervals: [IndexInterval] = []
        var position = 0
        while position + 1 < cuts.count {
            let lower = Self.boundaryValues[cuts[position]]
            let upper = Self.boundaryValues[cuts[position + 1]]
            let interval = IndexInterval(lower: lower, lowerInclusive: Bool.random(using: &random),
                                         upper: upper, upperInclusive: Bool.random(using: &random))
            // Keep the union non-overlapping: a later interval starts after the previous end.
            if let last = intervals.last, BSONValue.compare(last.upper, lower) >= 0 {
                position += 2
                continue
            }
            intervals.append(interval)
            position += 2
        }
        return intervals.isEmpty ? [.all] : intervals
    }

    func verify(_ collection: DocumentCollection, using random: inout SeededGenerator) throws {
        #expect(try collection.count() == documents.count)
        let indexes: [(String, [String], [Bool], Bool)] = [
            ("a_1_b_-1", ["a", "b"], [false, true], false), ("u_1", ["u"], [false], true), ("b_1", ["b"], [false], false),
        ]
        for (name, paths, descending, sparse) in indexes {
            let expected = entries(paths, descending: descending, sparse: sparse)
            let actual = try scanned(collection, name)
            #expect(actual.count == expected.count, "\(name)")
            for (entry, want) in zip(actual, expected) {
                #expect(sameValues(entry.keyValues, want.keys) && BSONValue.compare(entry.id, want.id) == 0,
                        "\(name): \(entry.keyValues) \(entry.id) != \(want.keys) \(want.id)")
            }
        }
        #expect(collection.index(named: "a_1_b_-1")?.isMultikey == multikey)
        #expect(collection.index(named: "b_1")?.isMultikey == false)
        let all = entries(["a", "b"], descending: [false, true])
        for _ in 0 ..< 4 {
            let aBounds = randomIntervals(using: &random)
            let bBounds: [IndexInterval] = Bool.random(using: &random)
                ? [.all]
                : [.point(Self.bValues.compactMap { $0 }.randomElement(using: &random) ?? .null)]
            let expected = all.filter { entry in
                aBounds.contains { $0.contains(entry.keys[0]) } && bBounds.contains { $0.contains(entry.keys[1]) }
            }
            let reverse = Bool.random(using: &random)
            let actual = try scanned(collection, "a_1_b_-1", bounds: [aBounds, bBounds], reverse: reverse)
            let ordered = reverse ? Array(expected.reversed()) : expected
            #expect(actual.count == ordered.count, "bounds \(aBounds) \(bBounds)")
            for (entry, want) in zip(actual, ordered) {
                #expect(sameValues(entry.keyValues, want.keys) && BSONValue.compare(entry.id, want.id) == 0)
            }
        }
    }
}
