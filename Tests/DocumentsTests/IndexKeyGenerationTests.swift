// Index key generation against MongoDB's B-tree key generator semantics (cases and expected
// keys follow MongoDB's btree_key_generator tests and documented multikey rules): dotted
// paths, multikey arrays, nested arrays, parallel arrays, missing and null, sparse, positions.

import BSON
import Testing
@testable import Documents

struct IndexKeyGenerationTests {
    @Test func aScalarFieldHasOneKey() throws {
        #expect(try generatedKeys(["a": 1], ["b": 4, "a": 5]) == keySet([[5]]))
        #expect(try multikeyPositions(["a": 1], ["b": 4, "a": 5]).isEmpty)
    }

    @Test func dottedPathsGoThroughEmbeddedDocuments() throws {
        #expect(try generatedKeys(["a.b": 1], ["a": ["b": 4], "c": "foo"]) == keySet([[4]]))
        #expect(try generatedKeys(["a.b.c": 1, "d.e.f": 1], ["a": ["b": ["c": 1]], "d": ["e": ["f": 2]]]) == keySet([[1, 2]]))
        // The whole embedded document is the key of its path.
        #expect(try generatedKeys(["a": 1], ["a": ["x": 1, "y": 2]]) == keySet([[["x": 1, "y": 2]]]))
    }

    @Test func anArrayGivesOneKeyPerDistinctElement() throws {
        #expect(try generatedKeys(["a": 1], ["a": [1, 2, 3]]) == keySet([[1], [2], [3]]))
        #expect(try generatedKeys(["a": 1], ["a": [0, 0, 0]]) == keySet([[0]]))
        let equivalent: BSONDocument = ["a": [.double(0), .int32(0), .int64(0)]]
        let keys = try IndexKeyGenerator(fields: IndexKeyPattern.fields(of: ["a": 1]), isSparse: false).keys(for: equivalent)
        #expect(keys.keys.count == 1)
        #expect(keys.multikeyFields == [0])
    }

    @Test func compoundKeysRepeatTheScalarFieldsForEachArrayElement() throws {
        #expect(try generatedKeys(["a": 1, "b": 1], ["a": [1, 2, 3], "b": 2]) == keySet([[1, 2], [2, 2], [3, 2]]))
        #expect(try multikeyPositions(["a": 1, "b": 1], ["a": [1, 2, 3], "b": 2]) == [0])
        #expect(try generatedKeys(["first": 1, "a": 1], ["first": 5, "a": [1, 2, 3]]) == keySet([[5, 1], [5, 2], [5, 3]]))
        #expect(try multikeyPositions(["first": 1, "a": 1], ["first": 5, "a": [1, 2, 3]]) == [1])
    }

    @Test func arraysAnywhereOnThePathAreExpanded() throws {
        #expect(try generatedKeys(["a.b": 1], ["a": ["b": [1, 2, 3]]]) == keySet([[1], [2], [3]]))
        #expect(try generatedKeys(["a.b": 1], ["a": [["b": 1, "c": 4], ["b": 2, "c": 4], ["b": 3, "c": 4]]]) == keySet([[1], [2], [3]]))
        #expect(try generatedKeys(["a.b.c": 1], ["a": ["b": [["c": 1], ["c": 2]]]]) == keySet([[1], [2]]))
        #expect(try generatedKeys(["a.b": 1], ["a": [["b": 1], ["b": [1, 2, 3]]]]) == keySet([[1], [2], [3]]))
        #expect(try generatedKeys(["a.b.c": 1], ["a": [["b": ["c": 10]], ["b": ["c": 20]]]]) == keySet([[10], [20]]))
        // Two arrays on one path are not parallel: the inner one is inside the outer's element.
        #expect(try generatedKeys(["a.b.c": 1], ["a": [1, 2, ["b": ["c": [3, 4]]]]]) == keySet([[.null], [3], [4]]))
    }

