// $jsonSchema: each keyword MongoDB supports, matched against values that satisfy it and
// values that do not (restrictions on another type hold, absent properties are not
// checked), the parse errors mongod gives, and the errInfo details a failure produces.

import BSON
import Documents
@testable import Query
import Testing

/// A schema and documents it must and must not match.
struct SchemaCase: Sendable, CustomTestStringConvertible {
    let keyword: String
    let schema: String
    let matching: [String]
    let failing: [String]

    var testDescription: String { "\(keyword): \(schema)" }
}

@Suite struct JSONSchemaTests {
    static let cases: [SchemaCase] = [
        SchemaCase(keyword: "bsonType", schema: #"{properties: {a: {bsonType: "int"}}}"#,
                   matching: [#"{a: 1}"#, #"{}"#], failing: [#"{a: 1.5}"#, #"{a: "x"}"#, #"{a: {$numberLong: "1"}}"#]),
        SchemaCase(keyword: "bsonType array of aliases", schema: #"{properties: {a: {bsonType: ["string", "null"]}}}"#,
                   matching: [#"{a: "x"}"#, #"{a: null}"#], failing: [#"{a: 1}"#]),
        SchemaCase(keyword: "bsonType number", schema: #"{properties: {a: {bsonType: "number"}}}"#,
                   matching: [#"{a: 1}"#, #"{a: 2.5}"#, #"{a: {$numberDecimal: "1"}}"#], failing: [#"{a: "1"}"#]),
        SchemaCase(keyword: "type", schema: #"{properties: {a: {type: "boolean"}, b: {type: "object"}}}"#,
                   matching: [#"{a: true, b: {}}"#], failing: [#"{a: 1}"#, #"{b: []}"#]),
        SchemaCase(keyword: "type number", schema: #"{properties: {a: {type: "number"}}}"#,
                   matching: [#"{a: 1}"#, #"{a: 1.5}"#], failing: [#"{a: "1"}"#]),
        SchemaCase(keyword: "top-level type", schema: #"{type: "object"}"#, matching: [#"{a: 1}"#], failing: []),
        SchemaCase(keyword: "top-level non-object type", schema: #"{bsonType: "string"}"#, matching: [], failing: [#"{a: 1}"#]),
        SchemaCase(keyword: "required", schema: #"{required: ["a", "b"]}"#,
                   matching: [#"{a: 1, b: null}"#], failing: [#"{a: 1}"#, #"{}"#]),
        SchemaCase(keyword: "nested required", schema: #"{properties: {a: {required: ["b"]}}}"#,
                   matching: [#"{a: {b: 1}}"#, #"{a: 5}"#, #"{}"#], failing: [#"{a: {c: 1}}"#]),
        SchemaCase(keyword: "properties", schema: #"{properties: {a: {properties: {b: {minimum: 2}}}}}"#,
                   matching: [#"{a: {b: 3}}"#, #"{a: {}}"#, #"{a: 1}"#], failing: [#"{a: {b: 1}}"#]),
        SchemaCase(keyword: "additionalProperties false", schema: #"{properties: {_id: {}, a: {}}, additionalProperties: false}"#,
                   matching: [#"{_id: 1, a: 1}"#, #"{_id: 1}"#], failing: [#"{_id: 1, b: 1}"#]),
        SchemaCase(keyword: "additionalProperties schema", schema: #"{properties: {_id: {}}, additionalProperties: {bsonType: "string"}}"#,
                   matching: [#"{_id: 1, x: "a"}"#], failing: [#"{_id: 1, x: 1}"#]),
        SchemaCase(keyword: "patternProperties", schema: #"{patternProperties: {"^n_": {bsonType: "int"}}}"#,
                   matching: [#"{n_a: 1, other: "x"}"#], failing: [#"{n_a: "x"}"#]),
        SchemaCase(keyword: "patternProperties with additionalProperties false",
                   schema: #"{properties: {_id: {}}, patternProperties: {"^s": {}}, additionalProperties: false}"#,
                   matching: [#"{_id: 1, size: 2}"#], failing: [#"{_id: 1, count: 2}"#]),
        SchemaCase(keyword: "minimum", schema: #"{properties: {a: {minimum: 5}}}"#,
                   matching: [#"{a: 5}"#, #"{a: 7.5}"#, #"{a: "x"}"#, #"{}"#], failing: [#"{a: 4}"#, #"{a: {$numberLong: "-1"}}"#]),
        SchemaCase(keyword: "exclusiveMinimum", schema: #"{properties: {a: {minimum: 5, exclusiveMinimum: true}}}"#,
                   matching: [#"{a: 6}"#], failing: [#"{a: 5}"#]),
        SchemaCase(keyword: "maximum", schema: #"{properties: {a: {maximum: 5}}}"#,
                   matching: [#"{a: 5}"#, #"{a: -1}"#, #"{a: [100]}"#], failing: [#"{a: 5.5}"#]),
        SchemaCase(keyword: "exclusiveMaximum", schema: #"{properties: {a: {maximum: 5, exclusiveMaximum: true}}}"#,
                   matching: [#"{a: 4}"#], failing: [#"{a: 5}"#]),
        SchemaCase(keyword: "multipleOf", schema: #"{properties: {a: {multipleOf: 3}}}"#,
                   matching: [#"{a: 9}"#, #"{a: 0}"#, #"{a: "x"}"#], failing: [#"{a: 10}"#]),
        SchemaCase(keyword: "minLength", schema: #"{properties: {a: {minLength: 3}}}"#,
                   matching: [#"{a: "abc"}"#, #"{a: "héé"}"#, #"{a: 1}"#], failing: [#"{a: "ab"}"#]),
        SchemaCase(keyword: "maxLength counts code points", schema: #"{properties: {a: {maxLength: 2}}}"#,
                   matching: [#"{a: "éé"}"#], failing: [#"{a: "abc"}"#]),
        SchemaCase(keyword: "pattern", schema: #"{properties: {a: {pattern: "^a.c$"}}}"#,
                   matching: [#"{a: "abc"}"#, #"{a: 5}"#], failing: [#"{a: "abd"}"#]),
        SchemaCase(keyword: "enum", schema: #"{properties: {a: {enum: [1, "x", {b: 1, c: 2}]}}}"#,
                   matching: [#"{a: 1.0}"#, #"{a: "x"}"#, #"{a: {c: 2, b: 1}}"#], failing: [#"{a: 2}"#, #"{a: [1]}"#]),
        SchemaCase(keyword: "items schema", schema: #"{properties: {a: {items: {bsonType: "int"}}}}"#,
                   matching: [#"{a: [1, 2]}"#, #"{a: []}"#, #"{a: "x"}"#], failing: [#"{a: [1, "x"]}"#]),
        SchemaCase(keyword: "items list", schema: #"{properties: {a: {items: [{bsonType: "int"}, {bsonType: "string"}]}}}"#,
                   matching: [#"{a: [1, "x", true]}"#, #"{a: [1]}"#], failing: [#"{a: ["x", 1]}"#]),
        SchemaCase(keyword: "additionalItems false", schema: #"{properties: {a: {items: [{}], additionalItems: false}}}"#,
                   matching: [#"{a: [1]}"#], failing: [#"{a: [1, 2]}"#]),
        SchemaCase(keyword: "additionalItems schema", schema: #"{properties: {a: {items: [{}], additionalItems: {bsonType: "int"}}}}"#,
                   matching: [#"{a: ["x", 2]}"#], failing: [#"{a: ["x", "y"]}"#]),
        SchemaCase(keyword: "minItems", schema: #"{properties: {a: {minItems: 2}}}"#,
                   matching: [#"{a: [1, 2]}"#, #"{a: 1}"#], failing: [#"{a: [1]}"#]),
        SchemaCase(keyword: "maxItems", schema: #"{properties: {a: {maxItems: 1}}}"#,
                   matching: [#"{a: [1]}"#], failing: [#"{a: [1, 2]}"#]),
        SchemaCase(keyword: "uniqueItems", schema: #"{properties: {a: {uniqueItems: true}}}"#,
                   matching: [#"{a: [1, 2]}"#], failing: [#"{a: [1, 1.0]}"#, #"{a: [{x: 1, y: 2}, {y: 2, x: 1}]}"#]),
        SchemaCase(keyword: "minProperties", schema: #"{minProperties: 2}"#, matching: [#"{a: 1, b: 2}"#], failing: [#"{a: 1}"#]),
        SchemaCase(keyword: "maxProperties", schema: #"{properties: {a: {maxProperties: 1}}}"#,
                   matching: [#"{a: {x: 1}}"#], failing: [#"{a: {x: 1, y: 2}}"#]),
        SchemaCase(keyword: "allOf", schema: #"{properties: {a: {allOf: [{minimum: 1}, {maximum: 3}]}}}"#,
                   matching: [#"{a: 2}"#], failing: [#"{a: 4}"#, #"{a: 0}"#]),
        SchemaCase(keyword: "anyOf", schema: #"{properties: {a: {anyOf: [{bsonType: "string"}, {minimum: 10}]}}}"#,
                   matching: [#"{a: "x"}"#, #"{a: 11}"#], failing: [#"{a: 5}"#]),
        SchemaCase(keyword: "oneOf", schema: #"{properties: {a: {oneOf: [{minimum: 5}, {maximum: 10}]}}}"#,
                   matching: [#"{a: 11}"#, #"{a: 1}"#], failing: [#"{a: 7}"#]),
        SchemaCase(keyword: "not", schema: #"{properties: {a: {not: {bsonType: "string"}}}}"#,
                   matching: [#"{a: 1}"#], failing: [#"{a: "x"}"#]),
        SchemaCase(keyword: "dependencies on properties", schema: #"{dependencies: {a: ["b"]}}"#,
                   matching: [#"{a: 1, b: 2}"#, #"{b: 1}"#], failing: [#"{a: 1}"#]),
        SchemaCase(keyword: "dependencies on a schema", schema: #"{dependencies: {a: {required: ["c"]}}}"#,
                   matching: [#"{a: 1, c: 2}"#, #"{}"#], failing: [#"{a: 1}"#]),
        SchemaCase(keyword: "title and description are ignored", schema: #"{title: "t", description: "d", required: ["a"]}"#,
                   matching: [#"{a: 1}"#], failing: [#"{}"#]),
    ]

    @Test(arguments: cases)
    func keywordMatchesAsMongoDB(_ example: SchemaCase) throws {
        let schema = try JSONSchema(doc(example.schema))
        for text in example.matching {
            #expect(schema.matches(document: doc(text)), "\(text) should match")
        }
        for text in example.failing {
            #expect(!schema.matches(document: doc(text)), "\(text) should not match")
        }
    }

    @Test func jsonSchemaIsAQueryOperator() throws {
        let filter = try Filter(doc(#"{$jsonSchema: {required: ["a"]}, b: 1}"#))
        #expect(filter.matches(doc(#"{a: 0, b: 1}"#)))
        #expect(!filter.matches(doc(#"{b: 1}"#)))
        #expect(try Filter(doc(#"{$nor: [{$jsonSchema: {required: ["a"]}}]}"#)).matches(doc(#"{b: 1}"#)))
    }

    static let errors: [(String, Int32, String)] = [
        (#"{foo: 1}"#, 9, "Unknown $jsonSchema keyword: foo"),
        (#"{format: "date"}"#, 9, "$jsonSchema keyword 'format' is not currently supported"),
        (##"{$ref: "#/x"}"##, 9, "$jsonSchema keyword '$ref' is not currently supported"),
        (#"{type: "object", bsonType: "object"}"#, 9, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'"),
        (#"{type: "integer"}"#, 9, "$jsonSchema type 'integer' is not currently supported."),
        (#"{bsonType: "wat"}"#, 2, "Unknown type name alias: wat"),
        (#"{type: 1}"#, 14, "$jsonSchema keyword 'type' must be either a string or an array of strings"),
        (#"{required: []}"#, 9, "$jsonSchema keyword 'required' cannot be an empty array"),
        (#"{required: ["a", "a"]}"#, 9, "$jsonSchema keyword 'required' array cannot contain duplicate values"),
        (#"{minimum: "1"}"#, 14, "$jsonSchema keyword 'minimum' must be a number"),
        (#"{exclusiveMinimum: true}"#, 9, "$jsonSchema keyword 'minimum' must be a present if exclusiveMinimum is present"),
        (#"{enum: []}"#, 9, "$jsonSchema keyword 'enum' cannot be an empty array"),
        (#"{multipleOf: 0}"#, 9, "$jsonSchema keyword 'multipleOf' must have a positive value"),
        (#"{allOf: []}"#, 2, "$jsonSchema keyword 'allOf' must be a non-empty array"),
        (#"{properties: {a: 1}}"#, 14, "Nested schema for $jsonSchema property 'a' must be an object"),
        (#"{description: 1}"#, 14, "$jsonSchema keyword 'description' must be of type string"),
    ]

    @Test func malformedSchemasGetMongoDBsErrors() {
        for (text, code, message) in Self.errors {
            do throws(MongoError) {
                _ = try JSONSchema(doc(text))
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.code.rawValue == code, "\(text)")
                #expect(error.message == message, "\(text)")
            }
        }
    }

    @Test func failureDetailsNameTheRulesThatFailed() throws {
        let validator = doc(#"""
            {$jsonSchema: {required: ["name", "age"], properties: {
                age: {bsonType: "int", minimum: 18, description: "an adult's age"},
                tags: {uniqueItems: true}}}}
            """#)
        let document = doc(#"{_id: 7, age: 12, tags: ["a", "a"]}"#)
        let details = ValidationErrorDetails(document: document).details(for: validator)
        #expect(details["operatorName"] == "$jsonSchema")
        let rules = try #require(details["schemaRulesNotSatisfied"]?.arrayValue?.compactMap { $0.documentValue })
        let required = try #require(rules.first { $0["operatorName"] == "required" })
        #expect(required["missingProperties"] == ["name"])
        let properties = try #require(rules.first { $0["operatorName"] == "properties" })
        let failing = try #require(properties["propertiesNotSatisfied"]?.arrayValue?.compactMap { $0.documentValue })
        #expect(failing.map { $0["propertyName"] } == ["age", "tags"])
        #expect(failing[0]["description"] == "an adult's age")
        let ageRule = try #require(failing[0]["details"]?.arrayValue?.first?.documentValue)
        #expect(ageRule == ["operatorName": "minimum", "specifiedAs": ["minimum": 18], "reason": "comparison failed",
                            "consideredValue": 12])
        let tagsRule = try #require(failing[1]["details"]?.arrayValue?.first?.documentValue)
        #expect(tagsRule["reason"] == "found a duplicate item")
        #expect(tagsRule["duplicatedValue"] == "a")
    }

    @Test func queryOperatorValidatorsExplainEachFailedClause() throws {
        let validator = doc(#"{a: {$gt: 5}, b: {$type: "string"}, c: {$exists: true}}"#)
        let details = ValidationErrorDetails(document: doc(#"{_id: 1, a: 3, b: "ok"}"#)).details(for: validator)
        #expect(details["operatorName"] == "$and")
        let clauses = try #require(details["clausesNotSatisfied"]?.arrayValue?.compactMap { $0.documentValue })
        #expect(clauses.map { $0["index"] } == [0, 2])
        #expect(clauses[0]["details"] == .document([
            "operatorName": "$gt", "specifiedAs": ["a": ["$gt": 5]], "reason": "comparison failed", "consideredValue": 3,
        ]))
        #expect(clauses[1]["details"] == .document([
            "operatorName": "$exists", "specifiedAs": ["c": ["$exists": true]], "reason": "path does not exist",
        ]))
        let single = ValidationErrorDetails(document: doc(#"{_id: 1, x: 1}"#)).details(for: doc(#"{x: {$type: "string"}}"#))
        #expect(single == [
            "operatorName": "$type", "specifiedAs": ["x": ["$type": "string"]], "reason": "type did not match",
            "consideredValue": 1, "consideredType": "int",
        ])
        let missing = ValidationErrorDetails(document: doc(#"{_id: 1}"#)).details(for: doc(#"{x: {$in: [1, 2]}}"#))
        #expect(missing["reason"] == "field was missing")
    }

    @Test func validatorLevelsAndActions() throws {
        let strict = try #require(try DocumentValidator(options: doc(#"{validator: {a: {$gte: 0}}}"#)))
        #expect(throws: MongoError.self) { try strict.check(doc(#"{_id: 1, a: -1}"#)) }
        do throws(MongoError) {
            try strict.check(doc(#"{_id: 1, a: -1}"#))
        } catch {
            #expect(error.code == .documentValidationFailure)
            #expect(error.details.document(atPath: "errInfo")?["failingDocumentId"] == 1)
        }
        let moderate = try #require(try DocumentValidator(options: doc(#"{validator: {a: {$gte: 0}}, validationLevel: "moderate"}"#)))
        try moderate.check(doc(#"{_id: 1, a: -2}"#), before: doc(#"{_id: 1, a: -1}"#))
        #expect(throws: MongoError.self) { try moderate.check(doc(#"{_id: 1, a: -2}"#), before: doc(#"{_id: 1, a: 1}"#)) }
        let warn = try #require(try DocumentValidator(options: doc(#"{validator: {a: {$gte: 0}}, validationAction: "warn"}"#)))
        try warn.check(doc(#"{_id: 1, a: -1}"#))
        #expect(try DocumentValidator(options: doc(#"{validator: {a: 1}, validationLevel: "off"}"#)) == nil)
        #expect(try DocumentValidator(options: doc(#"{validator: {}}"#)) == nil)
    }
}
