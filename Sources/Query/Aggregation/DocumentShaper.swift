// DocumentShaper: the aggregation `$project` (inclusion or exclusion, with computed fields)
// and `$addFields`/`$set` specifications as a tree parsed once, applied per document with
// aggregation semantics (paths through arrays apply to each embedded document).

internal import BSON
internal import Documents

/// A parsed `$project` or `$addFields` specification.
struct DocumentShaper: Sendable {
    /// What one field of the specification does.
    indirect enum Node: Sendable {
        case include
        case exclude
        case computed(Expression)
        case nested([(name: String, node: Node)])
    }

    enum Mode: Sendable { case inclusion, exclusion, addFields }

    let mode: Mode
    let fields: [(name: String, node: Node)]
    /// Whether `_id` is excluded (inclusion projections keep it unless told otherwise).
    let excludesID: Bool

    /// Parses a `$project` specification.
    static func project(_ spec: BSONDocument, _ context: inout ExpressionContext) throws(MongoError) -> DocumentShaper {
        guard !spec.isEmpty else {
            throw MongoError(.location(51272), "Invalid $project :: caused by :: projection specification must have at least one field")
        }
        var mode: Mode?
        var excludesID = false
        let fields = try parseProject(spec, prefix: "", mode: &mode, excludesID: &excludesID, context: &context)
        return DocumentShaper(mode: mode ?? (excludesID ? .exclusion : .inclusion), fields: fields, excludesID: excludesID)
    }

    private static func parseProject(_ spec: BSONDocument, prefix: String, mode: inout Mode?, excludesID: inout Bool,
                                     context: inout ExpressionContext) throws(MongoError) -> [(name: String, node: Node)] {
        var fields: [(name: String, node: Node)] = []
        for (key, value) in spec.elements {
            let full = prefix.isEmpty ? key : prefix + "." + key
            if key.hasPrefix("$") {
                throw MongoError(.location(16410), "Invalid $project :: caused by :: FieldPath field names may not start with '$'. Consider using $getField or $setField.")
            }
            let node: Node
            switch value {
            case .bool, .int32, .int64, .double, .decimal128:
                let included = Expression.isTruthy(value)
                if full == "_id" {
                    excludesID = !included
                    node = included ? .include : .exclude
                } else {
                    if included, mode == .exclusion {
                        throw MongoError(.location(31253), "Invalid $project :: caused by :: Cannot do inclusion on field \(full) in exclusion projection")
                    }
                    if !included, mode == .inclusion {
                        throw MongoError(.location(31254), "Invalid $project :: caused by :: Cannot do exclusion on field \(full) in inclusion projection")
                    }
                    mode = included ? .inclusion : .exclusion
                    node = included ? .include : .exclude
                }
            case .document(let inner) where !(inner.first?.key.hasPrefix("$") ?? false):
                if inner.isEmpty {
                    throw MongoError(.location(51270), "Invalid $project :: caused by :: An empty sub-projection is not a valid value. Found empty object at path")
                }
                node = .nested(try parseProject(inner, prefix: full, mode: &mode, excludesID: &excludesID, context: &context))
            case .document(let inner) where inner.count == 1 && inner.first?.key == "$meta":
                // `$meta` goes with either kind of projection (mongod), so it decides neither.
                node = .computed(try Expression.parse(value, in: &context))
            default:
                if mode == .exclusion {
                    throw MongoError(.location(31252), "Invalid $project :: caused by :: Cannot use expression other than $meta in exclusion projection")
                }
                mode = .inclusion
                node = .computed(try Expression.parse(value, in: &context))
            }
            try add(node, at: key, into: &fields)
        }
        return fields
    }