    @Test func fieldsSharingOneArrayAreGeneratedPerElement() throws {
        // Not a cartesian product: each element of `a` gives one key.
        #expect(try generatedKeys(["a.b": 1, "a.c": 1], ["a": [["b": 1], ["c": 2]]]) == keySet([[.null, 2], [1, .null]]))
        #expect(try generatedKeys(["a.b.c": 1, "a.b.d": 1], ["a": [1, 2, ["b": ["c": [3, 4], "d": 5]]]])
            == keySet([[.null, .null], [3, 5], [4, 5]]))
    }

    @Test func parallelArraysAreRefusedWithCode171() throws {
        let error = expectMongoError(.cannotIndexParallelArrays) {
            _ = try generatedKeys(["a": 1, "b": 1], ["a": [1, 2], "b": [1, 2]])
        }
        #expect(error?.message == "cannot index parallel arrays [b] [a]")
        expectMongoError(.cannotIndexParallelArrays) { _ = try generatedKeys(["a.b": 1, "a.c": 1], ["a": [["b": [1], "c": [2]]]]) }
        expectMongoError(.cannotIndexParallelArrays) { _ = try generatedKeys(["a.a": 1, "b.a": 1], ["a": ["a": [1]], "b": ["a": [1]]]) }
        // Empty arrays count too.
        expectMongoError(.cannotIndexParallelArrays) { _ = try generatedKeys(["a": 1, "b": 1], ["a": [], "b": [1, 2, 3]]) }
    }

    @Test func missingFieldsAreNull() throws {
        #expect(try generatedKeys(["a": 1], ["b": 1]) == keySet([[.null]]))
        #expect(try generatedKeys(["x": 1, "y": 1], ["x": "a"]) == keySet([["a", .null]]))
        #expect(try generatedKeys(["a": 1, "b": 1], ["c": 1]) == keySet([[.null, .null]]))
        #expect(try generatedKeys(["a.b": 1], ["a": [1, 2]]) == keySet([[.null]]))
        #expect(try generatedKeys(["a.b": 1], ["a": [["foo": 41], ["b": 1], ["b": 2]]]) == keySet([[.null], [1], [2]]))
        // A scalar where the path continues is missing, not an error.
        #expect(try generatedKeys(["a.b": 1], ["a": 5]) == keySet([[.null]]))
        // Explicit null is the same key.
        #expect(try generatedKeys(["a": 1], ["a": .null]) == keySet([[.null]]))
    }

    @Test func emptyArraysIndexUndefinedAtTheEndOfAPathAndNullInside() throws {
        #expect(try generatedKeys(["a": 1], ["a": []]) == keySet([[.undefined]]))
        #expect(try multikeyPositions(["a": 1], ["a": []]) == [0])
        #expect(try generatedKeys(["a": 1, "b": 1], ["a": 1, "b": []]) == keySet([[1, .undefined]]))
        #expect(try generatedKeys(["a.b": 1], ["a": []]) == keySet([[.null]]))
        #expect(try generatedKeys(["a": 1, "a.b": 1], ["a": []]) == keySet([[.undefined, .null]]))
        #expect(try generatedKeys(["a": 1, "a.b": 1], ["a": [["b": []]]]) == keySet([[["b": []], .undefined]]))
    }

    @Test func anArrayInsideAnArrayIsIndexedWhole() throws {
        #expect(try generatedKeys(["a": 1], ["a": [[1, 2], [3, 4]]]) == keySet([[[1, 2]], [[3, 4]]]))
        #expect(try generatedKeys(["a": 1], ["a": [[2]]]) == keySet([[[2]]]))
        #expect(try generatedKeys(["a.b": 1], ["a": [["b": [2]]]]) == keySet([[2]]))
        #expect(try multikeyPositions(["a.b": 1], ["a": [["b": [2]]]]) == [0])
    }

    @Test func sparseSkipsKeysWhoseFieldsAreAllMissing() throws {
        #expect(try generatedKeys(["a": 1], ["b": 1], sparse: true).isEmpty)
        #expect(try generatedKeys(["a.b": 1], ["a": 1], sparse: true).isEmpty)
        #expect(try generatedKeys(["a.b": 1], ["a": []], sparse: true).isEmpty)
        #expect(try generatedKeys(["a.b": 1], ["a": [["c": 1]]], sparse: true).isEmpty)
        #expect(try generatedKeys(["a.b": 1], ["a": [1, ["b": 1]]], sparse: true) == keySet([[1]]))
        #expect(try generatedKeys(["z": 1, "a.b": 1], ["a": 1], sparse: true).isEmpty)
        // One present field is enough for a compound sparse index; null is present.
        #expect(try generatedKeys(["a": 1, "b": 1], ["a": 5], sparse: true) == keySet([[5, .null]]))
        #expect(try generatedKeys(["a": 1], ["a": .null], sparse: true) == keySet([[.null]]))
        // An empty array at the end of the path is `undefined`, which is present.
        #expect(try generatedKeys(["a.b": 1, "a": 1], ["a": []], sparse: true) == keySet([[.null, .undefined]]))
    }

    @Test func positionalComponentsSelectOneElement() throws {
        #expect(try generatedKeys(["a.0": 1], ["a": [1]]) == keySet([[1]]))
        #expect(try multikeyPositions(["a.0": 1], ["a": [1]]).isEmpty)
        #expect(try generatedKeys(["a.0": 1], ["a": [[1]]]) == keySet([[[1]]]))
        #expect(try generatedKeys(["a.0": 1], ["a": [[]]]) == keySet([[.undefined]]))
        #expect(try generatedKeys(["a.0": 1], ["a": ["0": 1]]) == keySet([[1]]))
        #expect(try generatedKeys(["a.0.0": 1], ["a": [[1]]]) == keySet([[1]]))
        #expect(try generatedKeys(["a.0.0": 1], ["a": []]) == keySet([[.null]]))
        #expect(try generatedKeys(["a.0.b": 1], ["a": [["b": 1]]]) == keySet([[1]]))
        #expect(try generatedKeys(["a.0.b": 1], ["a": [[["b": 1], ["b": 2]]]]) == keySet([[1], [2]]))
        #expect(try generatedKeys(["a.b.c.3": 1], ["a": ["b": ["c": [0, 1, 2, [3]]]]]) == keySet([[[3]]]))
        // A numeric field name inside the array's elements is ambiguous.
        expectMongoError(MongoError.Code(16746, "Location16746")) { _ = try generatedKeys(["a.0": 1], ["a": [["0": 1]]]) }
    }

    @Test func keyEncodingsFollowDirection() throws {
        let ascending = IndexKeyGenerator(fields: IndexKeyPattern.fields(of: ["a": 1]), isSparse: false)
        let descending = IndexKeyGenerator(fields: IndexKeyPattern.fields(of: ["a": -1]), isSparse: false)
        let small = try #require(try ascending.keys(for: ["a": 1]).keys.first?.encoded)
        let large = try #require(try ascending.keys(for: ["a": "z"]).keys.first?.encoded)
        #expect(small.lexicographicallyPrecedes(large))
        let smallDown = try #require(try descending.keys(for: ["a": 1]).keys.first?.encoded)
        let largeDown = try #require(try descending.keys(for: ["a": "z"]).keys.first?.encoded)
        #expect(largeDown.lexicographicallyPrecedes(smallDown))
    }
}
