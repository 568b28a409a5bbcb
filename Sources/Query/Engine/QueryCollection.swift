// QueryCollection: MongoDB's collection operations over one Documents collection — find,
// explain, count, distinct, update, delete — each parsed (errors before any write),
// planned, and executed.

public import BSON
public import Collation
public import Documents

/// Query operations on one collection.
public struct QueryCollection: Sendable {
    /// The collection underneath (internal: callers go through the operations here).
    let collection: DocumentCollection
    /// When the operation must stop (maxTimeMS, killOp): every scan, sort and blocking
    /// stage polls it.
    public var interrupt: OperationInterrupt
    /// Whether writes check the collection's validator (false: `bypassDocumentValidation`).
    public internal(set) var validatesDocuments: Bool
    /// The operation's own collation (``collated(by:)``): `.some(nil)` when it asked for the
    /// simple one; `nil` when it gave none, and the collection's default applies.
    private var operationCollator: Collator??

    /// Query operations on `collection`, stopped by `interrupt`.
    init(_ collection: DocumentCollection, interrupt: OperationInterrupt = .none, validatesDocuments: Bool = true) {
        self.collection = collection
        self.interrupt = interrupt
        self.validatesDocuments = validatesDocuments
    }

    /// The same operations stopped by `interrupt`.
    public func interrupted(by interrupt: OperationInterrupt) -> QueryCollection {
        var copy = self
        copy.interrupt = interrupt
        return copy
    }

    /// The same operations under the collation document `collation` (an operation's
    /// `collation` option); `nil` or `{}` keeps the collection's default collation (mongod
    /// takes an empty operation collation as none given).
    ///
    /// - Throws: MongoDB's errors for a malformed collation (see ``Collator/make(_:)``).
    public func collated(by collation: BSONDocument?) throws(MongoError) -> QueryCollection {
        guard let collation, !collation.isEmpty else { return self }
        var copy = self
        copy.operationCollator = .some(try Collator.make(collation))
        return copy
    }

    /// The collation operations compare strings under: the operation's own, else the
    /// collection's default (`nil`: simple).
    ///
    /// - Throws: when the stored default no longer opens (an ICU that lost the locale).
    public func collator() throws(MongoError) -> Collator? {
        if let operationCollator { return operationCollator }
        return try collator(defaultFrom: collection.catalogEntry)
    }

    /// ``collator()`` with the collection's catalog entry already read.
    func collator(defaultFrom entry: CollectionDescription?) throws(MongoError) -> Collator? {
        if let operationCollator { return operationCollator }
        guard let stored = entry?.options["collation"]?.documentValue else { return nil }
        return try Collator.stored(stored)
    }

    /// The collection's namespace.
    public var namespace: Namespace { collection.namespace }

    /// The collection's indexes as the catalog has them now (none if it does not exist).
    var indexes: [IndexDescription] {
        collection.store.catalog.collection(collection.namespace)?.indexes ?? []
    }

    // MARK: Reads

    /// The documents a find returns, projected, in order.
    public func find(_ query: FindQuery) throws(MongoError) -> [BSONDocument] {
        if let text = try textSearch(query) { return text.documents }
        let prepared = try prepare(query)
        var statistics = ExecutionStatistics()
        let matches = try Executor(collection: collection, interrupt: interrupt, sortMemory: query.sortMemory).matches(
            prepared.plan, wantPositional: prepared.plan.projection?.usesPositional ?? false, statistics: &statistics)
        guard let projection = prepared.plan.projection else { return matches.map(\.document) }
        var results: [BSONDocument] = []
        results.reserveCapacity(matches.count)
        for match in matches {
            results.append(try projection.apply(to: match.document, positionalIndex: match.positionalIndex))
        }
        return results
    }