    /// Parses an `$addFields`/`$set` specification.
    static func addFields(_ spec: BSONDocument, _ context: inout ExpressionContext) throws(MongoError) -> DocumentShaper {
        var fields: [(name: String, node: Node)] = []
        for (key, value) in spec.elements {
            if key.hasPrefix("$") {
                throw MongoError(.location(16410), "Invalid $addFields :: caused by :: FieldPath field names may not start with '$'. Consider using $getField or $setField.")
            }
            let node: Node
            if case .document(let inner) = value, !inner.isEmpty, !(inner.first?.key.hasPrefix("$") ?? false) {
                node = try addFields(inner, &context).nestedNode
            } else {
                node = .computed(try Expression.parse(value, in: &context))
            }
            try add(node, at: key, into: &fields)
        }
        return DocumentShaper(mode: .addFields, fields: fields, excludesID: false)
    }

    private var nestedNode: Node { .nested(fields) }

    /// Adds `node` at the dotted `key`, merging with nested nodes already there.
    private static func add(_ node: Node, at key: String, into fields: inout [(name: String, node: Node)]) throws(MongoError) {
        let parts = try DocumentPaths.components(key)
        try add(node, parts[...], key, into: &fields)
    }

    private static func add(_ node: Node, _ parts: ArraySlice<String>, _ key: String,
                            into fields: inout [(name: String, node: Node)]) throws(MongoError) {
        guard let first = parts.first else { return }
        let existing = fields.firstIndex { $0.name == first }
        if parts.count == 1 {
            if let existing {
                if case .nested(let old) = fields[existing].node, case .nested(let new) = node {
                    var merged = old
                    for (name, child) in new { try add(child, [name][...], key, into: &merged) }
                    fields[existing].node = .nested(merged)
                    return
                }
                throw MongoError(.location(31250), "Invalid specification :: caused by :: Path collision at \(key)")
            }
            fields.append((first, node))
            return
        }
        var children: [(name: String, node: Node)] = []
        if let existing {
            guard case .nested(let old) = fields[existing].node else {
                throw MongoError(.location(31249), "Invalid specification :: caused by :: Path collision at \(key)")
            }
            children = old
        }
        try add(node, parts.dropFirst(), key, into: &children)
        if let existing { fields[existing].node = .nested(children) } else { fields.append((first, .nested(children))) }
    }

    // MARK: Applying

    /// The shaped document; expressions see `scope` (whose root is `document`).
    func apply(to document: BSONDocument, scope: ExpressionScope) throws(MongoError) -> BSONDocument {
        switch mode {
        case .inclusion:
            var output = BSONDocument()
            if !excludesID, let id = document["_id"], !fields.contains(where: { $0.name == "_id" }) { output.append("_id", id) }
            try include(fields, from: document, into: &output, scope: scope)
            // A text search's score stays with the document (TextScoreMetadata).
            if let score = document[TextScoreMetadata.field] { output[TextScoreMetadata.field] = score }
            return output
        case .exclusion:
            var output = exclude(fields, from: document)
            // Top-level `$meta` fields of an exclusion projection are added, as mongod does.
            for (name, node) in fields {
                guard case .computed(let expression) = node else { continue }
                if let value = try expression.evaluate(scope) { output[name] = value } else { _ = output.removeValue(forKey: name) }
            }
            return output
        case .addFields:
            return try add(fields, to: document, scope: scope)
        }
    }

    private func include(_ fields: [(name: String, node: Node)], from document: BSONDocument, into output: inout BSONDocument,
                         scope: ExpressionScope) throws(MongoError) {
        // Included fields keep the input's order; computed ones follow in specification order.
        for (key, value) in document.elements {
            guard let node = fields.first(where: { $0.name == key })?.node else { continue }
            switch node {
            case .include:
                output.append(key, value)
            case .nested(let children):
                let hasIncludes = Self.containsInclude(children)
                if case .document(let inner) = value {
                    var sub = BSONDocument()
                    try include(children, from: inner, into: &sub, scope: scope)
                    output.append(key, .document(sub))
                } else if case .array(let elements) = value, hasIncludes {
                    output.append(key, .array(try includeArray(children, elements, scope: scope)))
                }
            default:
                continue
            }
        }
        for (name, node) in fields {
            switch node {
            case .computed(let expression):
                let value = try expression.evaluate(scope)
                if let value { output[name] = value }
            case .nested(let children) where Self.containsComputed(children) && document[name]?.documentValue == nil:
                if case .array(let elements)? = document[name] {
                    var mapped: [BSONValue] = []
                    for element in elements {
                        var sub = BSONDocument()
                        try include(children, from: element.documentValue ?? BSONDocument(), into: &sub, scope: scope)
                        mapped.append(.document(sub))
                    }
                    output[name] = .array(mapped)
                } else {
                    var sub = BSONDocument()
                    try include(children, from: BSONDocument(), into: &sub, scope: scope)
                    output[name] = .document(sub)
                }
            default:
                continue
            }
        }
    }

