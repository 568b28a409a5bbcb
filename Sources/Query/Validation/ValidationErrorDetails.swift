// ValidationErrorDetails: `errInfo.details` of a DocumentValidationFailure (121) for a
// validator written with query operators, shaped as mongod's doc_validation_error.cpp:
// the validator's clauses become a tree of logical nodes (`$and`, `$or`, `$nor`, `$not`)
// over leaves (`$eq`, `$gt`, `$type`, `$expr`, `$jsonSchema`, ...); a leaf reports
// `operatorName`, `specifiedAs`, a `reason` and the values it considered; a node under a
// negation explains why it matched ("inverted"). Runs only after a document failed.

import BSON

/// Builds MongoDB's explanation of why a document fails a validator.
struct ValidationErrorDetails {
    /// The document that failed.
    let document: BSONDocument
    /// How many considered values a leaf lists before marking the list truncated (mongod's
    /// `internalQueryMaxDocValidationErrorConsideredValues`).
    static let maxConsideredValues = 10

    /// One clause of a filter, as mongod's parser splits it.
    indirect enum Clause {
        /// `$and`, `$or`, `$nor` over filter documents.
        case logical(String, [BSONDocument])
        /// One operator on one path; `specifiedAs` is the clause as the user would write it.
        case leaf(path: String, operatorName: String, argument: BSONValue, specifiedAs: BSONDocument)
        /// `{path: {$not: ...}}`: the negated operators on the path.
        case not(path: String, clauses: [Clause])
        /// `$expr`.
        case expr(BSONValue)
        /// `$jsonSchema`.
        case jsonSchema(BSONDocument)
        /// `$alwaysTrue` / `$alwaysFalse`.
        case always(Bool, BSONDocument)

        /// The clause as a filter document (to test it on its own).
        var filter: BSONDocument {
            switch self {
            case .logical(let name, let clauses): return [name: .array(clauses.map { .document($0) })]
            case .leaf(_, _, _, let specifiedAs): return specifiedAs
            case .not(let path, let clauses):
                var operators = BSONDocument()
                for clause in clauses {
                    guard case .leaf(_, _, _, let specifiedAs) = clause, case .document(let inner)? = specifiedAs[path] else { continue }
                    for element in inner.elements { operators.append(element.key, element.value) }
                }
                return [path: .document(["$not": .document(operators)])]
            case .expr(let expression): return ["$expr": expression]
            case .jsonSchema(let schema): return ["$jsonSchema": .document(schema)]
            case .always(_, let spec): return spec
            }
        }
    }

    /// The details for the whole validator `spec` (which `document` fails).
    func details(for spec: BSONDocument) -> BSONDocument {
        explain(documentClauses: Self.clauses(of: spec), inverted: false)
    }

    // MARK: Splitting a filter into clauses

    /// The clauses of a filter document, in order (`$comment` dropped).
    static func clauses(of spec: BSONDocument) -> [Clause] {
        var clauses: [Clause] = []
        for (key, value) in spec.elements {
            switch key {
            case "$and", "$or", "$nor":
                clauses.append(.logical(key, value.arrayValue?.compactMap(\.documentValue) ?? []))
            case "$expr":
                clauses.append(.expr(value))
            case "$jsonSchema":
                clauses.append(.jsonSchema(value.documentValue ?? BSONDocument()))
            case "$alwaysTrue", "$alwaysFalse":
                clauses.append(.always(key == "$alwaysTrue", [key: value]))
            case "$comment":
                continue
            default:
                clauses += pathClauses(key, value)
            }
        }
        return clauses
    }

    /// The clauses of `{path: value}`: one per operator of an operator document
    /// (`$regex` keeps its `$options`), else an implicit `$eq`.
    static func pathClauses(_ path: String, _ value: BSONValue) -> [Clause] {
        guard case .document(let operators) = value, FilterParser.isExpressionDocument(value, allowIncompleteDBRef: false) else {
            let name = if case .regex = value { "$regex" } else { "$eq" }
            return [.leaf(path: path, operatorName: name, argument: value, specifiedAs: [path: value])]
        }
        var clauses: [Clause] = []
        for (name, argument) in operators.elements {
            switch name {
            case "$options":
                continue
            case "$regex":
                var regex: BSONDocument = ["$regex": argument]
                if let options = operators["$options"] { regex.append("$options", options) }
                clauses.append(.leaf(path: path, operatorName: name, argument: argument, specifiedAs: [path: .document(regex)]))
            case "$not":
                clauses.append(.not(path: path, clauses: pathClauses(path, argument)))
            default:
                clauses.append(.leaf(path: path, operatorName: name, argument: argument, specifiedAs: [path: [name: argument]]))
            }
        }
        return clauses
    }

    // MARK: Explaining

    /// Whether `document` satisfies `clause` on its own.
    func matches(_ clause: Clause) -> Bool {
        (try? Filter(clause.filter))?.matches(document) ?? false
    }

