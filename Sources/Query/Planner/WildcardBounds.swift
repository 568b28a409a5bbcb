// WildcardBounds: how the planner scans a wildcard index. The index holds `[path, value]` keys
// (between the regular fields' values in a compound wildcard index), so a predicate on one
// path it indexes becomes a scan of that path's point on `$_path` and the predicate's value
// intervals (as for an ordinary index on the path, type-bracketed), with the regular fields'
// intervals around them. Only what the keys hold exactly can bound the path: not null or
// missing (absent paths have no keys), not documents or arrays (documents are traversed, not
// indexed whole), not paths with positional components. `$exists: true` scans every value of
// the path and of the paths below it (mongod's bounds). A compound index also answers
// queries on its regular prefix alone (every `$_path`), where a document lacking every
// regular field cannot match. A single path's scan covers a projection of that path alone
// (`_id` excluded) when the path is not multikey and its bounds are exact. Index order serves a sort on the regular fields and the path
// only where the path is not multikey.

internal import BSON
internal import Collation
internal import Documents

enum WildcardBounds {
    /// The scans of wildcard `index` that can answer the query, one per usable path (best
    /// first: equality before range), and for a compound index one on its regular prefix.
    static func scanPlans(
        _ index: IndexDescription, conjuncts: Conjuncts, sort: SortSpec?, projection: Projection? = nil
    ) -> [IndexScanPlan] {
        guard let spec = WildcardIndexSpec(index) else { return [] }
        if let partial = index.partialFilter, !Implication.implies(conjuncts, partial) { return [] }
        let collator = index.collator
        let prefix = spec.prefixFields.map { regularBounds($0, conjuncts: conjuncts, collator: collator) }
        let suffix = spec.suffixFields.map { regularBounds($0, conjuncts: conjuncts, collator: collator) }
        // Like any compound index, usable only when its leading field is bound.
        if let first = prefix.first, !first.bounded { return [] }
        let shape = ScanShape(spec: spec, prefix: prefix, suffix: suffix, index: index, sort: sort)
        var plans: [IndexScanPlan] = []
        for path in conjuncts.byPath.keys.sorted() {
            let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard components.allSatisfy(isPlainComponent), spec.projection.indexes(path: components) else { continue }
            let multikey = isMultikey(components, index: index)
            var intervals = [IndexInterval.all]
            var bounded = false
            var exact = true
            for predicate in conjuncts.byPath[path] ?? [] {
                guard let usable = Planner.boundable(predicate, indexCollator: collator), isExact(usable),
                      let admitted = PredicateBounds.intervals(usable)
                else {
                    exact = false
                    continue
                }
                intervals = PredicateBounds.intersect(intervals, admitted)
                bounded = true
                if multikey { break }
            }
            if bounded {
                let covered = exact && !multikey && isCoverable(path, spec: spec, index: index, conjuncts: conjuncts, projection: projection)
                plans.append(shape.plan(path: path, pathBounds: [.point(.string(path))], values: intervals, ordersByPath: !multikey,
                                        covered: covered))
            } else if conjuncts.byPath[path]?.contains(where: isExistsTrue) == true {
                // Every document holding the path has a key on it or below it (an empty
                // document or array is a key of its own): every value there and underneath.
                plans.append(shape.plan(path: path, pathBounds: subtreeBounds(path), values: [.all], ordersByPath: false))
            }
        }
        // The regular prefix alone: every path's keys and the keys of documents with none.
        if let first = prefix.first, first.bounded, spec.isCompound {
            let fields = spec.prefixFields + spec.suffixFields
            let excludesMissing = fields.contains { field in
                (conjuncts.byPath[field.path] ?? []).contains { !PredicateBounds.matchesMissing($0) }
            }
            if excludesMissing {
                let valueField = index.key.keys.first { $0 == "$**" || $0.hasSuffix(".$**") } ?? "$**"
                plans.append(shape.plan(path: valueField, pathBounds: [.all], values: [.all], ordersByPath: false))
            }
        }
        return plans.sorted { $0.equalityPrefix > $1.equalityPrefix }
    }

    /// What a wildcard scan scores below an ordinary scan of the same bounds: the `$_path`
    /// point is no selectivity of its own, and an ordinary index on the path wins ties.
    static let scoreOffset = 101

