// JSONSchema: MongoDB's `$jsonSchema` dialect (JSON Schema draft 4 plus `bsonType`, without
// `$ref`, `format`, `integer`) — parsed once with mongod's error codes and messages, then
// matched against a value. Restriction keywords apply only to values of their type, as JSON
// Schema says; `properties` sub-schemas apply only to present properties. The explanation
// of a failure (validation's errInfo) is JSONSchema+Details.swift.

public import BSON

/// A parsed `$jsonSchema` document (or one of its sub-schemas).
public struct JSONSchema: Sendable {
    /// The schema document as given.
    public let spec: BSONDocument
    /// `type` or `bsonType`, when given.
    let type: TypeKeyword?
    /// The other keywords, in the order mongod reports them.
    let rules: [Rule]
    /// `title` and `description`, which only annotate errors.
    let annotations: BSONDocument

    /// A `type` or `bsonType` keyword.
    struct TypeKeyword: Sendable {
        /// `"type"` or `"bsonType"`.
        let keyword: String
        /// The keyword's value as given.
        let value: BSONValue
        /// The accepted types.
        let types: MatcherTypeSet
    }

    /// What `additionalProperties` allows.
    enum Additional: Sendable {
        /// Absent or `true`: anything.
        case any
        /// `false`: no property outside `properties` and `patternProperties`.
        case none
        /// A schema every other property matches.
        case schema(JSONSchema)
    }

    /// One `dependencies` entry.
    enum Dependency: Sendable {
        /// `{a: ["b", "c"]}`: with `a` present, these properties are too.
        case properties([String])
        /// `{a: {...}}`: with `a` present, the object matches the schema.
        case schema(JSONSchema)
    }

    /// A keyword other than `type`/`bsonType`, parsed.
    indirect enum Rule: Sendable {
        case pattern(FilterRegex)
        case maxLength(Int64)
        case minLength(Int64)
        case multipleOf(BSONValue)
        case maximum(BSONValue, exclusive: Bool)
        case minimum(BSONValue, exclusive: Bool)
        case items(JSONSchema)
        case itemList([JSONSchema])
        case additionalItemsFalse(from: Int)
        case additionalItems(JSONSchema, from: Int)
        case maxItems(Int64)
        case minItems(Int64)
        case uniqueItems
        case properties([(name: String, schema: JSONSchema)])
        case allowedProperties(names: Set<String>, patterns: [(regex: FilterRegex, schema: JSONSchema)], additional: Additional)
        case required([String])
        case minProperties(Int64)
        case maxProperties(Int64)
        case dependencies([(property: String, dependency: Dependency)])
        case allOf([JSONSchema])
        case anyOf([JSONSchema])
        case oneOf([JSONSchema])
        case not(JSONSchema)
        case enumeration([BSONValue])
    }

    /// The keywords mongod knows.
    static let keywords: Set<String> = [
        "additionalItems", "additionalProperties", "allOf", "anyOf", "bsonType", "dependencies", "description",
        "encrypt", "encryptMetadata", "enum", "exclusiveMaximum", "exclusiveMinimum", "items", "maxItems",
        "maxLength", "maxProperties", "maximum", "minItems", "minLength", "minProperties", "minimum",
        "multipleOf", "not", "oneOf", "pattern", "patternProperties", "properties", "required", "title", "type",
        "uniqueItems",
    ]
    /// Keywords of JSON Schema that mongod refuses by name.
    static let unsupportedKeywords: Set<String> = ["$ref", "$schema", "default", "definitions", "format", "id"]