    /// A filter document's clauses: one clause explains itself; several are an implicit `$and`.
    func explain(documentClauses clauses: [Clause], inverted: Bool) -> BSONDocument {
        if clauses.count == 1, let only = clauses.first { return explain(only, inverted: inverted) }
        return explainList("$and", clauses: clauses, inverted: inverted)
    }

    /// The details of one clause that failed (or, `inverted`, that matched under a negation).
    func explain(_ clause: Clause, inverted: Bool) -> BSONDocument {
        switch clause {
        case .logical(let name, let documents):
            let children = documents.map { Clause.logical("$and", [$0]) }
            switch name {
            case "$nor": return explainNor(children: documents, inverted: inverted)
            default: return explainList(name, clauses: children, inverted: inverted)
            }
        case .leaf(let path, let name, let argument, let specifiedAs):
            return explainLeaf(path: path, operatorName: name, argument: argument, specifiedAs: specifiedAs, inverted: inverted)
        case .not(_, let clauses):
            return ["operatorName": "$not", "details": .document(explain(documentClauses: clauses, inverted: !inverted))]
        case .expr(let expression):
            var details: BSONDocument = ["operatorName": "$expr", "specifiedAs": ["$expr": expression]]
            do {
                let result = try Expression.parse(expression).evaluate(root: .document(document))
                details.append("reason", .string(inverted ? "expression did match" : "expression did not match"))
                details.append("expressionResult", result ?? .null)
            } catch {
                details.append("reason", "failed to evaluate aggregation expression")
                details.append("details", .document([
                    "code": .int32(error.code.rawValue), "codeName": .string(error.code.name), "errmsg": .string(error.message),
                ]))
            }
            return details
        case .jsonSchema(let spec):
            guard let schema = try? JSONSchema(spec) else { return ["operatorName": "$jsonSchema"] }
            return schema.rootDetails(for: document, inverted: inverted)
        case .always(let value, let spec):
            return [
                "operatorName": .string(value ? "$alwaysTrue" : "$alwaysFalse"), "specifiedAs": .document(spec),
                "reason": .string(inverted ? "expression always evaluates to true" : "expression always evaluates to false"),
            ]
        }
    }

    /// `$and`/`$or` with the clauses that explain the outcome: for `$and` those that failed
    /// (inverted: all, they all matched); for `$or` all (inverted: those that matched).
    private func explainList(_ name: String, clauses: [Clause], inverted: Bool) -> BSONDocument {
        var failing: [BSONValue] = []
        for (index, clause) in clauses.enumerated() {
            let reported: Bool
            switch (name, inverted) {
            case ("$and", false): reported = !matches(clause)
            case ("$or", true): reported = matches(clause)
            default: reported = true
            }
            guard reported else { continue }
            failing.append(.document(["index": .int32(Int32(clamping: index)),
                                      "details": .document(explainUnwrapped(clause, inverted: inverted))]))
        }
        return ["operatorName": .string(name), (inverted ? "clausesSatisfied" : "clausesNotSatisfied"): .array(failing)]
    }

    /// `$nor`: its clauses are explained negated; normally those that matched are reported,
    /// inverted (the `$nor` matched) all of them.
    private func explainNor(children: [BSONDocument], inverted: Bool) -> BSONDocument {
        var reported: [BSONValue] = []
        for (index, child) in children.enumerated() {
            let clause = Clause.logical("$and", [child])
            guard inverted || matches(clause) else { continue }
            reported.append(.document(["index": .int32(Int32(clamping: index)),
                                       "details": .document(explainUnwrapped(clause, inverted: !inverted))]))
        }
        return ["operatorName": "$nor", (inverted ? "clausesSatisfied" : "clausesNotSatisfied"): .array(reported)]
    }

    /// A list element (a filter document wrapped as a one-clause `$and`) explained as its
    /// own clauses.
    private func explainUnwrapped(_ clause: Clause, inverted: Bool) -> BSONDocument {
        guard case .logical("$and", let documents) = clause, documents.count == 1, let only = documents.first else {
            return explain(clause, inverted: inverted)
        }
        return explain(documentClauses: Self.clauses(of: only), inverted: inverted)
    }

    // MARK: Leaves

