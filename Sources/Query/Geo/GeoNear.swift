// GeoNear: `$near`/`$nearSphere` and the `$geoNear` stage — planning (the one top-level near
// predicate, the 2dsphere or 2d index on its path, the other key fields' bounds) and the
// search: the index read ring by ring around the point (each ring's covering: GeoNearFlat),
// each ring's matches sorted by exact distance and handed out nearest first before the next
// ring is read. Rings widen while they find little.

internal import BSON
internal import Documents

/// Which operator documents are near searches.
enum GeoNearRules {
    /// The path operators that make a near search.
    static let operators: Set<String> = ["$near", "$nearSphere", "$geoNear"]

    /// Whether a path's operator document is a near search.
    static func isNear(_ operators: BSONDocument) -> Bool {
        operators.contains { Self.operators.contains($0.key) }
    }
}

/// A near search's plan: the index, the point and distances, the bounds of the other fields.
struct GeoNearPlan {
    /// The 2dsphere or 2d index read.
    let index: IndexDescription
    /// The 2d index's grid (`nil`: a 2dsphere index).
    let flat: TwoDParameters?
    /// The near predicate.
    let near: NearPredicate
    /// The path of the geometries.
    let path: String
    /// The position of `path` in the key pattern.
    let geoPosition: Int
    /// Per key field, the intervals the other predicates admit (the geo field's is replaced by
    /// each ring's cells).
    let bounds: [[IndexInterval]]
    /// What a `$geoNear` stage adds to each document (`nil` for `$near` in a find).
    var output: GeoNearOutput?
}

extension QueryPlan {
    /// The plan with a near search's documents annotated as `output` says (`$geoNear`).
    func annotated(by output: GeoNearOutput) -> QueryPlan {
        guard case var .geoNear(near) = access else { return self }
        near.output = output
        return QueryPlan(access: .geoNear(near), filter: filter, sort: sort, projection: projection, skip: skip, limit: limit)
    }
}

enum GeoNearPlanning {
    /// The near plan of a query with a `$near`, `nil` without one.
    ///
    /// - Throws: `BadValue` (2) for more than one near predicate or one not at the top level
    ///   of the filter; `NoQueryExecutionPlans` (291) when no geo index on its path can answer
    ///   it (a 2d index takes legacy points only).
    static func plan(
        filter: Filter, conjuncts: Conjuncts, indexes: [IndexDescription], hint: BSONValue?
    ) throws(MongoError) -> GeoNearPlan? {
        let total = count(filter.root)
        guard total > 0 else { return nil }
        guard total == 1 else { throw MongoError(.badValue, "Too many geoNear expressions") }
        let topLevel = conjuncts.byPath.compactMap { path, predicates in
            predicates.lazy.compactMap { predicate -> (String, NearPredicate)? in
                if case let .near(near) = predicate { (path, near) } else { nil }
            }.first
        }
        guard let (path, near) = topLevel.first else { throw MongoError(.badValue, "geoNear must be top-level expr") }
        let hinted: String? = if case let .string(name)? = hint { name } else { nil }
        for index in indexes where !index.isHidden || hinted == index.name {
            // A partial index holds every match only when the query implies its filter.
            if let partial = index.partialFilter, !Implication.implies(conjuncts, partial) { continue }
            let keyFields = Planner.keyFields(of: index)
            let flat = GeoBounds.flatGrid(of: index)
            guard GeoBounds.geoPaths(of: index).contains(path),
                  let geoPosition = keyFields.firstIndex(where: { $0.path == path }),
                  flat == nil || !near.inMeters
            else { continue }
            var bounds: [[IndexInterval]] = []
            for (position, field) in keyFields.enumerated() {
                var intervals = [IndexInterval.all]
                if position != geoPosition {
                    for predicate in conjuncts.byPath[field.path] ?? [] {
                        guard let usable = Planner.boundable(predicate, indexCollator: index.collator),
                              let admitted = PredicateBounds.intervals(usable)
                        else { continue }
                        intervals = PredicateBounds.intersect(intervals, admitted)
                        if index.isMultikey { break }
                    }
                }
                bounds.append(intervals)
            }
            return GeoNearPlan(index: index, flat: flat, near: near, path: path, geoPosition: geoPosition, bounds: bounds)
        }
        throw MongoError(.noQueryExecutionPlans,
                         "error processing query: planner returned error :: caused by :: unable to find index for $geoNear query")
    }

    /// How many near predicates the filter holds anywhere.
    private static func count(_ node: FilterNode) -> Int {
        switch node {
        case let .and(children), let .or(children), let .nor(children): children.reduce(0) { $0 + count($1) }
        case let .path(_, predicate): count(predicate)
        default: 0
        }
    }

    private static func count(_ predicate: PathPredicate) -> Int {
        switch predicate {
        case .near: 1
        case let .and(parts), let .all(parts): parts.reduce(0) { $0 + count($1) }
        case let .not(inner): count(inner)
        default: 0
        }
    }
}

/// One document a near search found.
struct GeoNearResult {
    /// The document.
    let match: QueryMatch
    /// Its least distance from the point, in radians.
    let radians: Double
    /// The stored geometry nearest the point (`includeLocs`).
    let location: BSONValue
}

/// The search state of one near query: the next ring's inner radius and width, the current
/// ring's matches not yet handed out, and the documents already settled.
struct GeoNearSearch {
    /// The first ring's width: about 50 m.
    static let initialWidth = 50 / earthRadiusMeters
    /// A ring that found fewer matches than this makes the next one twice as wide.
    static let widenBelow = 32
    /// How far a leaf cell's centre may be from a point inside it (radians, with margin).
    static let leafSlack = 1e-8

