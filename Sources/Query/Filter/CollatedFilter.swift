// CollatedFilter: a parsed filter rewritten for a collation. Every comparison whose operand
// holds a string gets comparison keys for operands (`$in` lists re-sorted and deduplicated in
// the collation's order) and is wrapped in PathPredicate.collated, so the matcher turns each
// reached value into its key before comparing. Comparisons without strings, `$regex`, `$type`,
// `$exists` and the rest stay as they are: a collation cannot change them, and they keep the
// compiled matcher's fast paths and any index.

internal import BSON
public import Collation

extension FilterNode {
    /// This filter with its string comparisons made under `collator`.
    public func collated(by collator: Collator) -> FilterNode {
        switch self {
        case .and(let children): .and(children.map { $0.collated(by: collator) })
        case .or(let children): .or(children.map { $0.collated(by: collator) })
        case .nor(let children): .nor(children.map { $0.collated(by: collator) })
        case .path(let path, let predicate): .path(path, predicate.collated(by: collator))
        case .expr, .constant, .jsonSchema: self
        }
    }
}

extension PathPredicate {
    /// This predicate with its string comparisons made under `collator`.
    func collated(by collator: Collator) -> PathPredicate {
        func keyed(_ value: BSONValue, _ make: (BSONValue) -> PathPredicate) -> PathPredicate {
            Collator.containsStrings(value) ? .collated(collator, make(collator.comparisonKey(value))) : self
        }
        func keyed(_ values: [BSONValue], _ make: ([BSONValue]) -> PathPredicate) -> PathPredicate {
            guard values.contains(where: Collator.containsStrings) else { return self }
            return .collated(collator, make(FilterParser.sortedUnique(values.map(collator.comparisonKey))))
        }
        switch self {
        case .equal(let value): return keyed(value, PathPredicate.equal)
        case .notEqual(let value): return keyed(value, PathPredicate.notEqual)
        case .greaterThan(let value): return keyed(value, PathPredicate.greaterThan)
        case .greaterThanOrEqual(let value): return keyed(value, PathPredicate.greaterThanOrEqual)
        case .lessThan(let value): return keyed(value, PathPredicate.lessThan)
        case .lessThanOrEqual(let value): return keyed(value, PathPredicate.lessThanOrEqual)
        case .in(let values): return keyed(values, PathPredicate.in)
        case .inWithRegexes(let values, let regexes): return keyed(values) { .inWithRegexes($0, regexes) }
        case .notIn(let values, let regexes): return keyed(values) { .notIn($0, regexes) }
        case .all(let predicates): return .all(predicates.map { $0.collated(by: collator) })
        case .elemMatchObject(let filter): return .elemMatchObject(filter.collated(by: collator))
        case .elemMatchValue(let predicates): return .elemMatchValue(predicates.map { $0.collated(by: collator) })
        case .and(let predicates): return .and(predicates.map { $0.collated(by: collator) })
        case .not(let predicate): return .not(predicate.collated(by: collator))
        case .exists, .type, .mod, .regex, .size, .bitsAllSet, .bitsAnySet, .bitsAllClear, .bitsAnyClear, .collated, .geo, .near:
            return self
        }
    }
}