    private func includeArray(_ children: [(name: String, node: Node)], _ elements: [BSONValue], scope: ExpressionScope) throws(MongoError) -> [BSONValue] {
        var result: [BSONValue] = []
        for element in elements {
            switch element {
            case .document(let inner):
                var sub = BSONDocument()
                try include(children, from: inner, into: &sub, scope: scope)
                result.append(.document(sub))
            case .array(let nested):
                result.append(.array(try includeArray(children, nested, scope: scope)))
            default:
                continue
            }
        }
        return result
    }

    private static func containsInclude(_ fields: [(name: String, node: Node)]) -> Bool {
        fields.contains { field in
            switch field.node {
            case .include: true
            case .nested(let children): containsInclude(children)
            default: false
            }
        }
    }

    private static func containsComputed(_ fields: [(name: String, node: Node)]) -> Bool {
        fields.contains { field in
            switch field.node {
            case .computed: true
            case .nested(let children): containsComputed(children)
            default: false
            }
        }
    }

    private func exclude(_ fields: [(name: String, node: Node)], from document: BSONDocument) -> BSONDocument {
        var output = BSONDocument()
        for (key, value) in document.elements {
            guard let node = fields.first(where: { $0.name == key })?.node else {
                output.append(key, value)
                continue
            }
            switch node {
            case .exclude:
                continue
            case .nested(let children):
                switch value {
                case .document(let inner): output.append(key, .document(exclude(children, from: inner)))
                case .array(let elements): output.append(key, .array(excludeArray(children, elements)))
                default: output.append(key, value)
                }
            default:
                output.append(key, value)
            }
        }
        return output
    }

    private func excludeArray(_ children: [(name: String, node: Node)], _ elements: [BSONValue]) -> [BSONValue] {
        elements.map { element in
            switch element {
            case .document(let inner): .document(exclude(children, from: inner))
            case .array(let nested): .array(excludeArray(children, nested))
            default: element
            }
        }
    }

    private func add(_ fields: [(name: String, node: Node)], to document: BSONDocument, scope: ExpressionScope) throws(MongoError) -> BSONDocument {
        var output = document
        for (name, node) in fields {
            switch node {
            case .computed(let expression):
                output[name] = try expression.evaluate(scope)
            case .nested(let children):
                switch output[name] {
                case .document(let inner)?:
                    output[name] = .document(try add(children, to: inner, scope: scope))
                case .array(let elements)?:
                    output[name] = .array(try addArray(children, elements, scope: scope))
                default:
                    output[name] = .document(try add(children, to: BSONDocument(), scope: scope))
                }
            default:
                continue
            }
        }
        return output
    }

    private func addArray(_ children: [(name: String, node: Node)], _ elements: [BSONValue], scope: ExpressionScope) throws(MongoError) -> [BSONValue] {
        var result: [BSONValue] = []
        for element in elements {
            switch element {
            case .document(let inner): result.append(.document(try add(children, to: inner, scope: scope)))
            case .array(let nested): result.append(.array(try addArray(children, nested, scope: scope)))
            default: result.append(.document(try add(children, to: BSONDocument(), scope: scope)))
            }
        }
        return result
    }
}
