// From a filter's predicates to index intervals: which conjuncts constrain which path, and
// the value intervals (in ascending BSON order) a predicate admits. Intervals are always a
// superset of the matching values; the executor re-checks the filter on every document.

internal import BSON
internal import Documents

/// The top-level conjuncts of a filter, grouped by path.
struct Conjuncts {
    /// Predicates on each path, in filter order.
    var byPath: [String: [PathPredicate]] = [:]
    /// Whether every conjunct is a path predicate (no `$or`, `$expr`, ...).
    var onlyPathPredicates = true

    init(_ node: FilterNode) {
        collect(node)
    }

    private mutating func collect(_ node: FilterNode) {
        switch node {
        case let .and(children):
            for child in children { collect(child) }
        case let .path(path, predicate):
            collect(path.dotted, predicate)
        case .constant(true):
            break
        default:
            onlyPathPredicates = false
        }
    }

    private mutating func collect(_ path: String, _ predicate: PathPredicate) {
        if case let .and(parts) = predicate {
            for part in parts { collect(path, part) }
        } else {
            byPath[path, default: []].append(predicate)
        }
    }
}

enum PredicateBounds {
    /// The intervals `predicate` admits, or `nil` when it cannot bound an index scan.
    static func intervals(_ predicate: PathPredicate) -> [IndexInterval]? {
        switch predicate {
        case let .equal(value):
            return point(value)
        case let .in(values):
            var result: [IndexInterval] = []
            for value in values {
                guard let points = point(value) else { return nil }
                result += points
            }
            return normalize(result)
        case let .greaterThan(value):
            guard isRangeOperand(value) else { return nil }
            let upper = TypeBracket.upperBound(of: value)
            return [IndexInterval(lower: value, lowerInclusive: false, upper: upper.value, upperInclusive: upper.inclusive)]
        case let .greaterThanOrEqual(value):
            guard isRangeOperand(value) else { return nil }
            let upper = TypeBracket.upperBound(of: value)
            return [IndexInterval(lower: value, lowerInclusive: true, upper: upper.value, upperInclusive: upper.inclusive)]
        case let .lessThan(value):
            guard isRangeOperand(value) else { return nil }
            return [IndexInterval(lower: TypeBracket.lowerBound(of: value), lowerInclusive: true, upper: value, upperInclusive: false)]
        case let .lessThanOrEqual(value):
            guard isRangeOperand(value) else { return nil }
            return [IndexInterval(lower: TypeBracket.lowerBound(of: value), lowerInclusive: true, upper: value, upperInclusive: true)]
        default:
            return nil
        }
    }

    /// Whether `predicate` can match a document whose path is missing (indexed as null).
    static func matchesMissing(_ predicate: PathPredicate) -> Bool {
        switch predicate {
        case let .equal(value): value == .null
        case let .in(values): values.contains(.null)
        case .greaterThan, .lessThan: false
        case let .greaterThanOrEqual(value), let .lessThanOrEqual(value): value == .null
        case let .exists(flag): !flag
        default: true
        }
    }

    /// An equality point; arrays and regexes are not bounded (MongoDB matches them against
    /// elements and patterns, which a point cannot express).
    private static func point(_ value: BSONValue) -> [IndexInterval]? {
        switch value {
        case .array, .regex, .minKey, .maxKey, .undefined:
            return nil
        case let .double(number) where number.isNaN:
            return nil
        default:
            return [IndexInterval(lower: value, lowerInclusive: true, upper: value, upperInclusive: true)]
        }
    }

    private static func isRangeOperand(_ value: BSONValue) -> Bool {
        switch value {
        case .array, .regex, .minKey, .maxKey, .null, .undefined, .document:
            return false
        case let .double(number):
            return !number.isNaN
        default:
            return true
        }
    }

    /// The intersection of two sorted interval lists.
    static func intersect(_ lhs: [IndexInterval], _ rhs: [IndexInterval]) -> [IndexInterval] {
        var result: [IndexInterval] = []
        for a in lhs {
            for b in rhs {
                let lowerOrder = BSONValue.compare(a.lower, b.lower)
                let (lower, lowerInclusive): (BSONValue, Bool) =
                    lowerOrder > 0 ? (a.lower, a.lowerInclusive)
                    : lowerOrder < 0 ? (b.lower, b.lowerInclusive)
                    : (a.lower, a.lowerInclusive && b.lowerInclusive)
                let upperOrder = BSONValue.compare(a.upper, b.upper)
                let (upper, upperInclusive): (BSONValue, Bool) =
                    upperOrder < 0 ? (a.upper, a.upperInclusive)
                    : upperOrder > 0 ? (b.upper, b.upperInclusive)
                    : (a.upper, a.upperInclusive && b.upperInclusive)
                let order = BSONValue.compare(lower, upper)
                if order < 0 || (order == 0 && lowerInclusive && upperInclusive) {
                    result.append(IndexInterval(lower: lower, lowerInclusive: lowerInclusive,
                                                upper: upper, upperInclusive: upperInclusive))
                }
            }
        }
        return normalize(result)
    }

    /// Sorts by lower bound and merges overlapping intervals.
    static func normalize(_ intervals: [IndexInterval]) -> [IndexInterval] {
        let sorted = intervals.sorted { a, b in
            let order = BSONValue.compare(a.lower, b.lower)
            return order < 0 || (order == 0 && a.lowerInclusive && !b.lowerInclusive)
        }
        var merged: [IndexInterval] = []
        for interval in sorted {
            guard var last = merged.last else {
                merged.append(interval)
                continue
            }
            let gap = BSONValue.compare(interval.lower, last.upper)
            if gap < 0 || (gap == 0 && (interval.lowerInclusive || last.upperInclusive)) {
                let upperOrder = BSONValue.compare(interval.upper, last.upper)
                if upperOrder > 0 || (upperOrder == 0 && interval.upperInclusive) {
                    last.upper = interval.upper
                    last.upperInclusive = interval.upperInclusive || (upperOrder == 0 && last.upperInclusive)
                }
                merged[merged.count - 1] = last
            } else {
                merged.append(interval)
            }
        }
        return merged
    }

    /// MongoDB's explain rendering of an interval, e.g. `[1, 1]` or `(5, inf.0]`.
    /// On a descending field (in scan order) the bounds are written high to low.
    static func render(_ interval: IndexInterval, descending: Bool = false) -> String {
        if descending {
            return (interval.upperInclusive ? "[" : "(") + render(interval.upper) + ", " + render(interval.lower)
                + (interval.lowerInclusive ? "]" : ")")
        }
        return (interval.lowerInclusive ? "[" : "(") + render(interval.lower) + ", " + render(interval.upper)
            + (interval.upperInclusive ? "]" : ")")
    }

    private static func render(_ value: BSONValue) -> String {
        switch value {
        case .minKey: return "MinKey"
        case .maxKey: return "MaxKey"
        case let .double(number) where number.isInfinite: return number > 0 ? "inf.0" : "-inf.0"
        case let .double(number) where number.isNaN: return "nan.0"
        case let .string(text): return "\"\(text)\""
        case let .int32(number): return String(number)
        case let .int64(number): return String(number)
        case let .double(number): return String(number)
        case .null: return "null"
        case let .bool(flag): return String(flag)
        case let .datetime(date): return "new Date(\(date.millisecondsSinceEpoch))"
        case let .objectId(id): return "ObjectId('\(id.hex)')"
        default: return value.extendedJSON()
        }
    }
}
