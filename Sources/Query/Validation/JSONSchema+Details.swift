// JSONSchema+Details: why a value fails a `$jsonSchema`, in the shape of mongod's
// doc_validation_error.cpp — one entry per failed keyword (`operatorName`, `specifiedAs`,
// `reason`, the considered value), nested through `properties`, `items` and the logical
// keywords. Only explains; matching is JSONSchema.swift.

import BSON

extension JSONSchema {
    /// The `$jsonSchema` entry of a validation error for `document`: its failed keywords
    /// under `schemaRulesNotSatisfied`, or, in a negated context (the schema matched where it
    /// must not), `reason: "schema matched"`.
    func rootDetails(for document: BSONDocument, inverted: Bool) -> BSONDocument {
        var details: BSONDocument = ["operatorName": "$jsonSchema"]
        if inverted {
            details.append("reason", "schema matched")
            return details
        }
        for annotation in annotations.elements { details.append(annotation.key, annotation.value) }
        details.append("schemaRulesNotSatisfied", .array(failures(of: .document(document))))
        return details
    }

    /// One entry per keyword `value` fails. A value of a type the schema does not allow
    /// reports the type alone: restrictions on its type would repeat it.
    func failures(of value: BSONValue) -> [BSONValue] {
        var entries: [BSONValue] = []
        var typeFailed = false
        if let type, !type.types.contains(value.type) {
            typeFailed = true
            entries.append(.document([
                "operatorName": .string(type.keyword), "specifiedAs": .document([type.keyword: type.value]),
                "reason": "type did not match", "consideredValue": value, "consideredType": .string(value.type.alias),
            ]))
        }
        for rule in rules where !rule.holds(on: value) {
            if typeFailed && !rule.isLogical { continue }
            entries += rule.failures(of: value, in: spec)
        }
        return entries
    }
}

extension JSONSchema.Rule {
    /// `allOf`, `anyOf`, `oneOf`, `not`, `enum`: keywords that hold on every type.
    var isLogical: Bool {
        switch self {
        case .allOf, .anyOf, .oneOf, .not, .enumeration: true
        default: false
        }
    }