    /// Parses `spec` as mongod's JSONSchemaParser does.
    ///
    /// - Throws: `FailedToParse` (9) for an unknown, unsupported or duplicate keyword, both
    ///   `type` and `bsonType`, or bad keyword values; `TypeMismatch` (14) for a keyword value
    ///   of the wrong type; `BadValue` (2) for an unknown type alias.
    public init(_ spec: BSONDocument) throws(MongoError) {
        self.spec = spec
        var seen: Set<String> = []
        for key in spec.keys {
            guard Self.keywords.contains(key) else {
                if Self.unsupportedKeywords.contains(key) {
                    throw MongoError(.failedToParse, "$jsonSchema keyword '\(key)' is not currently supported")
                }
                throw MongoError(.failedToParse, "Unknown $jsonSchema keyword: \(key)")
            }
            guard seen.insert(key).inserted else {
                throw MongoError(.failedToParse, "Duplicate $jsonSchema keyword: \(key)")
            }
        }
        if spec["encrypt"] != nil || spec["encryptMetadata"] != nil {
            throw MongoError(.failedToParse, "$jsonSchema keywords 'encrypt' and 'encryptMetadata' need client-side field level encryption, which Tessera does not support")
        }
        var annotations = BSONDocument()
        for keyword in ["title", "description"] {
            guard let value = spec[keyword] else { continue }
            guard case .string = value else {
                throw MongoError(.typeMismatch, "$jsonSchema keyword '\(keyword)' must be of type string")
            }
            annotations.append(keyword, value)
        }
        self.annotations = annotations
        if spec["type"] != nil && spec["bsonType"] != nil {
            throw MongoError(.failedToParse, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'")
        }
        if let value = spec["type"] {
            type = TypeKeyword(keyword: "type", value: value, types: try Self.typeSet("type", value, json: true))
        } else if let value = spec["bsonType"] {
            type = TypeKeyword(keyword: "bsonType", value: value, types: try Self.typeSet("bsonType", value, json: false))
        } else {
            type = nil
        }
        var rules: [Rule] = []
        try Self.scalarRules(spec, into: &rules)
        try Self.arrayRules(spec, into: &rules)
        try Self.objectRules(spec, into: &rules)
        try Self.logicalRules(spec, into: &rules)
        self.rules = rules
    }

    // MARK: Matching

    /// Whether `value` satisfies the schema.
    public func matches(_ value: BSONValue) -> Bool {
        if let type, !type.types.contains(value.type) { return false }
        return rules.allSatisfy { $0.holds(on: value) }
    }

    /// Whether the document satisfies the schema (a top-level `$jsonSchema`).
    public func matches(document: BSONDocument) -> Bool {
        matches(.document(document))
    }
}

// MARK: - Parsing

extension JSONSchema {
    /// `type` (JSON's names) or `bsonType` (MongoDB's `$type` aliases): a string or an array
    /// of distinct strings.
    static func typeSet(_ keyword: String, _ value: BSONValue, json: Bool) throws(MongoError) -> MatcherTypeSet {
        var names: [String] = []
        switch value {
        case .string(let name):
            names = [name]
        case .array(let elements):
            for element in elements {
                guard case .string(let name) = element else {
                    throw MongoError(.typeMismatch, "$jsonSchema keyword '\(keyword)' array elements must be strings")
                }
                if names.contains(name) {
                    throw MongoError(.failedToParse, "$jsonSchema keyword '\(keyword)' has duplicate value: \(name)")
                }
                names.append(name)
            }
        default:
            throw MongoError(.typeMismatch, "$jsonSchema keyword '\(keyword)' must be either a string or an array of strings")
        }
        var types = MatcherTypeSet()
        for name in names {
            if name == "integer" {
                throw MongoError(.failedToParse, "$jsonSchema type 'integer' is not currently supported.")
            }
            if name == "number" {
                types.allNumbers = true
                continue
            }
            let type: BSONType?
            if json {
                switch name {
                case "object": type = .document
                case "array": type = .array
                case "boolean": type = .bool
                case "string": type = .string
                case "null": type = .null
                default: type = nil
                }
            } else {
                type = BSONType.allCases.first { $0.alias == name }
            }
            guard let type else { throw MongoError(.badValue, "Unknown type name alias: \(name)") }
            types.types.insert(type)
        }
        if types.isEmpty {
            throw MongoError(.failedToParse, "$jsonSchema keyword '\(keyword)' must name at least one type")
        }
        return types
    }

    /// A keyword that must be a non-negative integer (`minLength`, `maxItems`, ...).
    static func count(_ spec: BSONDocument, _ keyword: String) throws(MongoError) -> Int64? {
        guard let value = spec[keyword] else { return nil }
        return try IntegerArgument.nonNegativeLong(keyword, value).get()
    }