    /// MongoDB's explain output for a find: `queryPlanner` and, at `executionStats`
    /// verbosity or above, `executionStats` (the query runs).
    public func explain(_ query: FindQuery, verbosity: ExplainVerbosity = .executionStats) throws(MongoError) -> BSONDocument {
        if let text = try planTextSearch(query) {
            let run = verbosity == .queryPlanner ? nil : try runTextSearch(text)
            return text.explain(namespace: namespace, filter: query.filter, verbosity: verbosity, run: run)
        }
        let prepared = try prepare(query)
        var statistics = ExecutionStatistics()
        if verbosity != .queryPlanner {
            _ = try Executor(collection: collection, interrupt: interrupt).matches(
                prepared.plan, wantPositional: prepared.plan.projection?.usesPositional ?? false, statistics: &statistics)
        }
        return ExplainWriter(namespace: namespace, plan: prepared.plan, filter: query.filter)
            .document(verbosity: verbosity, statistics: statistics)
    }

    /// The number of matching documents after `skip` and `limit`.
    public func count(_ filter: BSONDocument = BSONDocument(), skip: Int = 0, limit: Int? = nil,
                      hint: BSONValue? = nil) throws(MongoError) -> Int {
        if let text = try textSearchCount(FindQuery(filter: filter, skip: skip, limit: limit)) { return text }
        let prepared = try prepare(FindQuery(filter: filter, skip: skip, limit: limit, hint: hint))
        var statistics = ExecutionStatistics()
        return try Executor(collection: collection, interrupt: interrupt).count(prepared.plan, statistics: &statistics)
    }

    /// `count` with its explain statistics (benchmarks and tests).
    func countExplained(_ filter: BSONDocument) throws(MongoError) -> (Int, ExecutionStatistics, QueryPlan) {
        let prepared = try prepare(FindQuery(filter: filter))
        var statistics = ExecutionStatistics()
        let total = try Executor(collection: collection, interrupt: interrupt).count(prepared.plan, statistics: &statistics)
        return (total, statistics, prepared.plan)
    }

    /// The number of documents, from a key count (no filter).
    public func estimatedDocumentCount() throws(MongoError) -> Int {
        try collection.count()
    }

    /// The distinct values at `key` among matching documents (array values contribute
    /// their elements), in BSON order.
    public func distinct(_ key: String, filter: BSONDocument = BSONDocument()) throws(MongoError) -> [BSONValue] {
        let path = try FieldPath(key)
        let prepared = try prepare(FindQuery(filter: try textMatchesAsIDFilter(filter) ?? filter))
        var statistics = ExecutionStatistics()
        var values: [BSONValue] = []
        try Executor(collection: collection, interrupt: interrupt).forEachCandidate(prepared.plan, wantPositional: false,
                                                               statistics: &statistics) { match in
            Self.collect(path.components[...], in: .document(match.document), into: &values)
            return true
        }
        return try Self.sortedUnique(values, collator: prepared.plan.filter.collator, interrupt: interrupt)
    }

    /// `values` in BSON order without duplicates (by BSON comparison, or under `collator`),
    /// as distinct returns them.
    static func sortedUnique(_ values: [BSONValue], collator: Collator? = nil,
                             interrupt: OperationInterrupt) throws(MongoError) -> [BSONValue] {
        try interrupt.check()
        // Under a collation, values it deems equal are one (the first found stands for them).
        let unique = ExpressionArrays.distinctSorted(values, collator: collator)
        try interrupt.check()
        return unique
    }

    /// Appends the values distinct takes from `value` at `path` (an array at the end gives
    /// its elements).
    static func collect(_ path: ArraySlice<String>, in value: BSONValue, into values: inout [BSONValue]) {
        guard let first = path.first else {
            if case let .array(elements) = value { values += elements } else { values.append(value) }
            return
        }
        switch value {
        case let .document(document):
            if let child = document[first] { collect(path.dropFirst(), in: child, into: &values) }
        case let .array(elements):
            if let index = Int(first), index >= 0, index < elements.count, first.allSatisfy(\.isNumber) {
                collect(path.dropFirst(), in: elements[index], into: &values)
            } else {
                for element in elements {
                    if case .document = element { collect(path, in: element, into: &values) }
                }
            }
        default:
            break
        }
    }

    // MARK: Writes

