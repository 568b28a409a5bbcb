// The planner: for a filter, sort and projection, rank the collection's usable indexes
// (equality prefix, then a range, then sort order, then covering) and choose an index scan
// or a collection scan. Deterministic and cheap; no trial runs.

internal import BSON
internal import Collation
internal import Documents

struct Planner {
    let indexes: [IndexDescription]

    /// The plan for a query; `hint` forces an index (by name or key pattern) or `$natural`.
    func plan(
        filter: Filter, sort: SortSpec?, projection: Projection?, skip: Int, limit: Int?, hint: BSONValue?
    ) throws(MongoError) -> QueryPlan {
        let conjuncts = Conjuncts(filter.root)
        if let near = try GeoNearPlanning.plan(filter: filter, conjuncts: conjuncts, indexes: indexes, hint: hint) {
            return QueryPlan(access: .geoNear(near), filter: filter, sort: sort, projection: projection, skip: skip, limit: limit)
        }
        var candidates: [(plan: IndexScanPlan, score: Int)] = []
        var hintedWildcard = false
        for index in indexes {
            let forced = try isHinted(index, hint)
            if hint != nil && !forced { continue }
            if forced, WildcardIndexSpec(index) != nil { hintedWildcard = true }
            if index.isHidden && !forced { continue }
            // A text index holds terms, not field values: only `$text` reads it (TextSearch).
            if TextIndexRules.isText(index.key) { continue }
            // A wildcard index holds [path, value] keys: one candidate per path it can bound.
            if WildcardIndexSpec(index) != nil {
                for scan in WildcardBounds.scanPlans(index, conjuncts: conjuncts, sort: sort, projection: projection) {
                    candidates.append((scan, score(scan, conjuncts: conjuncts, limit: limit) - WildcardBounds.scoreOffset))
                }
                continue
            }
            guard let scan = scanPlan(index, conjuncts: conjuncts, filter: filter, sort: sort,
                                      projection: projection, force: forced)
            else { continue }
            candidates.append((scan, score(scan, conjuncts: conjuncts, limit: limit)))
        }
        // mongod scans a hinted index whole when it cannot bound the query, but never a
        // wildcard index (single or compound): its keys are per path, not per document.
        if hintedWildcard, candidates.isEmpty {
            throw MongoError(.noQueryExecutionPlans, "error processing query: planner returned error :: caused by :: $hint: refusing to build whole-index solution, because it's a wildcard index")
        }
        if let hint, candidates.isEmpty, !isNaturalHint(hint) {
            throw MongoError(.badValue, "error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index")
        }
        let best = candidates.max { a, b in
            a.score != b.score ? a.score < b.score : a.plan.keyFields.count > b.plan.keyFields.count
        }
        let access: AccessPath = best.map { .indexScan($0.plan) } ?? .collectionScan
        return QueryPlan(access: access, filter: filter, sort: sort, projection: projection, skip: skip, limit: limit)
    }

    /// Ranks a candidate: bound fields first, then sort, then covering, then uniqueness.
    private func score(_ scan: IndexScanPlan, conjuncts: Conjuncts, limit: Int?) -> Int {
        var score = scan.equalityPrefix * 100
        let boundFields = scan.bounds.enumerated().filter { position, intervals in
            !(intervals.count == 1 && isFull(intervals[0])) && position >= scan.equalityPrefix
        }.count
        score += boundFields > 0 ? 50 : 0
        if scan.providesSort { score += limit != nil ? 80 : 30 }
        if scan.covered { score += 10 }
        if scan.index.isUnique && scan.equalityPrefix == scan.keyFields.count { score += 500 }
        return score
    }

    private func isFull(_ interval: IndexInterval) -> Bool {
        interval.lower == .minKey && interval.upper == .maxKey
    }

    /// A scan of `index` for the query, or `nil` when the index cannot help (or is unusable).
    private func scanPlan(
        _ index: IndexDescription, conjuncts: Conjuncts, filter: Filter, sort: SortSpec?,
        projection: Projection?, force: Bool
    ) -> IndexScanPlan? {
        let keyFields = Self.keyFields(of: index)
        guard !keyFields.isEmpty else { return nil }
        if let partial = index.partialFilter, !Implication.implies(conjuncts, partial) { return nil }
        // Per field: the intersection of what the predicates admit (one predicate only on a
        // multikey index, where a document can satisfy each predicate with another element).
        var bounds: [[IndexInterval]] = []
        var constrainsFirst = false
        let indexCollator = index.isIDIndex ? nil : index.collator  // `_id_` holds the records' binary keys
        let hashedPath = HashedBounds.hashedPath(of: index)
        let geoPaths = GeoBounds.geoPaths(of: index)
        guard GeoBounds.isUsable(geoPaths: geoPaths, conjuncts: conjuncts, index: index) else { return nil }
        for (position, field) in keyFields.enumerated() {
            var intervals = [IndexInterval.all]
            for predicate in conjuncts.byPath[field.path] ?? [] {
                guard let usable = Self.boundable(predicate, indexCollator: indexCollator),
                      let admitted = geoPaths.contains(field.path) ? GeoBounds.intervals(usable, index: index)
                          : field.path == hashedPath ? HashedBounds.intervals(usable) : PredicateBounds.intervals(usable)
                else { continue }
                intervals = PredicateBounds.intersect(intervals, admitted)
                if position == 0 { constrainsFirst = true }
                if index.isMultikey { break }
            }
            bounds.append(intervals)
        }
        if index.isSparse {
            // A sparse index lacks documents missing every key field; usable only when the
            // query cannot match such a document.
            let excludesMissing = keyFields.contains { field in
                (conjuncts.byPath[field.path] ?? []).contains { !PredicateBounds.matchesMissing($0) }
            }
            if !excludesMissing { return nil }
        }
        var equalityPrefix = 0
        for intervals in bounds {
            guard intervals.allSatisfy({ BSONValue.compare($0.lower, $0.upper) == 0 }), intervals.count == 1 else { break }
            equalityPrefix += 1
        }
        // Index order is the sort's order only when both compare strings alike.
        let sortable = GeoBounds.sortableFields(
            HashedBounds.sortableFields(keyFields, hashedPath: hashedPath, equalityPrefix: equalityPrefix), geoPaths: geoPaths)
        let (providesSort, reverse) = Self.sortOrder(sortable, equalityPrefix: equalityPrefix, sort: sort,
                                                multikey: index.isMultikey || indexCollator != sort?.collator)
        if !constrainsFirst && !providesSort && !force { return nil }
        // A hashed field's key is a hash, not the value to return.
        let covered = hashedPath == nil && geoPaths.isEmpty && isCovered(keyFields, index: index, conjuncts: conjuncts, projection: projection)
        return IndexScanPlan(index: index, keyFields: keyFields, bounds: bounds, reverse: reverse,
                             providesSort: providesSort, covered: covered, equalityPrefix: equalityPrefix)
    }