    /// A keyword that must be a number (`minimum`, `maximum`, `multipleOf`).
    static func number(_ spec: BSONDocument, _ keyword: String) throws(MongoError) -> BSONValue? {
        guard let value = spec[keyword] else { return nil }
        guard value.isNumeric else { throw MongoError(.typeMismatch, "$jsonSchema keyword '\(keyword)' must be a number") }
        return value
    }

    /// `exclusiveMinimum`/`exclusiveMaximum`: a boolean, only beside its bound.
    static func exclusive(_ spec: BSONDocument, _ keyword: String, bound: String) throws(MongoError) -> Bool {
        guard let value = spec[keyword] else { return false }
        guard spec[bound] != nil else {
            throw MongoError(.failedToParse, "$jsonSchema keyword '\(bound)' must be a present if \(keyword) is present")
        }
        guard case .bool(let flag) = value else {
            throw MongoError(.typeMismatch, "$jsonSchema keyword '\(keyword)' must be a boolean")
        }
        return flag
    }

    /// A sub-schema: an object.
    static func subschema(_ value: BSONValue, keyword: String) throws(MongoError) -> JSONSchema {
        guard case .document(let document) = value else {
            throw MongoError(.typeMismatch, "$jsonSchema keyword '\(keyword)' must be an object")
        }
        return try JSONSchema(document)
    }

    /// A non-empty array of sub-schemas (`allOf`, `anyOf`, `oneOf`).
    static func schemaList(_ value: BSONValue, keyword: String) throws(MongoError) -> [JSONSchema] {
        guard case .array(let elements) = value else {
            throw MongoError(.typeMismatch, "$jsonSchema keyword '\(keyword)' must be an array")
        }
        guard !elements.isEmpty else {
            throw MongoError(.badValue, "$jsonSchema keyword '\(keyword)' must be a non-empty array")
        }
        var schemas: [JSONSchema] = []
        for element in elements {
            guard case .document(let document) = element else {
                throw MongoError(.typeMismatch,
                                 "$jsonSchema keyword '\(keyword)' must be an array of objects, but found an element of type \(element.type.alias)")
            }
            schemas.append(try JSONSchema(document))
        }
        return schemas
    }

    static func scalarRules(_ spec: BSONDocument, into rules: inout [Rule]) throws(MongoError) {
        if let value = spec["pattern"] {
            guard case .string(let pattern) = value else {
                throw MongoError(.typeMismatch, "$jsonSchema keyword 'pattern' must be a string")
            }
            rules.append(.pattern(try FilterRegex(pattern: pattern, options: "")))
        }
        if let length = try count(spec, "maxLength") { rules.append(.maxLength(length)) }
        if let length = try count(spec, "minLength") { rules.append(.minLength(length)) }
        if let divisor = try number(spec, "multipleOf") {
            guard BSONValue.compare(divisor, .int32(0)) > 0 else {
                throw MongoError(.failedToParse, "$jsonSchema keyword 'multipleOf' must have a positive value")
            }
            rules.append(.multipleOf(divisor))
        }
        let exclusiveMaximum = try exclusive(spec, "exclusiveMaximum", bound: "maximum")
        if let bound = try number(spec, "maximum") { rules.append(.maximum(bound, exclusive: exclusiveMaximum)) }
        let exclusiveMinimum = try exclusive(spec, "exclusiveMinimum", bound: "minimum")
        if let bound = try number(spec, "minimum") { rules.append(.minimum(bound, exclusive: exclusiveMinimum)) }
    }