    /// Applies `update` to the first (or, with `multi`, every) matching document, or
    /// inserts one on `upsert` when nothing matches.
    ///
    /// Everything is parsed before anything is written: a malformed filter or update
    /// writes nothing. With `multi`, each document is updated atomically with its index
    /// entries; a failure stops the update after the documents already changed (as MongoDB).
    ///
    /// Two upserts racing to insert the same document: the loser's insert fails with a
    /// duplicate key, and it is retried once as an update of the winner's document, as
    /// MongoDB does.
    @discardableResult
    public func update(
        _ filter: BSONDocument, _ update: BSONDocument, options: UpdateOptions = UpdateOptions()
    ) throws(MongoError) -> UpdateResult {
        let filter = try textMatchesAsIDFilter(filter) ?? filter
        return try retryingUpsertRace(options.upsert) { () throws(MongoError) -> UpdateResult in
            try updateOnce(filter, update, options: options)
        }
    }

    /// Runs `body`; if it is an upsert whose insert lost a race (duplicate key), runs it once
    /// more, when it finds the document the other writer inserted.
    func retryingUpsertRace(_ upsert: Bool, _ body: () throws(MongoError) -> UpdateResult) throws(MongoError) -> UpdateResult {
        do {
            return try body()
        } catch {
            guard upsert, error.code == .duplicateKey else { throw error }
            return try body()
        }
    }

