// createIndex's validation with MongoDB's error codes (from MongoDB's index_key_validate and
// createIndexes rules): key pattern values, field names and the 32-field limit, unsupported
// index types, option types, TTL limits, sparse with partial, reserved names, and conflicts
// with existing indexes.

import BSON
import Testing
@testable import Documents

struct IndexSpecTests {
    private func validate(_ key: BSONDocument, name: String? = nil, _ options: BSONDocument = [:]) throws {
        _ = try IndexSpecValidation.validate(key: key, name: name, options: options)
    }

    @Test func keyPatternValuesMustBeNonZeroNumbersOrPluginNames() {
        expectMongoError(.cannotCreateIndex) { try validate([:]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": 0]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": .double(.nan)]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": true]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": ["b": 1]]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": ""]) }
        let unknown = expectMongoError(.cannotCreateIndex) { try validate(["a": "foo"]) }
        #expect(unknown?.message == "Unknown index plugin 'foo'")
        expectMongoError(.cannotCreateIndex) { try validate(["a": "text", "b": "2dsphere"]) }
        // Any positive or negative number is a direction.
        #expect(throws: Never.self) { try validate(["a": .double(0.5), "b": .int64(-3), "c": .decimal128(Decimal128("-1.5") ?? Decimal128(0 as Int64))]) }
        #expect(IndexKeyPattern.fields(of: ["a": .double(0.5), "b": .int64(-3)]).map(\.isDescending) == [false, true])
    }

    @Test func indexTypesTesseraDoesNotBuildAreRefusedWithCode67() {
        for plugin in ["geoHaystack"] {
            expectMongoError(.cannotCreateIndex) { try validate(["a": .string(plugin)]) }
        }
        // Compound wildcard indexes (MongoDB 7.0+) are built (WildcardIndexKeyTests has their rules).
        #expect(throws: Never.self) { try validate(["a": 1, "b.$**": 1]) }
    }

    @Test func twoDSphereIndexesAreStoredWithVersion3() throws {
        #expect(throws: Never.self) { try validate(["loc": "2dsphere", "club": 1, "date": -1]) }
        #expect(IndexKeyPattern.fields(of: ["loc": "2dsphere", "club": 1]).map(\.isGeo) == [true, false])
        let description = try IndexSpecValidation.validate(key: ["loc": "2dsphere"], name: nil, options: [:])
        #expect(description.options["2dsphereIndexVersion"] == .int32(3))
        expectMongoError(.cannotCreateIndex) {
            _ = try IndexSpecValidation.validate(key: ["loc": "2dsphere"], name: nil, options: ["2dsphereIndexVersion": 1])
        }
    }

    @Test func hashedPatternsFollowMongoDBsRules() {
        #expect(throws: Never.self) { try validate(["a": "hashed"]) }
        #expect(throws: Never.self) { try validate(["_id": "hashed"]) }
        #expect(throws: Never.self) { try validate(["a": 1, "b": "hashed", "c": -1]) }
        #expect(IndexKeyPattern.fields(of: ["a": 1, "b": "hashed"]).map(\.isHashed) == [false, true])
        expectMongoError(MongoError.Code(31303, "Location31303")) { try validate(["a": "hashed", "b": "hashed"]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": "hashed", "b": "text"]) }
        expectMongoError(MongoError.Code(16764, "Location16764")) { try validate(["a": "hashed"], ["unique": true]) }
        #expect(throws: Never.self) { try validate(["a": "hashed"], ["unique": false, "sparse": true]) }
    }

    @Test func aCompoundPatternHasAtMost32Fields() {
        var pattern = BSONDocument()
        for field in 0 ..< IndexKeyPattern.maximumFields { pattern.append("f\(field)", field % 2 == 0 ? 1 : -1) }
        #expect(throws: Never.self) { try validate(pattern) }
        pattern.append("one_more", 1)
        expectMongoError(.location(13103)) { try validate(pattern) }
    }

    @Test func fieldNamesMustBeIndexable() {
        expectMongoError(.cannotCreateIndex) { try validate(["": 1]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a..b": 1]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a.": 1]) }
        expectMongoError(.cannotCreateIndex) { try validate(["$a": 1]) }
        #expect(throws: Never.self) { try validate(["a.$id": 1]) }
        var repeated = BSONDocument()
        repeated.append("a", 1)
        repeated.append("a", -1)
        expectMongoError(.badValue) { try validate(repeated) }
    }

    @Test func optionsHaveMongoDBsTypesAndNames() {
        expectMongoError(.invalidIndexSpecificationOption) { try validate(["a": 1], ["foo": 1]) }
        expectMongoError(.typeMismatch) { try validate(["a": 1], ["unique": "yes"]) }
        expectMongoError(.typeMismatch) { try validate(["a": 1], ["sparse": ["x": 1]]) }
        expectMongoError(.typeMismatch) { try validate(["a": 1], ["hidden": 1]) }
        expectMongoError(.typeMismatch) { try validate(["a": 1], ["partialFilterExpression": 1]) }
        #expect(throws: Never.self) { try validate(["a": 1], ["unique": 1, "sparse": false, "hidden": true, "background": true]) }
        let described = try? IndexSpecValidation.validate(key: ["a": 1], name: nil, options: ["unique": 1, "hidden": true])
        #expect(described?.isUnique == true)
        #expect(described?.isHidden == true)
        #expect(described?.name == "a_1")
    }

    @Test func ttlNeedsOneFieldAndANonNegative32BitNumber() {
        expectMongoError(.cannotCreateIndex) { try validate(["a": 1], ["expireAfterSeconds": -1]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": 1], ["expireAfterSeconds": "soon"]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": 1], ["expireAfterSeconds": .double(.nan)]) }
        expectMongoError(.cannotCreateIndex) { try validate(["a": 1], ["expireAfterSeconds": .int64(1 << 40)]) }
        let compound = expectMongoError(.cannotCreateIndex) { try validate(["a": 1, "b": 1], ["expireAfterSeconds": 60]) }
        #expect(compound?.message.hasPrefix("TTL indexes are single-field indexes, compound indexes do not support TTL.") == true)
        let ttl = try? IndexSpecValidation.validate(key: ["a": 1], name: nil, options: ["expireAfterSeconds": .double(90.7)])
        #expect(ttl?.expireAfterSeconds == 90)
    }