    /// A regular field's intervals from the query, and whether any predicate bound it. A
    /// compound wildcard index's regular fields are never arrays (their writes are refused),
    /// so every predicate on the field narrows it.
    private static func regularBounds(
        _ field: IndexKeyField, conjuncts: Conjuncts, collator: Collator?
    ) -> (field: IndexKeyField, intervals: [IndexInterval], bounded: Bool) {
        var intervals = [IndexInterval.all]
        var bounded = false
        for predicate in conjuncts.byPath[field.path] ?? [] {
            guard let usable = Planner.boundable(predicate, indexCollator: collator),
                  let admitted = PredicateBounds.intervals(usable)
            else { continue }
            intervals = PredicateBounds.intersect(intervals, admitted)
            bounded = true
        }
        return (field, intervals, bounded)
    }

    /// The parts of a wildcard scan shared by every path it may scan.
    private struct ScanShape {
        let spec: WildcardIndexSpec
        let prefix: [(field: IndexKeyField, intervals: [IndexInterval], bounded: Bool)]
        let suffix: [(field: IndexKeyField, intervals: [IndexInterval], bounded: Bool)]
        let index: IndexDescription
        let sort: SortSpec?

        /// The scan of `path` (a real path, or the wildcard field for the prefix-only scan).
        func plan(
            path: String, pathBounds: [IndexInterval], values: [IndexInterval], ordersByPath: Bool, covered: Bool = false
        ) -> IndexScanPlan {
            let valueAscending = !spec.isDescending
            let keyFields = prefix.map { (path: $0.field.path, ascending: !$0.field.isDescending) }
                + [(path: WildcardIndexSpec.pathField, ascending: true), (path: path, ascending: valueAscending)]
                + suffix.map { (path: $0.field.path, ascending: !$0.field.isDescending) }
            let bounds = prefix.map(\.intervals) + [pathBounds, values] + suffix.map(\.intervals)
            var equalityPrefix = 0
            for intervals in bounds {
                guard intervals.count == 1, BSONValue.compare(intervals[0].lower, intervals[0].upper) == 0 else { break }
                equalityPrefix += 1
            }
            // The order the scan yields, `$_path` left out (one point, or the prefix-only scan
            // whose order ends with the prefix): the regular prefix, the path's values while
            // each document has one key there, then the suffix.
            var ordered = prefix.map { (path: $0.field.path, ascending: !$0.field.isDescending, point: isPoint($0.intervals)) }
            if ordersByPath {
                ordered.append((path: path, ascending: valueAscending, point: isPoint(values)))
                ordered += suffix.map { (path: $0.field.path, ascending: !$0.field.isDescending, point: isPoint($0.intervals)) }
            }
            let (providesSort, reverse) = Planner.sortOrder(
                ordered.map { (path: $0.path, ascending: $0.ascending) }, equalityPrefix: ordered.prefix { $0.point }.count,
                sort: sort, multikey: index.collator != sort?.collator)
            return IndexScanPlan(index: index, keyFields: keyFields, bounds: bounds, reverse: reverse,
                                 providesSort: providesSort, covered: covered, equalityPrefix: equalityPrefix)
        }

        private func isPoint(_ intervals: [IndexInterval]) -> Bool {
            intervals.count == 1 && BSONValue.compare(intervals[0].lower, intervals[0].upper) == 0
        }
    }

    /// Whether a scan of `path` alone can answer the query without its documents, as mongod
    /// covers with a wildcard index: a single (not compound) index without a collation, the
    /// query only on that path, and the projection exactly that path with `_id` excluded. The
    /// caller checks that the path is not multikey (one key per document, its whole value)
    /// and that its bounds are exact.
    private static func isCoverable(
        _ path: String, spec: WildcardIndexSpec, index: IndexDescription, conjuncts: Conjuncts, projection: Projection?
    ) -> Bool {
        guard !spec.isCompound, index.collator == nil, conjuncts.onlyPathPredicates, conjuncts.byPath.count == 1,
              let fields = projection?.coveredFields
        else { return false }
        return fields.map(\.dotted) == [path]
    }

    /// `$_path` intervals for `path` and every path below it: `["a", "a"]`, `["a.", "a/")`
    /// (`/` follows `.` in byte order), as mongod bounds `$exists: true`.
    static func subtreeBounds(_ path: String) -> [IndexInterval] {
        [.point(.string(path)),
         IndexInterval(lower: .string(path + "."), lowerInclusive: true, upper: .string(path + "/"), upperInclusive: false)]
    }

    private static func isExistsTrue(_ predicate: PathPredicate) -> Bool {
        if case .exists(true) = predicate { return true }
        return false
    }

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
