// FindIndexBounds: find's `min` and `max` — index key bounds on the hinted index (`min`
// inclusive, `max` exclusive, compared in the index's key order) — parsed and checked with
// mongod's errors, and applied to the documents a find would return without its skip and
// limit. Owns nothing of planning: the hint still chooses the index scan.

import BSON
import Query

/// find's `min`/`max` bounds on the hinted index's key pattern.
struct FindIndexBounds: Sendable {
    /// The hinted index's key pattern (field → direction).
    let keyPattern: BSONDocument
    /// The inclusive lower bound's values, in key-pattern order (nil: unbounded).
    let lower: [BSONValue]?
    /// The exclusive upper bound's values, in key-pattern order (nil: unbounded).
    let upper: [BSONValue]?

    /// The bounds `context`'s find asks for, or nil when it gives neither `min` nor `max`
    /// (an empty document is no bound, as in mongod).
    ///
    /// - Throws: 51176 when `min` and `max` name different fields; 51173 without `hint`;
    ///   `BadValue` (2) for a hint that names no index; 51174 when the bound's fields are not
    ///   the hinted index's key pattern or the index is a wildcard index; 51175 when `max` is
    ///   not above `min`.
    init?(_ context: CommandContext, namespace: Namespace) throws(MongoError) {
        let minimum = try context.document("min").flatMap { $0.isEmpty ? nil : $0 }
        let maximum = try context.document("max").flatMap { $0.isEmpty ? nil : $0 }
        guard minimum != nil || maximum != nil else { return nil }
        if let minimum, let maximum, minimum.keys != maximum.keys {
            throw MongoError(.location(51176), "min and max must have the same field names")
        }
        guard let hint = try context.hint() else {
            throw MongoError(.location(51173), "When using min()/max() a hint of which index to use must be provided")
        }
        let indexes = context.engine.indexes(of: namespace) ?? []
        let index = indexes.first { index in
            switch hint {
            case let .string(name): index.name == name
            case let .document(pattern): index.key == pattern
            default: false
            }
        }
        guard let index else {
            throw MongoError(.badValue, "error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index")
        }
        // A wildcard index's keys are expanded paths, not its key pattern's fields: mongod
        // finds no valid index for min/max among them.
        let isWildcard = index.key.keys.contains { $0 == "$**" || $0.hasSuffix(".$**") }
        for bound in [minimum, maximum].compactMap({ $0 }) where isWildcard || bound.keys != index.key.keys {
            throw MongoError(.location(51174), "The index chosen is not valid for min/max")
        }
        keyPattern = index.key
        lower = minimum.map { $0.map(\.value) }
        upper = maximum.map { $0.map(\.value) }
        if let lower, let upper, compare(lower, upper) >= 0 {
            throw MongoError(.location(51175), "max() must be greater than min()")
        }
    }

    /// The documents whose index key lies in the bounds (for a multikey field, any of its
    /// keys), in their order.
    func filter(_ documents: [BSONDocument]) -> [BSONDocument] {
        documents.filter { document in keys(of: document).contains(where: contains) }
    }

    /// Whether `key` (values in key-pattern order) lies in `[lower, upper)`.
    func contains(_ key: [BSONValue]) -> Bool {
        if let lower, compare(key, lower) < 0 { return false }
        if let upper, compare(key, upper) >= 0 { return false }
        return true
    }

    /// Compares two keys in the index's order: field by field, a descending field reversed.
    func compare(_ lhs: [BSONValue], _ rhs: [BSONValue]) -> Int {
        for (position, element) in keyPattern.enumerated() where position < lhs.count && position < rhs.count {
            let order = BSONValue.compare(lhs[position], rhs[position])
            guard order == 0 else { return Self.isDescending(element.value) ? -order : order }
        }
        return 0
    }

    /// The index keys `document` has: one per combination of a multikey field's elements
    /// (a missing field is null, an empty array undefined, as in index keys).
    func keys(of document: BSONDocument) -> [[BSONValue]] {
        var keys: [[BSONValue]] = [[]]
        for field in keyPattern.keys {
            let values: [BSONValue] = switch QueryCommands.value(atDotted: field, in: document) {
            case nil: [.null]
            case let .array(elements)?: elements.isEmpty ? [.undefined] : elements
            case let value?: [value]
            }
            keys = keys.flatMap { key in values.map { key + [$0] } }
        }
        return keys
    }

    /// A key-pattern direction that orders descending (a negative number).
    private static func isDescending(_ direction: BSONValue) -> Bool {
        (direction.doubleValue ?? 1) < 0
    }
}