    static func arrayRules(_ spec: BSONDocument, into rules: inout [Rule]) throws(MongoError) {
        var itemCount: Int?
        switch spec["items"] {
        case nil:
            break
        case .document(let document)?:
            rules.append(.items(try JSONSchema(document)))
        case .array(let elements)?:
            var schemas: [JSONSchema] = []
            for element in elements {
                guard case .document(let document) = element else {
                    throw MongoError(.typeMismatch,
                                     "$jsonSchema keyword 'items' requires that each element of the array is an object, but found a \(element.type.alias)")
                }
                schemas.append(try JSONSchema(document))
            }
            rules.append(.itemList(schemas))
            itemCount = schemas.count
        case let other?:
            throw MongoError(.typeMismatch,
                             "$jsonSchema keyword 'items' must be an array or an object, not \(other.type.alias)")
        }
        switch spec["additionalItems"] {
        case nil:
            break
        case .bool(let allowed)?:
            if let itemCount, !allowed { rules.append(.additionalItemsFalse(from: itemCount)) }
        case .document(let document)?:
            let schema = try JSONSchema(document)
            if let itemCount { rules.append(.additionalItems(schema, from: itemCount)) }
        case let other?:
            throw MongoError(.typeMismatch,
                             "$jsonSchema keyword 'additionalItems' must be either an object or a boolean, but got a \(other.type.alias)")
        }
        if let limit = try count(spec, "maxItems") { rules.append(.maxItems(limit)) }
        if let limit = try count(spec, "minItems") { rules.append(.minItems(limit)) }
        if let value = spec["uniqueItems"] {
            guard case .bool(let unique) = value else {
                throw MongoError(.typeMismatch, "$jsonSchema keyword 'uniqueItems' must be a boolean")
            }
            if unique { rules.append(.uniqueItems) }
        }
    }

    static func objectRules(_ spec: BSONDocument, into rules: inout [Rule]) throws(MongoError) {
        var names: [String] = []
        if let value = spec["properties"] {
            guard case .document(let properties) = value else {
                throw MongoError(.typeMismatch, "$jsonSchema keyword 'properties' must be an object")
            }
            var parsed: [(name: String, schema: JSONSchema)] = []
            for (name, nested) in properties.elements {
                guard case .document(let document) = nested else {
                    throw MongoError(.typeMismatch, "Nested schema for $jsonSchema property '\(name)' must be an object")
                }
                parsed.append((name, try JSONSchema(document)))
                names.append(name)
            }
            rules.append(.properties(parsed))
        }
        var patterns: [(regex: FilterRegex, schema: JSONSchema)] = []
        if let value = spec["patternProperties"] {
            guard case .document(let document) = value else {
                throw MongoError(.typeMismatch, "$jsonSchema keyword 'patternProperties' must be an object")
            }
            for (pattern, nested) in document.elements {
                guard case .document(let schema) = nested else {
                    throw MongoError(.typeMismatch,
                                     "$jsonSchema keyword 'patternProperties' has property '\(pattern)' which is not an object")
                }
                patterns.append((try FilterRegex(pattern: pattern, options: ""), try JSONSchema(schema)))
            }
        }
        var additional = Additional.any
        switch spec["additionalProperties"] {
        case nil, .bool(true)?: break
        case .bool(false)?: additional = .none
        case .document(let document)?: additional = .schema(try JSONSchema(document))
        case let other?:
            throw MongoError(.typeMismatch,
                             "$jsonSchema keyword 'additionalProperties' must be either an object or a boolean, but got a \(other.type.alias)")
        }
        if spec["additionalProperties"] != nil || !patterns.isEmpty {
            rules.append(.allowedProperties(names: Set(names), patterns: patterns, additional: additional))
        }
        if let value = spec["required"] {
            guard case .array(let elements) = value else {
                throw MongoError(.typeMismatch,
                                 "$jsonSchema keyword 'required' must be an array, but found an element of type \(value.type.alias)")
            }
            var required: [String] = []
            for element in elements {
                guard case .string(let name) = element else {
                    throw MongoError(.typeMismatch,
                                     "$jsonSchema keyword 'required' must be an array of strings, but found an element of type: \(element.type.alias)")
                }
                required.append(name)
            }
            guard !required.isEmpty else {
                throw MongoError(.failedToParse, "$jsonSchema keyword 'required' cannot be an empty array")
            }
            guard Set(required).count == required.count else {
                throw MongoError(.failedToParse, "$jsonSchema keyword 'required' array cannot contain duplicate values")
            }
            rules.append(.required(required))
        }
        if let limit = try count(spec, "minProperties") { rules.append(.minProperties(limit)) }
        if let limit = try count(spec, "maxProperties") { rules.append(.maxProperties(limit)) }
        if let value = spec["dependencies"] {
            guard case .document(let document) = value else {
                throw MongoError(.typeMismatch, "$jsonSchema keyword 'dependencies' must be an object")
            }
            var dependencies: [(property: String, dependency: Dependency)] = []
            for (property, dependency) in document.elements {
                switch dependency {
                case .document(let schema):
                    dependencies.append((property, .schema(try JSONSchema(schema))))
                case .array(let elements):
                    var names: [String] = []
                    for element in elements {
                        guard case .string(let name) = element else {
                            throw MongoError(.typeMismatch,
                                             "array elements of $jsonSchema keyword 'dependencies' must be strings, but found \(element.type.alias)")
                        }
                        names.append(name)
                    }
                    guard !names.isEmpty else {
                        throw MongoError(.failedToParse, "property '\(property)' in $jsonSchema keyword 'dependencies' cannot be an empty array")
                    }
                    guard Set(names).count == names.count else {
                        throw MongoError(.failedToParse,
                                         "property '\(property)' in $jsonSchema keyword 'dependencies' contains duplicate values")
                    }
                    dependencies.append((property, .properties(names)))
                default:
                    throw MongoError(.typeMismatch,
                                     "property '\(property)' in $jsonSchema keyword 'dependencies' must be either an object or an array")
                }
            }
            rules.append(.dependencies(dependencies))
        }
    }

