// QueryCollection+TextSearch: running a find whose filter has `$text` — MongoDB's plan
// TEXT_MATCH ← FETCH ← TEXT_OR ← one IXSCAN per query term: the text index is scanned at each
// term (under the equality prefix the filter gives), scores of a document's terms are summed,
// candidates are fetched, re-checked (TextMatcher) and filtered by the rest of the query, then
// sorted (`{$meta: "textScore"}` and ordinary keys), skipped, limited and projected (score
// fields added). A pipeline whose first `$match` has `$text` starts from the same search;
// updates, deletes, findAndModify and distinct read a `$text` filter as the search's `_id`s.

import BSON
import Documents

/// What one text search did and found.
struct TextSearchRun {
    /// The projected results in order.
    let documents: [BSONDocument]
    /// Keys and documents examined.
    var statistics: ExecutionStatistics
    /// The plan, for explain.
    let plan: TextSearchPlan
}

/// A planned text search.
struct TextSearchPlan {
    let index: IndexDescription
    let spec: TextIndexSpec
    let query: TextQuery
    let parsed: ParsedTextSearch
    let rest: Filter
    let prefix: [BSONValue]
    let sort: [TextSortKey]
    let projection: Projection?
    let scoreFields: [String]
    let skip: Int
    let limit: Int?
}

/// One key of a text search's sort.
enum TextSortKey {
    /// `{$meta: "textScore"}`: highest score first.
    case score
    /// An ordinary key.
    case field(SortSpec)
}

extension QueryCollection {
    /// A find whose filter has `$text`, run whole; `nil` when the filter has none.
    ///
    /// - Throws: `IndexNotFound` (27) without a text index, `BadValue` (2) for a malformed
    ///   `$text`, a compound text index whose prefix fields the filter does not pin, any hint
    ///   or a `$natural` sort (mongod refuses both beside `$text`).
    func textSearch(_ query: FindQuery) throws(MongoError) -> TextSearchRun? {
        guard let plan = try planTextSearch(query) else { return nil }
        return try runTextSearch(plan)
    }

    /// The count of a `$text` filter's matches after skip and limit; `nil` without `$text`.
    func textSearchCount(_ query: FindQuery) throws(MongoError) -> Int? {
        try textSearch(query)?.documents.count
    }

    func planTextSearch(_ query: FindQuery) throws(MongoError) -> TextSearchPlan? {
        guard let (textArgument, restSpec) = try TextQuery.extract(from: query.filter) else { return nil }
        try NaturalOrder.checkText(sort: query.sort, hint: query.hint)
        let textQuery = try TextQuery(textArgument)
        let collator = try collator()
        let rest = try Filter(restSpec, collator: collator)
        guard let index = indexes.first(where: { TextIndexRules.isText($0.key) }), let spec = TextIndexSpec(index) else {
            throw MongoError(.indexNotFound, "text index required for $text query")
        }
        let language = try textQuery.language(default: spec.defaultLanguage)
        let parsed = ParsedTextSearch(textQuery.search, language: language, query: textQuery)
        var prefix: [BSONValue] = []
        for path in spec.prefixPaths {
            guard let value = Self.equalityOperand(restSpec[path]) else {
                throw MongoError(.badValue,
                                 "error processing query: \(IndexKeyPatternText.describe(query.filter)) planner returned error "
                                     + ":: caused by :: failed to use text index to satisfy $text query (if text index is "
                                     + "compound, are equality predicates given for all prefix fields?)")
            }
            prefix.append(value)
        }
        var sortKeys: [TextSortKey] = []
        for element in query.sort ?? BSONDocument() {
            if Self.isTextScoreMeta(element.value) {
                sortKeys.append(.score)
            } else {
                sortKeys.append(.field(try SortSpec([element.key: element.value], collator: collator)))
            }
        }
        var projectionSpec = BSONDocument()
        var scoreFields: [String] = []
        for element in query.projection ?? BSONDocument() {
            if Self.isTextScoreMeta(element.value) { scoreFields.append(element.key) } else {
                projectionSpec.append(element.key, element.value)
            }
        }
        let projection = projectionSpec.isEmpty ? nil : try Projection(projectionSpec, filter: rest)
        return TextSearchPlan(index: index, spec: spec, query: textQuery, parsed: parsed, rest: rest, prefix: prefix,
                              sort: sortKeys, projection: projection, scoreFields: scoreFields, skip: query.skip,
                              limit: query.limit == 0 ? nil : query.limit)
    }