    private func updateOnce(
        _ filter: BSONDocument, _ update: BSONDocument, options: UpdateOptions
    ) throws(MongoError) -> UpdateResult {
        let parsedFilter = try Filter(filter, collator: try collator())
        let parsedUpdate = try Update(update, arrayFilters: options.arrayFilters, collator: parsedFilter.collator)
        if options.multi && parsedUpdate.isReplacement {
            throw MongoError(.failedToParse, "multi update is not supported for replacement-style update")
        }
        let now = WallClock.now()
        let validator = try writeGuard()
        // W1's fast path: {_id: X} with only $inc/$set on fixed paths becomes a small delta
        // (not under a validator, which needs the whole new document).
        if !options.multi, validator == nil, let id = Self.idEquality(parsedFilter), let changes = parsedUpdate.simpleFieldChanges {
            let deltas = changes.map { change -> FieldDelta in
                switch change {
                case let .set(path, value): .set(path: path.components, value: value)
                case let .increment(path, amount): .increment(path: path.components, by: amount)
                }
            }
            // What needs a full rewrite (a string replaced, an indexed path) is rewritten in the
            // same commit, as updateMatching would: one commit, not a delta attempt and then a rewrite.
            // An upsert of a missing document inserts in that commit too.
            var stillMatches = true
            let insertion: (() throws(MongoError) -> BSONDocument)? = options.upsert ? { () throws(MongoError) -> BSONDocument in
                let document = try parsedUpdate.upsertDocument(query: filter, now: now)
                try ValueLimits.checkUpsertDocument(document)
                return document
            } : nil
            let outcome = try collection.applyDeltas(id: id, deltas, writeConcern: options.writeConcern, otherwise: {
                (current) throws(MongoError) -> BSONDocument? in
                guard let found = parsedFilter.match(current) else {
                    stillMatches = false
                    return nil
                }
                let result = try parsedUpdate.apply(to: current, positionalIndex: found.positionalIndex, now: now)
                guard result.modified else { return nil }
                try ValueLimits.checkUpdatedDocument(result.document, id: current["_id"] ?? id)
                return result.document
            }, orInsert: insertion)
            switch outcome {
            case let .upserted(upsertedID):
                noteIDLookup(found: false)
                return UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedID: upsertedID)
            case let .applied(modified):
                noteIDLookup(found: true)
                return UpdateResult(matchedCount: 1, modifiedCount: modified ? 1 : 0)
            case let .rewritten(modified) where stillMatches:
                noteIDLookup(found: true)
                return UpdateResult(matchedCount: 1, modifiedCount: modified ? 1 : 0)
            case .documentNotFound, .rewritten:
                noteIDLookup(found: outcome != .documentNotFound)
                guard options.upsert else { return UpdateResult(matchedCount: 0, modifiedCount: 0) }
                return try upsert(filter, parsedUpdate, now: now, writeConcern: options.writeConcern)
            case .notApplicable:
                break
            }
        }
        return try updateMatching(parsedFilter, multi: options.multi, writeConcern: options.writeConcern,
            loggedAs: parsedUpdate.isReplacement ? .replace : .update, validator: validator,
            transform: { (current, found) throws(MongoError) -> BSONDocument? in
                let result = try parsedUpdate.apply(to: current, positionalIndex: found.positionalIndex, now: now)
                return result.modified ? result.document : nil
            },
            upsert: options.upsert ? { () throws(MongoError) -> BSONDocument in
                try parsedUpdate.upsertDocument(query: filter, now: now)
            } : nil)
    }

    /// The part every update shares: find the first (or every) document matching `filter`,
    /// then for each re-read it, re-match it and write `transform`'s result inside the commit
    /// section, so a concurrent writer's change is never overwritten by an update computed
    /// before it. `transform` returns `nil` to leave a document unchanged. With nothing
    /// matched, `upsert` (when given) builds the document to insert.
    ///
    /// A single update whose filter pins `_id` skips the search: the commit section's read
    /// by key is the only read.
    func updateMatching(
        _ filter: Filter, multi: Bool, writeConcern: WriteConcern, loggedAs: ChangeLogEntry.Operation = .update,
        validator: DocumentValidator?,
        transform: (BSONDocument, FilterMatch) throws(MongoError) -> BSONDocument?,
        upsert: (() throws(MongoError) -> BSONDocument)?
    ) throws(MongoError) -> UpdateResult {
        let pinnedID = multi ? nil : Self.idEquality(filter)
        let ids: [BSONValue]
        if let pinnedID {
            ids = [pinnedID]
        } else {
            let plan = try Planner(indexes: indexes).plan(filter: filter, sort: nil, projection: nil, skip: 0,
                                                          limit: multi ? nil : 1, hint: nil)
            var statistics = ExecutionStatistics()
            ids = try Executor(collection: collection, interrupt: interrupt).matches(plan, wantPositional: true, statistics: &statistics).map(\.id)
        }
        var matched = 0
        var modified = 0
        for id in ids {
            var stillMatches = false
            let outcome = try collection.modify(id: id, writeConcern: writeConcern, loggedAs: loggedAs) {
                (current) throws(MongoError) -> BSONDocument? in
                guard let found = filter.match(current) else { return nil }
                stillMatches = true
                guard let updated = try transform(current, found) else { return nil }
                try ValueLimits.checkUpdatedDocument(updated, id: current["_id"] ?? id)
                try validator?.check(Self.withID(updated, current["_id"] ?? id), before: current)
                return updated
            }
            if stillMatches { matched += 1 }
            if outcome == .replaced { modified += 1 }
            if pinnedID != nil { noteIDLookup(found: outcome != .notFound) }
        }
        // Nothing found (a document that stopped matching after the search is not "nothing").
        if let upsert, ids.isEmpty || (pinnedID != nil && matched == 0) {
            let document = try upsert()
            try ValueLimits.checkUpsertDocument(document)
            let id = try insertValidated(document, validator: validator, writeConcern: writeConcern)
            return UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedID: id)
        }
        return UpdateResult(matchedCount: matched, modifiedCount: modified)
    }

    private func upsert(
        _ filter: BSONDocument, _ update: Update, now: BSONDateTime, writeConcern: WriteConcern
    ) throws(MongoError) -> UpdateResult {
        let document = try update.upsertDocument(query: filter, now: now)
        try ValueLimits.checkUpsertDocument(document)
        let id = try collection.insert(document, writeConcern: writeConcern)  // no validator: the fast path only
        return UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedID: id)
    }

    /// The `_id` a parsed filter pins to one stored key: as ``idEquality(_:)-(BSONDocument)``,
    /// and not a string compared under a collation (which matches other `_id`s too).
    static func idEquality(_ filter: Filter) -> BSONValue? {
        guard let id = idEquality(filter.spec) else { return nil }
        if filter.collator != nil && Collator.containsStrings(id) { return nil }
        return id
    }

    /// The `_id` a filter pins to one value (`{_id: v}` or `{_id: {$eq: v}}`, `v` not an
    /// operator document, array or regex), else `nil`.
    static func idEquality(_ filter: BSONDocument) -> BSONValue? {
        guard filter.count == 1, let first = filter.first, first.key == "_id" else { return nil }
        var value = first.value
        if case let .document(operators) = value, operators.count == 1, let only = operators.first {
            guard only.key == "$eq" else { return nil }
            value = only.value
        }
        switch value {
        case .array, .regex, .undefined, .minKey, .maxKey: return nil
        case let .document(document) where document.first?.key.hasPrefix("$") ?? false: return nil
        default: return value
        }
    }

    /// Deletes the first (or, with `multi`, every) matching document; returns how many.
    @discardableResult
    public func delete(
        _ filter: BSONDocument, multi: Bool = true, writeConcern: WriteConcern = .acknowledged
    ) throws(MongoError) -> Int {
        _ = try writeGuard()
        let filter = try textMatchesAsIDFilter(filter) ?? filter
        let prepared = try prepare(FindQuery(filter: filter, limit: multi ? nil : 1))
        if let id = Self.idEquality(prepared.plan.filter) {
            // At most one document has this `_id`: delete it by key, without a search first.
            let deleted = try collection.delete(id: id, writeConcern: writeConcern)
            noteIDLookup(found: deleted)
            return deleted ? 1 : 0
        }
        var statistics = ExecutionStatistics()
        let matches = try Executor(collection: collection, interrupt: interrupt).matches(prepared.plan, wantPositional: false,
                                                                   statistics: &statistics)
        var deleted = 0
        for match in matches where try collection.delete(id: match.id, writeConcern: writeConcern) {
            deleted += 1
        }
        return deleted
    }

    /// Counts a write's read of one document by `_id` (no search) in the command's tally, as
    /// mongod's `_id` lookups report it: one key and one document examined when it was there.
    private func noteIDLookup(found: Bool) {
        guard found else { return }
        interrupt.tally?.add(keysExamined: 1, docsExamined: 1)
    }

    // MARK: Planning

    struct Prepared {
        let plan: QueryPlan
    }

    /// Parses every part of `query` (so errors come before any work) and plans it.
    func prepare(_ query: FindQuery) throws(MongoError) -> Prepared {
        guard query.skip >= 0 else {
            throw MongoError(.badValue, "skip value must be non-negative, but received: \(query.skip)")
        }
        if let limit = query.limit, limit < 0 {
            throw MongoError(.badValue, "limit value must be non-negative, but received: \(limit)")
        }
        // One catalog read gives the default collation and the indexes.
        let entry = collection.catalogEntry
        let collator = try collator(defaultFrom: entry)
        let filter = try Filter(query.filter, collator: collator)
        let natural = try NaturalOrder(sort: query.sort, hint: query.hint)
        let sort = try natural.sort.flatMap { (spec) throws(MongoError) -> SortSpec? in
            spec.isEmpty ? nil : try SortSpec(spec, collator: collator)
        }
        let projection = try query.projection.flatMap { (spec) throws(MongoError) -> Projection? in
            spec.isEmpty ? nil : try Projection(spec, filter: filter)
        }
        // A `$natural` sort is a `$natural` hint: a collection scan in that direction.
        let hint = natural.sortsNaturally ? .document(["$natural": .int32(natural.reverse ? -1 : 1)]) : query.hint
        var plan = try Planner(indexes: entry?.indexes ?? []).plan(
            filter: filter, sort: sort, projection: projection, skip: query.skip,
            limit: query.limit == 0 ? nil : query.limit, hint: hint)
        if case .collectionScan = plan.access { plan.reverse = natural.reverse }
        return Prepared(plan: plan)
    }
}
