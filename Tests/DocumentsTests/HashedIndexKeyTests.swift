// Hashed index key generation (MongoDB's ExpressionKeysPrivate::getHashKeys rules): one key
// per document, the hashed field's key is the value's MongoDB hash, missing is null's hash,
// sparse skips documents missing every field, and any array on a path is error 16766.

import BSON
import Testing
@testable import Documents

struct HashedIndexKeyTests {
    private func keys(_ pattern: BSONDocument, _ document: BSONDocument, sparse: Bool = false) throws -> [[BSONValue]] {
        try IndexKeyGenerator(fields: IndexKeyPattern.fields(of: pattern), isSparse: sparse).keys(for: document).keys.map(\.values)
    }

    @Test func theHashedFieldsKeyIsTheValuesHash() throws {
        let hash = { (value: BSONValue) in BSONValue.int64(BSONValueHasher.hash64(value)) }
        #expect(try keys(["a": "hashed"], ["a": 42]) == [[hash(42)]])
        #expect(try keys(["a.b": "hashed"], ["a": ["b": "x"]]) == [[hash("x")]])
        #expect(try keys(["a": "hashed"], ["a": ["b": [1, 2]]]) == [[hash(.document(["b": [1, 2]]))]])
        #expect(try keys(["a": "hashed"], ["b": 1]) == [[hash(.null)]])
        #expect(try keys(["c": 1, "a": "hashed"], ["a": 7, "c": "k"]) == [["k", hash(7)]])
        #expect(try keys(["c": 1, "a": "hashed"], ["a": 7]) == [[.null, hash(7)]])
    }

    @Test func sparseSkipsDocumentsMissingEveryField() throws {
        #expect(try keys(["a": "hashed"], ["b": 1], sparse: true).isEmpty)
        #expect(try keys(["c": 1, "a": "hashed"], ["c": 1], sparse: true).count == 1)
    }

    @Test func arraysOnAnyPathAreRefused() {
        let terminal = expectMongoError(MongoError.Code(16766, "Location16766")) { _ = try keys(["a": "hashed"], ["a": [1]]) }
        #expect(terminal?.message.hasSuffix("Found array at path: a") == true)
        let along = expectMongoError(MongoError.Code(16766, "Location16766")) { _ = try keys(["a.b": "hashed"], ["a": [["b": 1]]]) }
        #expect(along?.message.hasSuffix("Found array at path: a") == true)
        expectMongoError(MongoError.Code(16766, "Location16766")) { _ = try keys(["c": 1, "a": "hashed"], ["c": [1], "a": 1]) }
    }
}
