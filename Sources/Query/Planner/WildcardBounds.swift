// WildcardBounds: how the planner scans a wildcard index. The index holds `[path, value]` keys,
// so a predicate on one path it indexes becomes a scan of that path's point on `$_path` and
// the predicate's value intervals (as for an ordinary index on the path, type-bracketed).
// Only what the keys hold exactly can bound it: not null or missing (absent paths have no
// keys), not documents or arrays (documents are traversed, not indexed whole), not paths
// with positional components. Index order serves a sort on the path only where it is not
// multikey and the scan is bounded on it.

internal import BSON
internal import Documents

enum WildcardBounds {
    /// The scans of wildcard `index` that can answer the query, one per usable path (best
    /// first: equality before range), with the score offset that ranks it below an ordinary
    /// index on the same path.
    static func scanPlans(
        _ index: IndexDescription, conjuncts: Conjuncts, sort: SortSpec?
    ) -> [IndexScanPlan] {
        guard let spec = WildcardIndexSpec(index) else { return [] }
        if let partial = index.partialFilter, !Implication.implies(conjuncts, partial) { return [] }
        let collator = index.collator
        var plans: [IndexScanPlan] = []
        for path in conjuncts.byPath.keys.sorted() {
            let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard components.allSatisfy(isPlainComponent), spec.projection.indexes(path: components) else { continue }
            let multikey = isMultikey(components, index: index)
            var intervals = [IndexInterval.all]
            var bounded = false
            for predicate in conjuncts.byPath[path] ?? [] {
                guard let usable = Planner.boundable(predicate, indexCollator: collator), isExact(usable),
                      let admitted = PredicateBounds.intervals(usable)
                else { continue }
                intervals = PredicateBounds.intersect(intervals, admitted)
                bounded = true
                if multikey { break }
            }
            guard bounded else { continue }
            let valueAscending = !spec.isDescending
            let keyFields = [(path: WildcardIndexSpec.pathField, ascending: true), (path: path, ascending: valueAscending)]
            let isEquality = intervals.count == 1 && intervals.allSatisfy { BSONValue.compare($0.lower, $0.upper) == 0 }
            // A sort on this one path, where each document has one key on it.
            var providesSort = false
            var reverse = false
            if let sort, !multikey, collator == sort.collator, sort.keys.count == 1, sort.keys[0].path.dotted == path {
                providesSort = true
                reverse = sort.keys[0].ascending != valueAscending
            }
            plans.append(IndexScanPlan(
                index: index, keyFields: keyFields, bounds: [[.point(.string(path))], intervals], reverse: reverse,
                providesSort: providesSort, covered: false, equalityPrefix: isEquality ? 2 : 1))
        }
        return plans.sorted { $0.equalityPrefix > $1.equalityPrefix }
    }

    /// What a wildcard scan scores below an ordinary scan of the same bounds: the `$_path`
    /// point is no selectivity of its own, and an ordinary index on the path wins ties.
    static let scoreOffset = 101

    /// Whether `predicate`'s matches all have a key within its intervals: comparisons with
    /// scalars that are not null (a missing path has no key; documents are not keys).
    private static func isExact(_ predicate: PathPredicate) -> Bool {
        switch predicate {
        case let .equal(value), let .greaterThan(value), let .greaterThanOrEqual(value), let .lessThan(value),
             let .lessThanOrEqual(value):
            return isScalar(value)
        case let .in(values):
            return !values.isEmpty && values.allSatisfy(isScalar)
        default:
            return false
        }
    }

    private static func isScalar(_ value: BSONValue) -> Bool {
        switch value {
        case .null, .undefined, .document, .array, .minKey, .maxKey, .regex: false
        default: true
        }
    }

    /// A path component that names a field, not possibly an array position.
    private static func isPlainComponent(_ component: String) -> Bool {
        !component.isEmpty && !component.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Whether the path or a prefix of it has held an array in some indexed document.
    static func isMultikey(_ components: [String], index: IndexDescription) -> Bool {
        !multikeyPrefixes(of: components, index: index).isEmpty
    }

    /// The prefixes of `components` (the path itself included), shortest first, that have held
    /// an array in some indexed document: what MongoDB's explain lists as the scanned path's
    /// `multiKeyPaths` in a wildcard IXSCAN.
    static func multikeyPrefixes(of components: [String], index: IndexDescription) -> [String] {
        let multikey = Set(index.multikeyFields)
        return components.indices.map { components[...$0].joined(separator: ".") }.filter(multikey.contains)
    }
}