    /// The predicate whose operands can bound a scan of an index under `indexCollator`: a
    /// collated comparison only on an index of the same collation (its operands are that
    /// index's keys); a comparison with strings only on an index without one; any other
    /// predicate as it is (a collation changes no other value's key).
    static func boundable(_ predicate: PathPredicate, indexCollator: Collator?) -> PathPredicate? {
        if case let .collated(collator, inner) = predicate {
            return collator == indexCollator ? inner : nil
        }
        guard indexCollator != nil else { return predicate }
        switch predicate {
        case let .equal(value), let .greaterThan(value), let .greaterThanOrEqual(value), let .lessThan(value),
             let .lessThanOrEqual(value):
            return Collator.containsStrings(value) ? nil : predicate
        case let .in(values):
            return values.contains(where: Collator.containsStrings) ? nil : predicate
        default:
            return predicate
        }
    }

    /// Whether scanning the key fields after the equality prefix yields `sort` order, and in
    /// which direction.
    static func sortOrder(
        _ keyFields: [(path: String, ascending: Bool)], equalityPrefix: Int, sort: SortSpec?, multikey: Bool
    ) -> (Bool, Bool) {
        guard let sort, !multikey else { return (false, false) }
        let constant = Set(keyFields.prefix(equalityPrefix).map(\.path))
        let wanted = sort.keys.filter { !constant.contains($0.path.dotted) }
        guard !wanted.isEmpty else { return (true, false) }
        let rest = Array(keyFields.dropFirst(equalityPrefix))
        guard rest.count >= wanted.count else { return (false, false) }
        var reverse: Bool?
        for (key, field) in zip(wanted, rest) {
            guard key.path.dotted == field.path else { return (false, false) }
            let flipped = key.ascending != field.ascending
            if let reverse, reverse != flipped { return (false, false) }
            reverse = flipped
        }
        return (true, reverse ?? false)
    }

    /// Whether the filter and projection need only the index's key fields.
    private func isCovered(
        _ keyFields: [(path: String, ascending: Bool)], index: IndexDescription, conjuncts: Conjuncts,
        projection: Projection?
    ) -> Bool {
        // An index with a collation holds comparison keys, not the strings to return.
        guard !index.isMultikey, index.collator == nil, conjuncts.onlyPathPredicates, let projection,
              let fields = projection.coveredFields
        else { return false }
        let available = Set(keyFields.map(\.path))
        guard conjuncts.byPath.keys.allSatisfy(available.contains) else { return false }
        // Fields that are prefixes of each other (a and a.b) cannot be rebuilt from keys.
        for path in available where available.contains(where: { $0.hasPrefix(path + ".") }) { return false }
        return fields.allSatisfy { available.contains($0.dotted) }
    }

    /// The key pattern as (path, ascending) pairs.
    static func keyFields(of index: IndexDescription) -> [(path: String, ascending: Bool)] {
        index.key.map { element in
            let ascending: Bool
            switch element.value {
            case let .int32(value): ascending = value >= 0
            case let .int64(value): ascending = value >= 0
            case let .double(value): ascending = value >= 0
            case let .decimal128(value): ascending = !(value.doubleValue < 0)
            default: ascending = true
            }
            return (element.key, ascending)
        }
    }

    private func isNaturalHint(_ hint: BSONValue) -> Bool {
        if case let .document(document) = hint { return document["$natural"] != nil }
        return false
    }

    private func isHinted(_ index: IndexDescription, _ hint: BSONValue?) throws(MongoError) -> Bool {
        switch hint {
        case nil: return false
        case let .string(name): return index.name == name
        case let .document(pattern):
            if pattern["$natural"] != nil { return false }
            return pattern.count == index.key.count
                && zip(pattern, index.key).allSatisfy { a, b in a.key == b.key && BSONValue.compare(a.value, b.value) == 0 }
        default:
            throw MongoError(.failedToParse, "hint must be a string or an object")
        }
    }
}