    static func logicalRules(_ spec: BSONDocument, into rules: inout [Rule]) throws(MongoError) {
        if let value = spec["allOf"] { rules.append(.allOf(try schemaList(value, keyword: "allOf"))) }
        if let value = spec["anyOf"] { rules.append(.anyOf(try schemaList(value, keyword: "anyOf"))) }
        if let value = spec["oneOf"] { rules.append(.oneOf(try schemaList(value, keyword: "oneOf"))) }
        if let value = spec["not"] { rules.append(.not(try subschema(value, keyword: "not"))) }
        if let value = spec["enum"] {
            guard case .array(let elements) = value else {
                throw MongoError(.typeMismatch,
                                 "$jsonSchema keyword 'enum' must be an array, but found an element of type \(value.type.alias)")
            }
            guard !elements.isEmpty else {
                throw MongoError(.failedToParse, "$jsonSchema keyword 'enum' cannot be an empty array")
            }
            for (index, element) in elements.enumerated()
            where elements[..<index].contains(where: { Self.equalUnordered($0, element) }) {
                throw MongoError(.failedToParse, "$jsonSchema keyword 'enum' array cannot contain duplicate values.")
            }
            rules.append(.enumeration(elements))
        }
    }

    /// Equal by MongoDB's comparison with the fields of embedded documents taken in any order
    /// (mongod's `UnorderedFieldsBSONElementComparator`, used by `enum` and `uniqueItems`).
    static func equalUnordered(_ lhs: BSONValue, _ rhs: BSONValue) -> Bool {
        BSONValue.compare(sortedFields(lhs), sortedFields(rhs)) == 0
    }

    private static func sortedFields(_ value: BSONValue) -> BSONValue {
        switch value {
        case .document(let document):
            var sorted = BSONDocument()
            for element in document.elements.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                sorted.append(element.key, sortedFields(element.value))
            }
            return .document(sorted)
        case .array(let elements):
            return .array(elements.map(sortedFields))
        default:
            return value
        }
    }
}

// MARK: - Rules