    @Test func sparseAndPartialDoNotMix() {
        let error = expectMongoError(.cannotCreateIndex) {
            try validate(["a": 1], ["sparse": true, "partialFilterExpression": ["a": ["$gt": 1]]])
        }
        #expect(error?.message == "cannot mix \"partialFilterExpression\" and \"sparse\" options")
    }

    @Test func reservedNamesAndTheIdPattern() {
        expectMongoError(.badValue) { try validate(["a": 1], name: "_id_") }
        expectMongoError(.badValue) { try validate(["a": 1], name: "*") }
        expectMongoError(.invalidIndexSpecificationOption) { try validate(["_id": 1], ["unique": true]) }
        expectMongoError(.invalidIndexSpecificationOption) { try validate(["_id": 1], ["hidden": true]) }
        // {_id: -1} is an ordinary index.
        #expect(throws: Never.self) { try validate(["_id": -1]) }
    }

    @Test func createIndexReportsConflictsWithExistingIndexes() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path, options: optionsWithCompiler)
            let namespace = try Namespace(database: "db", collection: "c")
            let first = try store.createIndex(on: namespace, key: ["a": 1], options: ["unique": true])
            #expect(try store.createIndex(on: namespace, key: ["a": 1], options: ["unique": true]) == first)
            expectMongoError(.indexKeySpecsConflict) { try store.createIndex(on: namespace, key: ["b": 1], name: "a_1") }
            expectMongoError(.indexOptionsConflict) { try store.createIndex(on: namespace, key: ["a": 1]) }
            expectMongoError(.indexOptionsConflict) {
                try store.createIndex(on: namespace, key: ["a": 1], name: "again", options: ["unique": true])
            }
            // Another partial filter on the same key pattern is another index.
            try store.createIndex(on: namespace, key: ["a": 1], name: "a_partial",
                                  options: ["partialFilterExpression": ["a": ["$gt": 5]]])
            // {_id: 1} is the _id index already there.
            #expect(try store.createIndex(on: namespace, key: ["_id": 1]).name == "_id_")
            #expect(store.catalog.collection(namespace)?.indexes.map(\.name) == ["_id_", "a_1", "a_partial"])
            expectMongoError(.invalidOptions) { try store.dropIndex("_id_", on: namespace) }
        }
    }

    @Test func partialIndexesNeedAPredicateCompiler() throws {
        try withStoreDirectory { path in
            let store = try DocumentStore(path: path)
            let namespace = try Namespace(database: "db", collection: "c")
            expectMongoError(.badValue) {
                try store.createIndex(on: namespace, key: ["a": 1], options: ["partialFilterExpression": ["a": ["$gt": 1]]])
            }
            #expect(store.catalog.collection(namespace) == nil)
            #expect(try !store.storage.keySpaceNames.contains { $0.hasPrefix("i.") })
        }
        try withStoreDirectory { path in
            // The compiler's own error is createIndex's.
            let store = try DocumentStore(path: path, options: optionsWithCompiler)
            let namespace = try Namespace(database: "db", collection: "c")
            let error = expectMongoError(.badValue) {
                try store.createIndex(on: namespace, key: ["a": 1], options: ["partialFilterExpression": ["a": ["$lt": 1]]])
            }
            #expect(error?.message.hasPrefix("test compiler") == true)
        }
    }
}
