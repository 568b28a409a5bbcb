// UpsertSeed: the document an upsert starts from, built from the query's equality
// predicates (top-level fields, `$eq`, `$and` of those) the way MongoDB's
// extractEqualityMatches and addEqualitiesToDoc build it; other operators are ignored.

internal import BSON
internal import Documents

/// The equality fields of an upsert's query, placed into a new document.
enum UpsertSeed {
    /// One equality predicate: the path and the value it must equal.
    struct Equality {
        var path: [String]
        var dotted: String
        var value: BSONValue
    }

    /// The document the equalities of `query` describe. With `onlyId`, only `_id` is taken,
    /// and a predicate on part of `_id` is an error (replacement upserts).
    static func document(from query: BSONDocument, onlyId: Bool) throws(MongoError) -> EditNode {
        var equalities: [Equality] = []
        try collect(query, into: &equalities, onlyId: onlyId)
        let root = EditNode(root: BSONDocument())
        for equality in equalities {
            try set(equality, in: root)
        }
        return root
    }

    private static func collect(_ query: BSONDocument, into equalities: inout [Equality], onlyId: Bool) throws(MongoError) {
        for (key, value) in query.elements {
            if key.hasPrefix("$") {
                // $and contributes its clauses; an $or of one clause is that clause.
                if case .array(let clauses) = value, key == "$and" || (key == "$or" && clauses.count == 1) {
                    for clause in clauses {
                        if case .document(let document) = clause {
                            try collect(document, into: &equalities, onlyId: onlyId)
                        }
                    }
                }
                continue
            }
            switch value {
            case .document(let operators) where isOperatorObject(operators):
                for (op, argument) in operators.elements where op == "$eq" {
                    try add(key, argument, into: &equalities, onlyId: onlyId)
                }
            case .regex:
                continue
            default:
                try add(key, value, into: &equalities, onlyId: onlyId)
            }
        }
    }

    /// `{$gt: 1}` is an operator object; `{$ref: ..., $id: ...}` (a DBRef) is a value.
    private static func isOperatorObject(_ document: BSONDocument) -> Bool {
        guard let first = document.first?.key, first.hasPrefix("$") else { return false }
        return first != "$ref" && first != "$id" && first != "$db"
    }

    private static func add(_ dotted: String, _ value: BSONValue, into equalities: inout [Equality],
                            onlyId: Bool) throws(MongoError) {
        let path = UpdatePath.components(dotted)
        if onlyId {
            guard path.first == "_id" else { return }
            if path.count > 1 {
                throw MongoError(.notExactValueField, "field at '_id' must be exactly specified, field at sub-path "
                                 + "'\(dotted)'found")
            }
        }
        for existing in equalities {
            if existing.path == path {
                throw MongoError(.notSingleValueField, "cannot infer query fields to set, path '\(dotted)' is matched twice")
            }
            if path.starts(with: existing.path) {
                throw MongoError(.notSingleValueField, "cannot infer query fields to set, both paths '\(dotted)' and "
                                 + "'\(existing.dotted)' are matched")
            }
            if existing.path.starts(with: path) {
                throw MongoError(.notSingleValueField, "cannot infer query fields to set, both paths '\(existing.dotted)' "
                                 + "and '\(dotted)' are matched")
            }
        }
        equalities.append(Equality(path: path, dotted: dotted, value: value))
    }

    /// MongoDB's `setElementAtPath`: walk the existing prefix, then create the rest.
    private static func set(_ equality: Equality, in root: EditNode) throws(MongoError) {
        var element = root
        var index = 0
        while index < equality.path.count, let next = element.child(for: equality.path[index]) {
            element = next
            index += 1
        }
        if index == equality.path.count {
            element.setValue(equality.value)
            return
        }
        let rest = equality.path[index...]
        func nested(_ components: ArraySlice<String>) -> BSONValue {
            guard let name = components.first else { return equality.value }
            return .document(BSONDocument([(name, nested(components.dropFirst()))]))
        }
        let first = rest.first ?? ""
        if element.isDocument {
            element.append(EditNode(name: first, value: nested(rest.dropFirst())))
        } else if element.isArray, let position = arrayIndex(first) {
            let count = element.children.count
            if position - count > 1_500_000 {
                throw MongoError(.cannotBackfillArray, "can't backfill more than 1500000 elements")
            }
            for _ in count..<max(count, position) { element.append(EditNode(name: "", value: .null)) }
            element.append(EditNode(name: "", value: nested(rest.dropFirst())))
        } else {
            throw MongoError(.pathNotViable, "Cannot create field '\(first)' in element {\(element.text)}")
        }
    }
}
