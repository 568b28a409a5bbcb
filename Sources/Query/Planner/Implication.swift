// Whether a query implies an index's partialFilterExpression, so the partial index holds
// every document the query can match. Conservative: anything not understood is "no".

internal import BSON
internal import Documents

enum Implication {
    /// Whether every document matching `query` matches `partialFilter`.
    static func implies(_ query: Conjuncts, _ partialFilter: BSONDocument) -> Bool {
        guard let partial = try? Filter(partialFilter) else { return false }
        let required = Conjuncts(partial.root)
        guard required.onlyPathPredicates else { return false }
        for (path, predicates) in required.byPath {
            let available = query.byPath[path] ?? []
            for predicate in predicates where !available.contains(where: { implies($0, predicate) }) {
                return false
            }
        }
        return true
    }

    /// Whether a value satisfying `have` always satisfies `need`.
    static func implies(_ have: PathPredicate, _ need: PathPredicate) -> Bool {
        switch have {
        case let .equal(value):
            return admits(need, value)
        case let .in(values):
            return !values.isEmpty && values.allSatisfy { admits(need, $0) }
        case let .greaterThan(value), let .greaterThanOrEqual(value):
            let strict = if case .greaterThan = have { true } else { false }
            switch need {
            case .exists(true): return true
            case let .greaterThan(bound):
                let order = sameBracketOrder(value, bound)
                return order.map { $0 > 0 || ($0 == 0 && strict) } ?? false
            case let .greaterThanOrEqual(bound):
                return sameBracketOrder(value, bound).map { $0 >= 0 } ?? false
            default: return false
            }
        case let .lessThan(value), let .lessThanOrEqual(value):
            let strict = if case .lessThan = have { true } else { false }
            switch need {
            case .exists(true): return true
            case let .lessThan(bound):
                let order = sameBracketOrder(value, bound)
                return order.map { $0 < 0 || ($0 == 0 && strict) } ?? false
            case let .lessThanOrEqual(bound):
                return sameBracketOrder(value, bound).map { $0 <= 0 } ?? false
            default: return false
            }
        case .exists(true):
            if case .exists(true) = need { return true }
            return false
        default:
            return false
        }
    }

    /// Whether the value `value` (a scalar the query pins the path to) satisfies `need`.
    private static func admits(_ need: PathPredicate, _ value: BSONValue) -> Bool {
        switch value {
        case .array, .document, .regex: return false
        default: break
        }
        switch need {
        case let .equal(bound): return sameBracketOrder(value, bound) == 0
        case let .greaterThan(bound): return sameBracketOrder(value, bound).map { $0 > 0 } ?? false
        case let .greaterThanOrEqual(bound): return sameBracketOrder(value, bound).map { $0 >= 0 } ?? false
        case let .lessThan(bound): return sameBracketOrder(value, bound).map { $0 < 0 } ?? false
        case let .lessThanOrEqual(bound): return sameBracketOrder(value, bound).map { $0 <= 0 } ?? false
        case let .exists(flag): return flag && value != .null
        case let .in(bounds): return bounds.contains { sameBracketOrder(value, $0) == 0 }
        default: return false
        }
    }

    /// `compare(a, b)` when both are in the same canonical bracket, else `nil`.
    private static func sameBracketOrder(_ a: BSONValue, _ b: BSONValue) -> Int? {
        guard a.type.canonicalRank == b.type.canonicalRank else { return nil }
        return BSONValue.compare(a, b)
    }
}