    /// Whether `value` is `{$meta: "textScore"}`.
    static func isTextScoreMeta(_ value: BSONValue) -> Bool {
        guard case let .document(object) = value, object.count == 1, let first = object.first else { return false }
        return first.key == "$meta" && first.value.stringValue == "textScore"
    }

    /// The value a filter's entry pins its path to (`v` or `{$eq: v}`), else `nil`.
    private static func equalityOperand(_ value: BSONValue?) -> BSONValue? {
        guard let value else { return nil }
        switch value {
        case let .document(object) where object.first?.key.hasPrefix("$") ?? false:
            guard object.count == 1, let only = object.first, only.key == "$eq" else { return nil }
            return only.value
        case .array, .regex:
            return nil
        default:
            return value
        }
    }

    func runTextSearch(_ plan: TextSearchPlan) throws(MongoError) -> TextSearchRun {
        var statistics = ExecutionStatistics()
        var scanStatistics = IndexScanStatistics()
        var scores: [[UInt8]: (id: BSONValue, score: Double)] = [:]
        var order: [[UInt8]] = []
        let collection = self.collection
        let scorePosition = plan.prefix.count + 1
        for term in plan.parsed.indexTerms {
            var bounds: [[IndexInterval]] = plan.prefix.map { [.point($0)] }
            bounds.append([.point(.string(term))])
            bounds.append([.all])
            bounds += plan.spec.suffixPaths.map { _ in [IndexInterval.all] }
            try collection.scanIndex(named: plan.index.name, bounds: bounds, statistics: &scanStatistics,
                                     interrupt: interrupt) { (entry) throws(MongoError) -> Bool in
                let key = KeyEncoding.key(for: entry.id)
                let score = scorePosition < entry.keyValues.count ? entry.keyValues[scorePosition].doubleValue ?? 0 : 0
                if let known = scores[key] {
                    scores[key] = (known.id, known.score + score)
                } else {
                    scores[key] = (entry.id, score)
                    order.append(key)
                }
                return true
            }
        }
        statistics.totalKeysExamined = scanStatistics.keysExamined
        let matcher = TextMatcher(spec: plan.spec, query: plan.query, parsed: plan.parsed)
        var matches: [(document: BSONDocument, score: Double)] = []
        var poll = interrupt.poll()
        for key in order {
            try poll.tick()
            guard let candidate = scores[key] else { continue }
            statistics.totalDocsExamined += 1
            guard let document = try collection.document(withID: candidate.id) else { continue }
            guard try matcher.matches(document), plan.rest.matches(document) else { continue }
            matches.append((document, candidate.score))
        }
        if !plan.sort.isEmpty {
            let keyed = matches.enumerated().map { position, match in
                (position, match.score, plan.sort.map { key -> [BSONValue] in
                    if case let .field(spec) = key { return spec.sortKey(for: match.document) }
                    return []
                })
            }
            let sorted = keyed.sorted { a, b in
                for (index, key) in plan.sort.enumerated() {
                    switch key {
                    case .score:
                        if a.1 != b.1 { return a.1 > b.1 }
                    case let .field(spec):
                        let order = spec.compareKeys(a.2[index], b.2[index])
                        if order != 0 { return order < 0 }
                    }
                }
                return a.0 < b.0
            }
            matches = sorted.map { matches[$0.0] }
        }
        var documents: [BSONDocument] = []
        for match in matches.dropFirst(plan.skip).prefix(plan.limit ?? Int.max) {
            var document = try plan.projection?.apply(to: match.document) ?? match.document
            for field in plan.scoreFields { document[field] = .double(match.score) }
            documents.append(document)
        }
        statistics.nReturned = documents.count
        return TextSearchRun(documents: documents, statistics: statistics, plan: plan)
    }
}