    /// The entries explaining why `value` fails this rule (of the schema `spec`).
    func failures(of value: BSONValue, in spec: BSONDocument) -> [BSONValue] {
        switch self {
        case .pattern:
            return [leaf("pattern", spec, reason: "regular expression did not match", value: value)]
        case .maxLength:
            return [leaf("maxLength", spec, reason: "specified string length was not satisfied", value: value)]
        case .minLength:
            return [leaf("minLength", spec, reason: "specified string length was not satisfied", value: value)]
        case .multipleOf:
            return [leaf("multipleOf", spec, reason: "considered value is not a multiple of the specified value", value: value)]
        case .maximum(_, let exclusive):
            return [leaf("maximum", spec, also: exclusive ? "exclusiveMaximum" : nil, reason: "comparison failed", value: value)]
        case .minimum(_, let exclusive):
            return [leaf("minimum", spec, also: exclusive ? "exclusiveMinimum" : nil, reason: "comparison failed", value: value)]
        case .maxItems, .minItems:
            let keyword = if case .maxItems = self { "maxItems" } else { "minItems" }
            var entry = leafDocument(keyword, spec, reason: "array did not match specified length", value: value)
            entry.append("numberOfItems", .int32(Int32(clamping: value.arrayValue?.count ?? 0)))
            return [.document(entry)]
        case .uniqueItems:
            var entry = leafDocument("uniqueItems", spec, reason: "found a duplicate item", value: value)
            if let duplicate = Self.firstDuplicate(in: value.arrayValue ?? []) { entry.append("duplicatedValue", duplicate) }
            return [.document(entry)]
        case .items(let schema):
            return Self.firstFailingItem("items", schema, in: value.arrayValue ?? [], from: 0,
                                         reason: "At least one item did not match the sub-schema")
        case .itemList(let schemas):
            var failing: [BSONValue] = []
            for (index, pair) in zip(value.arrayValue ?? [], schemas).enumerated() where !pair.1.matches(pair.0) {
                failing.append(.document(["itemIndex": .int32(Int32(clamping: index)), "details": .array(pair.1.failures(of: pair.0))]))
            }
            return [.document(["operatorName": "items", "details": .array(failing)])]
        case .additionalItemsFalse(let start):
            var entry: BSONDocument = ["operatorName": "additionalItems", "specifiedAs": ["additionalItems": false]]
            entry.append("reason", "found additional items")
            entry.append("additionalItems", .array(Array((value.arrayValue ?? []).dropFirst(start))))
            return [.document(entry)]
        case .additionalItems(let schema, let start):
            return Self.firstFailingItem("additionalItems", schema, in: value.arrayValue ?? [], from: start,
                                         reason: "At least one additional item did not match the sub-schema")
        case .properties(let properties):
            let document = value.documentValue ?? BSONDocument()
            var failing: [BSONValue] = []
            for property in properties {
                guard let child = document[property.name], !property.schema.matches(child) else { continue }
                var entry: BSONDocument = ["propertyName": .string(property.name)]
                for annotation in property.schema.annotations.elements { entry.append(annotation.key, annotation.value) }
                entry.append("details", .array(property.schema.failures(of: child)))
                failing.append(.document(entry))
            }
            return [.document(["operatorName": "properties", "propertiesNotSatisfied": .array(failing)])]
        case .allowedProperties(let names, let patterns, let additional):
            return Self.allowedPropertiesFailures(value.documentValue ?? BSONDocument(), names: names, patterns: patterns,
                                                  additional: additional)
        case .required(let names):
            let document = value.documentValue ?? BSONDocument()
            let missing = names.filter { document[$0] == nil }
            return [.document([
                "operatorName": "required", "specifiedAs": .document(["required": spec["required"] ?? .null]),
                "missingProperties": .array(missing.map { .string($0) }),
            ])]
        case .minProperties, .maxProperties:
            let keyword = if case .minProperties = self { "minProperties" } else { "maxProperties" }
            return [.document([
                "operatorName": .string(keyword), "specifiedAs": .document([keyword: spec[keyword] ?? .null]),
                "reason": "specified number of properties was not satisfied",
                "numberOfProperties": .int32(Int32(clamping: value.documentValue?.count ?? 0)),
            ])]
        case .dependencies(let dependencies):
            let document = value.documentValue ?? BSONDocument()
            var failing: [BSONValue] = []
            for (property, dependency) in dependencies where !Self.dependencyHolds(property, dependency, in: document) {
                var entry: BSONDocument = ["conditionalProperty": .string(property)]
                switch dependency {
                case .properties(let names):
                    entry.append("missingProperties", .array(names.filter { document[$0] == nil }.map { .string($0) }))
                case .schema(let schema):
                    entry.append("details", .array(schema.failures(of: value)))
                }
                failing.append(.document(entry))
            }
            return [.document(["operatorName": "dependencies", "failingDependencies": .array(failing)])]
        case .allOf(let schemas):
            return [Self.schemaList("allOf", schemas, value: value, only: { !$0.matches(value) })]
        case .anyOf(let schemas):
            return [Self.schemaList("anyOf", schemas, value: value, only: { _ in true })]
        case .oneOf(let schemas):
            let matching = schemas.indices.filter { schemas[$0].matches(value) }
            guard matching.isEmpty else {
                return [.document([
                    "operatorName": "oneOf", "reason": "more than one subschema matched",
                    "matchingSchemaIndexes": .array(matching.map { .int32(Int32(clamping: $0)) }),
                ])]
            }
            return [Self.schemaList("oneOf", schemas, value: value, only: { _ in true })]
        case .not:
            return [.document(["operatorName": "not", "reason": "child expression matched"])]
        case .enumeration:
            return [leaf("enum", spec, reason: "value was not found in enum", value: value)]
        }
    }

    /// `{operatorName, specifiedAs: {keyword: ...}, reason, consideredValue}`.
    private func leafDocument(_ keyword: String, _ spec: BSONDocument, also: String? = nil, reason: String,
                              value: BSONValue) -> BSONDocument {
        var specifiedAs: BSONDocument = [keyword: spec[keyword] ?? .null]
        if let also { specifiedAs.append(also, spec[also] ?? .null) }
        return ["operatorName": .string(keyword), "specifiedAs": .document(specifiedAs), "reason": .string(reason),
                "consideredValue": value]
    }