extension JSONSchema.Rule {
    /// Whether the rule holds on `value` (a restriction on another type holds trivially).
    func holds(on value: BSONValue) -> Bool {
        switch self {
        case .pattern(let regex):
            guard case .string(let string) = value else { return true }
            return regex.matches(string)
        case .maxLength(let limit):
            guard case .string(let string) = value else { return true }
            return Int64(string.unicodeScalars.count) <= limit
        case .minLength(let limit):
            guard case .string(let string) = value else { return true }
            return Int64(string.unicodeScalars.count) >= limit
        case .multipleOf(let divisor):
            guard value.isNumeric else { return true }
            return Self.isMultiple(value, of: divisor)
        case .maximum(let bound, let exclusive):
            guard value.isNumeric else { return true }
            return (exclusive ? ComparisonMatch.lessThan : .lessThanOrEqual).matches(value, bound)
        case .minimum(let bound, let exclusive):
            guard value.isNumeric else { return true }
            return (exclusive ? ComparisonMatch.greaterThan : .greaterThanOrEqual).matches(value, bound)
        case .items(let schema):
            guard case .array(let elements) = value else { return true }
            return elements.allSatisfy(schema.matches)
        case .itemList(let schemas):
            guard case .array(let elements) = value else { return true }
            return zip(elements, schemas).allSatisfy { $1.matches($0) }
        case .additionalItemsFalse(let start):
            guard case .array(let elements) = value else { return true }
            return elements.count <= start
        case .additionalItems(let schema, let start):
            guard case .array(let elements) = value else { return true }
            return elements.dropFirst(start).allSatisfy(schema.matches)
        case .maxItems(let limit):
            guard case .array(let elements) = value else { return true }
            return Int64(elements.count) <= limit
        case .minItems(let limit):
            guard case .array(let elements) = value else { return true }
            return Int64(elements.count) >= limit
        case .uniqueItems:
            guard case .array(let elements) = value else { return true }
            return Self.firstDuplicate(in: elements) == nil
        case .properties(let properties):
            guard case .document(let document) = value else { return true }
            return properties.allSatisfy { property in document[property.name].map(property.schema.matches) ?? true }
        case .allowedProperties:
            guard case .document(let document) = value else { return true }
            return firstDisallowedProperty(in: document) == nil
        case .required(let names):
            guard case .document(let document) = value else { return true }
            return names.allSatisfy { document[$0] != nil }
        case .minProperties(let limit):
            guard case .document(let document) = value else { return true }
            return Int64(document.count) >= limit
        case .maxProperties(let limit):
            guard case .document(let document) = value else { return true }
            return Int64(document.count) <= limit
        case .dependencies(let dependencies):
            guard case .document(let document) = value else { return true }
            return dependencies.allSatisfy { Self.dependencyHolds($0.property, $0.dependency, in: document) }
        case .allOf(let schemas):
            return schemas.allSatisfy { $0.matches(value) }
        case .anyOf(let schemas):
            return schemas.contains { $0.matches(value) }
        case .oneOf(let schemas):
            return schemas.filter { $0.matches(value) }.count == 1
        case .not(let schema):
            return !schema.matches(value)
        case .enumeration(let values):
            return values.contains { JSONSchema.equalUnordered($0, value) }
        }
    }

    /// The first property of `document` that `additionalProperties`/`patternProperties`
    /// refuse, with the reason.
    func firstDisallowedProperty(in document: BSONDocument) -> (name: String, value: BSONValue, pattern: FilterRegex?)? {
        guard case .allowedProperties(let names, let patterns, let additional) = self else { return nil }
        for (name, value) in document.elements {
            var matchedPattern = false
            for pattern in patterns where pattern.regex.matches(name) {
                matchedPattern = true
                if !pattern.schema.matches(value) { return (name, value, pattern.regex) }
            }
            if matchedPattern || names.contains(name) { continue }
            switch additional {
            case .any: continue
            case .none: return (name, value, nil)
            case .schema(let schema): if !schema.matches(value) { return (name, value, nil) }
            }
        }
        return nil
    }

    static func dependencyHolds(_ property: String, _ dependency: JSONSchema.Dependency, in document: BSONDocument) -> Bool {
        guard document[property] != nil else { return true }
        switch dependency {
        case .properties(let names): return names.allSatisfy { document[$0] != nil }
        case .schema(let schema): return schema.matches(document: document)
        }
    }

    /// The first element equal (fields in any order) to an earlier one.
    static func firstDuplicate(in elements: [BSONValue]) -> BSONValue? {
        for (index, element) in elements.enumerated()
        where elements[..<index].contains(where: { JSONSchema.equalUnordered($0, element) }) {
            return element
        }
        return nil
    }

    /// `value` is an exact multiple of `divisor` (as doubles; NaN and infinities never are).
    static func isMultiple(_ value: BSONValue, of divisor: BSONValue) -> Bool {
        guard let dividend = double(value), let step = double(divisor), step.isFinite, dividend.isFinite else { return false }
        return dividend.truncatingRemainder(dividingBy: step) == 0
    }

    private static func double(_ value: BSONValue) -> Double? {
        if case .decimal128(let decimal) = value { return decimal.doubleValue }
        return value.doubleValue
    }
}