/// Filters printed as mongod prints them in planner errors.
enum IndexKeyPatternText {
    static func describe(_ document: BSONDocument) -> String {
        BSONValue.document(document).extendedJSON()
    }
}

extension QueryCollection {
    /// The head of a pipeline whose first `$match` has `$text`: the text search's matches (in
    /// the order the index scan found them, or as the folded stages sort, project, skip and
    /// limit them: TextPipelineFold), then the match's `$expr` clauses and the stages after.
    ///
    /// - Throws: the errors of ``textSearch(_:)``.
    func textHead(_ spec: MatchSpec, rest: [Stage]) throws(MongoError) -> Head {
        let fold = spec.textFold
        let run = try textSearch(Self.textFindQuery(spec))
        var residual: [Stage] = []
        if !spec.expressions.isEmpty {
            residual.append(.match(MatchSpec(spec: spec.spec, filterSpec: BSONDocument(), filter: try Filter(BSONDocument()),
                                             expressions: spec.expressions)))
        }
        // `rest` starts at parsed stage 1; the residual `$expr` match goes before it.
        let stages = spec.scoreReadUntil.map { TextScoreMetadata.dropped(from: residual + rest, after: $0 - 1 + residual.count) }
            ?? residual + rest
        return Head(source: .documents(run?.documents ?? []), rest: stages, consumed: 1 + (fold?.count ?? 0))
    }
}

extension QueryCollection {
    /// The find a pipeline's first `$match` with `$text` runs (with the stages folded into it).
    static func textFindQuery(_ spec: MatchSpec) -> FindQuery {
        let fold = spec.textFold
        var projection = fold?.projection
        if spec.scoreReadUntil != nil {
            var carrying = projection ?? BSONDocument()
            carrying[TextScoreMetadata.field] = ["$meta": "textScore"]
            projection = carrying
        }
        return FindQuery(filter: spec.filterSpec, projection: projection, sort: fold?.sort,
                         skip: fold?.skip ?? 0, limit: fold?.limit)
    }

    /// The `$cursor` stage of an aggregation's explain when its first `$match` has `$text`:
    /// the text search's plan (TEXT_MATCH over FETCH over TEXT_OR) as find's explain gives it,
    /// with `executionStats` past `queryPlanner` verbosity.
    ///
    /// - Throws: the errors of ``textSearch(_:)``.
    func textCursorExplain(_ spec: MatchSpec, verbosity: ExplainVerbosity) throws(MongoError) -> BSONDocument? {
        let query = Self.textFindQuery(spec)
        guard let plan = try planTextSearch(query) else { return nil }
        let run = verbosity == .queryPlanner ? nil : try runTextSearch(plan)
        var cursor = plan.explain(namespace: namespace, filter: query.filter, verbosity: verbosity, run: run)
        cursor["ok"] = nil
        return cursor
    }
}

extension QueryCollection {
    /// A filter with `$text` as updates, deletes, findAndModify and distinct read it: the
    /// `_id`s of the text search's matches (the search applies the rest of the filter);
    /// `nil` without `$text`.
    ///
    /// - Throws: the errors of ``textSearch(_:)``.
    func textMatchesAsIDFilter(_ filter: BSONDocument) throws(MongoError) -> BSONDocument? {
        guard filter.contains(where: { $0.key == "$text" || $0.key == "$and" }),
              let run = try textSearch(FindQuery(filter: filter, projection: ["_id": 1]))
        else { return nil }
        return ["_id": ["$in": .array(run.documents.compactMap { $0["_id"] })]]
    }
}
