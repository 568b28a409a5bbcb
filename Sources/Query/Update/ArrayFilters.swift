// ArrayFilters: the `arrayFilters` of an update compiled to filters keyed by identifier,
// with MongoDB's rules for the identifier (one top-level field name per filter, alphanumeric
// starting lowercase, no two filters with the same one) and its error messages.

internal import BSON
internal import Collation
internal import Documents

/// Compiled array filters by identifier.
enum ArrayFilters {
    /// Compiles `specs` under the update's collation; each element `e` of an array is later
    /// tested as `{<id>: e}`.
    static func compile(_ specs: [BSONDocument], collator: Collator?) throws(MongoError) -> [String: Filter] {
        var filters: [String: Filter] = [:]
        for spec in specs {
            let filter: Filter
            let identifier: String?
            do throws(MongoError) {
                filter = try Filter(spec, collator: collator)
                identifier = try topLevelFieldName(spec)
                if let identifier, !isValidIdentifier(identifier) {
                    throw MongoError(.badValue, "The top-level field name must be an alphanumeric string beginning "
                                     + "with a lowercase letter, found '\(identifier)'")
                }
            } catch {
                throw MongoError(error.code, "Error parsing array filter :: caused by :: \(error.message)")
            }
            guard let identifier else {
                throw MongoError(.failedToParse, "Cannot use an expression without a top-level field name in arrayFilters")
            }
            if filters[identifier] != nil {
                throw MongoError(.failedToParse, "Found multiple array filters with the same top-level field name \(identifier)")
            }
            filters[identifier] = filter
        }
        return filters
    }

    /// The one top-level field name (first path component) the filter's predicates use, as
    /// `ExpressionWithPlaceholder` finds it; `nil` when no predicate names a field.
    private static func topLevelFieldName(_ spec: BSONDocument) throws(MongoError) -> String? {
        var found: String?
        for (key, value) in spec.elements {
            var names: [String] = []
            if key == "$and" || key == "$or" || key == "$nor" {
                if case .array(let clauses) = value {
                    for clause in clauses {
                        if case .document(let document) = clause, let name = try topLevelFieldName(document) {
                            names.append(name)
                        }
                    }
                }
            } else if !key.hasPrefix("$") {
                names.append(String(key.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""))
            }
            for name in names {
                if let found, found != name {
                    throw MongoError(.failedToParse, "Expected a single top-level field name, found '\(found)' and '\(name)'")
                }
                found = name
            }
        }
        return found
    }

    /// `^[a-z][a-zA-Z0-9]*$`.
    private static func isValidIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, first >= 0x61, first <= 0x7A else { return false }
        return bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
    }
}