    /// The reasons of a leaf operator: normal, inverted, and the value types it applies to.
    private static func reasons(of name: String) -> (normal: String, inverted: String, types: [String]?, wholeArrays: Bool) {
        switch name {
        case "$eq", "$gt", "$gte", "$lt", "$lte": ("comparison failed", "comparison succeeded", nil, false)
        case "$ne": ("comparison succeeded", "comparison failed", nil, false)
        case "$in": ("no matching value found in array", "matching value found in array", nil, false)
        case "$nin": ("matching value found in array", "no matching value found in array", nil, false)
        case "$regex": ("regular expression did not match", "regular expression did match", ["regex", "string", "symbol"], false)
        case "$mod": ("$mod did not evaluate to expected remainder", "$mod did evaluate to expected remainder",
                      ["decimal", "double", "int", "long"], false)
        case "$size": ("array length was not equal to given size", "array length was equal to given size", ["array"], true)
        case "$elemMatch": ("array did not satisfy the child predicate", "array did satisfy the child predicate", ["array"], true)
        case "$all": ("array did not contain all specified values", "array did contain all specified values", nil, true)
        case "$bitsAllSet", "$bitsAnySet", "$bitsAllClear", "$bitsAnyClear":
            ("bitwise operator failed to match", "bitwise operator matched successfully",
             ["binData", "decimal", "double", "int", "long"], false)
        case "$type": ("type did not match", "type did match", nil, false)
        case "$geoWithin", "$within":
            ("none of the considered geometries were contained within the expression’s geometry",
             "at least one of considered geometries was contained within the expression’s geometry", nil, false)
        case "$geoIntersects":
            ("none of the considered geometries intersected the expression’s geometry",
             "at least one of considered geometries intersected the expression’s geometry", nil, false)
        default: ("expression did not match", "expression did match", nil, false)
        }
    }

    private func explainLeaf(path: String, operatorName name: String, argument: BSONValue, specifiedAs: BSONDocument,
                             inverted: Bool) -> BSONDocument {
        var details: BSONDocument = ["operatorName": .string(name), "specifiedAs": .document(specifiedAs)]
        if name == "$exists" {
            let wantsPresence = FilterParser.isTruthy(argument) != inverted
            details.append("reason", .string(wantsPresence ? "path does not exist" : "path does exist"))
            return details
        }
        let reasons = Self.reasons(of: name)
        let (values, truncated) = Self.values(at: path.split(separator: ".", omittingEmptySubsequences: false).map(String.init),
                                              in: document, wholeArrays: reasons.wholeArrays)
        if values == nil {
            details.append("reason", "field was missing")
        } else if let expected = reasons.types, let values, !values.contains(where: { expected.contains($0.type.alias) }) {
            details.append("reason", "type did not match")
            Self.appendTypes(of: values, to: &details)
            if expected.count == 1, let only = expected.first {
                details.append("expectedType", .string(only))
            } else {
                details.append("expectedTypes", .array(expected.map { .string($0) }))
            }
        } else {
            details.append("reason", .string(inverted ? reasons.inverted : reasons.normal))
        }
        if let values {
            if values.count == 1, let only = values.first {
                details.append("consideredValue", only)
            } else {
                details.append("consideredValues", .array(values))
            }
            if truncated { details.append("consideredValuesTruncated", true) }
            if name == "$type", details["consideredType"] == nil, details["consideredTypes"] == nil {
                Self.appendTypes(of: values, to: &details)
            }
        }
        return details
    }

    /// `consideredType` (one) or `consideredTypes` (several, sorted) of `values`.
    private static func appendTypes(of values: [BSONValue], to details: inout BSONDocument) {
        let types = Set(values.map(\.type.alias)).sorted()
        guard !types.isEmpty else { return }
        if types.count == 1, let only = types.first {
            details.append("consideredType", .string(only))
        } else {
            details.append("consideredTypes", .array(types.map { .string($0) }))
        }
    }

    /// The values `path` reaches in `document` (arrays along the way are traversed; an array
    /// at the end gives its elements, or itself with `wholeArrays`), at most
    /// ``maxConsideredValues``; `nil` when the path reaches nothing at all.
    static func values(at path: [String], in document: BSONDocument, wholeArrays: Bool) -> (values: [BSONValue]?, truncated: Bool) {
        var values: [BSONValue] = []
        var found = false
        collect(path[...], in: .document(document), wholeArrays: wholeArrays, into: &values, found: &found)
        guard found else { return (nil, false) }
        let truncated = values.count > maxConsideredValues
        return (Array(values.prefix(maxConsideredValues)), truncated)
    }

    private static func collect(_ path: ArraySlice<String>, in value: BSONValue, wholeArrays: Bool,
                                into values: inout [BSONValue], found: inout Bool) {
        guard let first = path.first else {
            found = true
            if case .array(let elements) = value, !wholeArrays { values += elements } else { values.append(value) }
            return
        }
        switch value {
        case .document(let document):
            if let child = document[first] { collect(path.dropFirst(), in: child, wholeArrays: wholeArrays, into: &values, found: &found) }
        case .array(let elements):
            if let index = FieldPath.arrayIndex(of: first), index < elements.count {
                collect(path.dropFirst(), in: elements[index], wholeArrays: wholeArrays, into: &values, found: &found)
            }
            for element in elements {
                if case .document = element { collect(path, in: element, wholeArrays: wholeArrays, into: &values, found: &found) }
            }
        default:
            break
        }
    }
}