    let plan: GeoNearPlan
    let filter: Filter
    private var inner: Double
    private var width: Double
    /// The current ring's matches, farthest first (handed out from the end).
    private var pending: [GeoNearResult] = []
    /// Documents whose distance is below the current ring's outer radius: returned or refused.
    private var settled: Set<[UInt8]> = []
    private var exhausted = false

    init(plan: GeoNearPlan, filter: Filter) {
        self.plan = plan
        self.filter = filter
        inner = plan.near.minRadians
        width = plan.initialRingWidth
        exhausted = plan.near.minRadians > plan.near.maxRadians
    }

    /// The next nearest match, reading further rings as needed; `nil` when none is left.
    mutating func next(
        in collection: DocumentCollection, interrupt: OperationInterrupt, statistics: inout ExecutionStatistics
    ) throws(MongoError) -> GeoNearResult? {
        while pending.isEmpty {
            guard !exhausted else { return nil }
            try readRing(collection, interrupt: interrupt, statistics: &statistics)
        }
        return pending.popLast()
    }

    /// Reads the ring from `inner` to `inner + width` (the last one ends at the maximum
    /// distance, or the farthest point of the sphere or the 2d square).
    private mutating func readRing(
        _ collection: DocumentCollection, interrupt: OperationInterrupt, statistics: inout ExecutionStatistics
    ) throws(MongoError) {
        let limit = plan.ringLimit
        let outer = min(inner + width, limit)
        let isLast = outer >= limit
        var bounds = plan.bounds
        bounds[plan.geoPosition] = plan.ringIntervals(inner: inner, outer: outer)
        var found: [GeoNearResult] = []
        var scanStatistics = IndexScanStatistics()
        var docsExamined = 0
        let (ringInner, geoPosition, path) = (inner, plan.geoPosition, plan.path)
        var settled = self.settled
        defer {
            self.settled = settled
            statistics.totalKeysExamined += scanStatistics.keysExamined
            statistics.totalDocsExamined += docsExamined
            interrupt.tally?.add(keysExamined: scanStatistics.keysExamined, docsExamined: docsExamined)
        }
        let (filter, output, plan) = (self.filter, plan.output, plan)
        try collection.scanIndex(named: plan.index.name, bounds: bounds, statistics: &scanStatistics,
                                 interrupt: interrupt) { (entry) throws(MongoError) -> Bool in
            if geoPosition < entry.keyValues.count, case let .int64(key) = entry.keyValues[geoPosition],
               !plan.keyMayBeInRing(key, inner: ringInner, outer: outer) {
                return true
            }
            let idKey = KeyEncoding.key(for: entry.id)
            guard !settled.contains(idKey) else { return true }
            docsExamined += 1
            guard let document = try collection.document(withID: entry.id),
                  let (radians, location) = Self.nearest(in: document, path: path, plan: plan)
            else { return true }
            guard radians >= ringInner, radians < outer || (isLast && radians <= outer) else { return true }
            settled.insert(idKey)
            guard filter.matches(document) else { return true }
            let returned = output?.annotate(document, distance: plan.near.reported(radians), location: location) ?? document
            found.append(GeoNearResult(match: QueryMatch(id: entry.id, document: returned, positionalIndex: nil),
                                       radians: radians, location: location))
            return true
        }
        found.sort { $0.radians > $1.radians }
        pending = found
        if found.count < Self.widenBelow { width *= 2 }
        inner = outer
        exhausted = isLast
    }

    /// The least distance from `center` to the geometries at `path` in `document`, and the
    /// geometry's value; `nil` when the document holds none.
    static func nearest(in document: BSONDocument, path: String, plan: GeoNearPlan) -> (Double, BSONValue)? {
        var best: (Double, BSONValue)?
        let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for value in GeoIndexRules.values(at: components[...], in: .document(document)) {
            let members: [BSONValue]
            if case let .array(elements) = value, let first = elements.first,
               first.documentValue != nil || first.arrayValue != nil {
                members = elements
            } else {
                members = [value]
            }
            for member in members {
                guard case let .success(geometry) = GeoJSON.parseIndexable(member),
                      let radians = plan.distance(to: geometry)
                else { continue }
                if best.map({ radians < $0.0 }) ?? true { best = (radians, member) }
            }
        }
        return best
    }
}

/// A near search's matches handed out a part at a time (skip and limit applied), the search
/// state kept between parts.
struct GeoNearMatchStream: MatchStream {
    let collection: DocumentCollection
    private var search: GeoNearSearch
    private var window: SkipLimit
    private(set) var isDone: Bool

    init(collection: DocumentCollection, plan: QueryPlan, near: GeoNearPlan) {
        self.collection = collection
        search = GeoNearSearch(plan: near, filter: plan.filter)
        window = SkipLimit(skip: plan.skip, limit: plan.limit)
        isDone = window.isSpent
    }

    mutating func run(interrupt: OperationInterrupt, _ take: (QueryMatch) throws(MongoError) -> Bool) throws(MongoError) {
        var statistics = ExecutionStatistics()
        while !isDone {
            guard let found = try search.next(in: collection, interrupt: interrupt, statistics: &statistics) else {
                isDone = true
                return
            }
            guard window.admit() else { continue }
            if window.isSpent { isDone = true }
            guard try take(found.match) else { return }
        }
    }
}