    private func leaf(_ keyword: String, _ spec: BSONDocument, also: String? = nil, reason: String, value: BSONValue) -> BSONValue {
        .document(leafDocument(keyword, spec, also: also, reason: reason, value: value))
    }

    /// `{operatorName, reason, itemIndex, details}` for the first element from `start` on
    /// that fails `schema` (`items`, `additionalItems` with a schema).
    private static func firstFailingItem(_ keyword: String, _ schema: JSONSchema, in elements: [BSONValue], from start: Int,
                                         reason: String) -> [BSONValue] {
        guard let index = elements.indices.dropFirst(start).first(where: { !schema.matches(elements[$0]) }) else { return [] }
        var entry: BSONDocument = ["operatorName": .string(keyword)]
        for annotation in schema.annotations.elements { entry.append(annotation.key, annotation.value) }
        entry.append("reason", .string(reason))
        entry.append("itemIndex", .int32(Int32(clamping: index)))
        entry.append("details", .array(schema.failures(of: elements[index])))
        return [.document(entry)]
    }

    /// `{operatorName, schemasNotSatisfied: [{index, details}]}` over the schemas `only` picks.
    private static func schemaList(_ keyword: String, _ schemas: [JSONSchema], value: BSONValue,
                                   only: (JSONSchema) -> Bool) -> BSONValue {
        var failing: [BSONValue] = []
        for (index, schema) in schemas.enumerated() where only(schema) {
            var entry: BSONDocument = ["index": .int32(Int32(clamping: index))]
            for annotation in schema.annotations.elements { entry.append(annotation.key, annotation.value) }
            entry.append("details", .array(schema.failures(of: value)))
            failing.append(.document(entry))
        }
        return .document(["operatorName": .string(keyword), "schemasNotSatisfied": .array(failing)])
    }

    /// The `additionalProperties` entry and the `patternProperties` entry, each when it failed.
    private static func allowedPropertiesFailures(
        _ document: BSONDocument, names: Set<String>, patterns: [(regex: FilterRegex, schema: JSONSchema)],
        additional: JSONSchema.Additional
    ) -> [BSONValue] {
        var additionalNames: [String] = []
        var patternFailures: [BSONValue] = []
        var firstFailingAdditional: (String, BSONValue)?
        for (name, value) in document.elements {
            var matchedPattern = false
            for pattern in patterns where pattern.regex.matches(name) {
                matchedPattern = true
                guard !pattern.schema.matches(value) else { continue }
                var entry: BSONDocument = ["propertyName": .string(name)]
                for annotation in pattern.schema.annotations.elements { entry.append(annotation.key, annotation.value) }
                entry.append("regexMatched", .string(pattern.regex.pattern))
                entry.append("details", .array(pattern.schema.failures(of: value)))
                patternFailures.append(.document(entry))
            }
            guard !matchedPattern, !names.contains(name) else { continue }
            additionalNames.append(name)
            if case .schema(let schema) = additional, firstFailingAdditional == nil, !schema.matches(value) {
                firstFailingAdditional = (name, value)
            }
        }
        var entries: [BSONValue] = []
        switch additional {
        case .any:
            break
        case .none:
            if !additionalNames.isEmpty {
                entries.append(.document([
                    "operatorName": "additionalProperties", "specifiedAs": ["additionalProperties": false],
                    "additionalProperties": .array(additionalNames.map { .string($0) }),
                ]))
            }
        case .schema(let schema):
            if let (name, value) = firstFailingAdditional {
                var entry: BSONDocument = ["operatorName": "additionalProperties"]
                for annotation in schema.annotations.elements { entry.append(annotation.key, annotation.value) }
                entry.append("reason", "at least one additional property did not match the subschema")
                entry.append("failingProperty", .string(name))
                entry.append("details", .array(schema.failures(of: value)))
                entries.append(.document(entry))
            }
        }
        if !patternFailures.isEmpty {
            entries.append(.document(["operatorName": "patternProperties", "details": .array(patternFailures)]))
        }
        return entries
    }
}
