// HashedBounds: how the planner scans a hashed index field. Only equality and `$in` can use
// it: each operand becomes the point of its MongoDB hash (the field's key), so the scan finds
// every document whose value hashes alike and the executor re-checks the filter. Ranges,
// regexes and arrays cannot, and hashed order is no sort order.

internal import BSON
internal import Documents

enum HashedBounds {
    /// The path of `index`'s hashed field, `nil` for an index without one.
    static func hashedPath(of index: IndexDescription) -> String? {
        index.key.first { $0.value.stringValue == "hashed" }?.key
    }

    /// The points of the hashes `predicate` admits on a hashed field, or `nil` when it cannot
    /// bound the scan (anything but an equality or `$in` of values a point can express).
    static func intervals(_ predicate: PathPredicate) -> [IndexInterval]? {
        let operands: [BSONValue]
        switch predicate {
        case let .equal(value): operands = [value]
        case let .in(values): operands = values
        default: return nil
        }
        // The ordinary bounds refuse the operands an equality point cannot stand for.
        guard PredicateBounds.intervals(predicate) != nil else { return nil }
        let points = operands.map { operand in
            let key = BSONValue.int64(BSONValueHasher.hash64(operand))
            return IndexInterval(lower: key, lowerInclusive: true, upper: key, upperInclusive: true)
        }
        return PredicateBounds.normalize(points)
    }

    /// The key fields whose order can serve a sort: those before the hashed field, or all of
    /// them when the hashed field is bound to one point (within the equality prefix).
    static func sortableFields(
        _ keyFields: [(path: String, ascending: Bool)], hashedPath: String?, equalityPrefix: Int
    ) -> [(path: String, ascending: Bool)] {
        guard let hashedPath, let position = keyFields.firstIndex(where: { $0.path == hashedPath }),
              position >= equalityPrefix
        else { return keyFields }
        return Array(keyFields.prefix(position))
    }
}
