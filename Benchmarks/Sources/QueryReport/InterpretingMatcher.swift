// The W4 baseline: a matcher that interprets the filter document against raw BSON for every
// document — find each field by walking the document's keys, dispatch on the operator's
// name — as a BSON-at-rest database does. Handles the benchmark's filter forms only.

import BSON

struct InterpretingMatcher {
    let spec: BSONDocument

    /// Whether the BSON document `view` matches `{field: value}` / `{field: {$op: value}}`
    /// conditions (all of them).
    func matches(_ view: BSONDocumentView) -> Bool {
        for (field, condition) in spec {
            let value = try? view[field]?.value()
            if case let .document(operators) = condition, let first = operators.first, first.key.hasPrefix("$") {
                for (name, operand) in operators where !Self.apply(name, value, operand) { return false }
            } else if !Self.apply("$eq", value, condition) {
                return false
            }
        }
        return true
    }

    private static func apply(_ name: String, _ value: BSONValue?, _ operand: BSONValue) -> Bool {
        guard let value else { return name == "$eq" && operand == .null }
        guard value.type.canonicalRank == operand.type.canonicalRank else { return false }
        let order = BSONValue.compare(value, operand)
        switch name {
        case "$eq": return order == 0
        case "$gt": return order > 0
        case "$gte": return order >= 0
        case "$lt": return order < 0
        case "$lte": return order <= 0
        case "$ne": return order != 0
        default: return false
        }
    }
}
