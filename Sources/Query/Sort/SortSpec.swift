// SortSpec: a MongoDB sort specification ({a: 1, "b.c": -1}) parsed once, turned into one
// sort key per document with MongoDB's array rules (ascending sorts by an array's smallest
// key, descending by its largest), and used for stable sorts and bounded top-k selection.

public import BSON
public import Collation
import Documents

/// One key of a sort specification.
public struct SortKey: Sendable, Hashable {
    /// The field the key reads.
    public let path: FieldPath
    /// `1` (ascending) or `-1` (descending).
    public let ascending: Bool

    /// A key on `path`.
    public init(path: FieldPath, ascending: Bool) {
        self.path = path
        self.ascending = ascending
    }
}

/// A parsed MongoDB sort specification.
///
/// Documents compare by their sort key: for each key path, the values the path reaches (one
/// per array element when it goes through arrays; `null` when missing; `undefined` for an
/// empty array, which sorts before `null`), reduced to the smallest tuple in sort order — an
/// ascending key takes an array's smallest value, a descending key its largest. Values of
/// different types compare in BSON order (``BSONValue/compare(_:_:)``). Ties keep input order.
public struct SortSpec: Sendable {
    /// The specification as given.
    public let spec: BSONDocument
    /// The keys, in order of precedence.
    public let keys: [SortKey]
    /// The collation strings sort by (`nil`: binary); sort keys hold comparison keys.
    public let collator: Collator?

    private let generator: SortKeyGenerator

    /// The most keys a sort has in mongod (`kMaxCompoundIndexKeys`, the bits of an `Ordering`).
    public static let maximumKeys = 32

    /// Parses `spec`; with a `collator`, strings sort in its order.
    ///
    /// - Throws: `Location15974` for a non-numeric key ("Illegal key in $sort
    ///   specification: a: \"x\""), `Location15975` for numbers other than 1 and -1,
    ///   `Location7472500` for a repeated path, `Location13103` for more than 32 keys, FieldPath errors (`Location40352` for an
    ///   empty name, ...), `Location40218` for a text score sort outside a pipeline that carries
    ///   one (`textScore`), and `NotImplemented` for other `$meta` sorts.
    public init(_ spec: BSONDocument, collator: Collator? = nil, textScore: Bool = false) throws(MongoError) {
        var keys: [SortKey] = []
        var seen: Set<String> = []
        for (name, value) in spec {
            if case .document(let meta) = value {
                if textScore, meta.count == 1, meta.first?.key == "$meta", meta.first?.value.stringValue == "textScore" {
                    // A pipeline's text score (TextScoreMetadata): highest first.
                    keys.append(SortKey(path: FieldPath(components: [TextScoreMetadata.field]), ascending: false))
                    continue
                }
                try Self.rejectMeta(meta)
            }
            guard value.isNumeric else {
                throw MongoError.location(15974, "Illegal key in $sort specification: \(ShellText.element(name, value))")
            }
            let direction = Self.safeLong(value)
            guard direction == 1 || direction == -1 else {
                throw MongoError.location(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
            }
            let path = try MongoPathRules.fieldPath(name)
            guard seen.insert(path.dotted).inserted else {
                throw MongoError.location(7472500, "$sort key must not contain duplicate keys (duplicate: '\(path.dotted)')")
            }
            keys.append(SortKey(path: path, ascending: direction == 1))
        }
        // mongod's sort key generator builds an `Ordering` of the keys: one bit per key, 32 at most.
        guard keys.count <= Self.maximumKeys else { throw MongoError.location(13103, "too many compound keys") }
        self.spec = spec
        self.keys = keys
        self.collator = collator
        self.generator = SortKeyGenerator(paths: keys.map(\.path.components))
    }

    /// `{$meta: ...}` keys: validated as MongoDB does, then refused (no metadata here).
    private static func rejectMeta(_ meta: BSONDocument) throws(MongoError) {
        guard let first = meta.first, first.key == "$meta" else {
            throw MongoError.location(17312, "$meta is the only expression supported by $sort right now")
        }
        guard meta.count == 1 else {
            throw MongoError(MongoError.Code(9, "FailedToParse"), "Cannot have additional keys in a $meta sort specification")
        }
        let supported: Set<String> = ["textScore", "randVal", "geoNearDistance", "searchScore", "vectorSearchScore"]
        guard case .string(let name) = first.value, supported.contains(name) else {
            throw MongoError.location(31138, "Illegal $meta sort: \(ShellText.element(first.key, first.value))")
        }
        if name == "textScore" { throw TextScoreMetadata.unavailable }
        throw MongoError(MongoError.Code(238, "NotImplemented"), "$meta sort by \(name) is not supported")
    }

    /// MongoDB's `safeNumberLong`: truncated toward zero, clamped, NaN as 0.
    private static func safeLong(_ value: BSONValue) -> Int64 {
        switch value {
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        case .double(let v): return clampToLong(v)
        case .decimal128(let d): return clampToLong(d.doubleValue)
        default: return 0
        }
    }

    private static func clampToLong(_ v: Double) -> Int64 {
        ClientNumber.int64(saturating: v) ?? 0
    }

    // MARK: Keys

    /// The sort key of `document`: one value per key. When two key paths run through
    /// different arrays (which MongoDB rejects, see ``validatedSortKey(for:)``), each key
    /// is reduced on its own.
    public func sortKey(for document: BSONDocument) -> [BSONValue] {
        if let key = try? validatedSortKey(for: document) { return key }
        return keys.map { key in
            var candidates = SortKeyGenerator.keys(of: document, path: key.path.components)
            if let collator { candidates = candidates.map(collator.comparisonKey) }
            return candidates.dropFirst().reduce(candidates.first ?? .null) { best, next in
                let order = BSONValue.compare(next, best)
                return (key.ascending ? order < 0 : order > 0) ? next : best
            }
        }
    }

    /// The sort key of `document`, as MongoDB computes it.
    ///
    /// - Throws: `BadValue` "cannot sort with keys that are parallel arrays" when two key
    ///   paths run through different arrays of the document.
    public func validatedSortKey(for document: BSONDocument) throws(MongoError) -> [BSONValue] {
        var candidates: [[BSONValue]]
        do {
            candidates = try generator.keys(of: document)
        } catch {
            throw MongoError(.badValue, "cannot sort with keys that are parallel arrays")
        }
        if let collator { candidates = candidates.map { $0.map(collator.comparisonKey) } }
        var best = candidates.first ?? keys.map { _ in BSONValue.null }
        for candidate in candidates.dropFirst() where compareKeys(candidate, best) < 0 {
            best = candidate
        }
        return best
    }

    /// Compares two sort keys: negative when `a` sorts first, zero when tied.
    public func compareKeys(_ a: [BSONValue], _ b: [BSONValue]) -> Int {
        for (index, key) in keys.enumerated() where index < a.count && index < b.count {
            let order = BSONValue.compare(a[index], b[index])
            if order != 0 { return key.ascending ? order : -order }
        }
        return 0
    }

    // MARK: Sorting

    /// `documents` in sort order; documents with equal keys keep their input order.
    public func sorted(_ documents: [BSONDocument]) -> [BSONDocument] {
        guard !keys.isEmpty else { return documents }
        let keyed = documents.map { sortKey(for: $0) }
        let order = documents.indices.sorted { lhs, rhs in
            let byKey = compareKeys(keyed[lhs], keyed[rhs])
            return byKey != 0 ? byKey < 0 : lhs < rhs
        }
        return order.map { documents[$0] }
    }

    /// As ``sorted(_:)``, failing as MongoDB does on parallel arrays.
    public func validatedSorted(_ documents: [BSONDocument]) throws(MongoError) -> [BSONDocument] {
        var keyed: [[BSONValue]] = []
        keyed.reserveCapacity(documents.count)
        for document in documents { keyed.append(try validatedSortKey(for: document)) }
        let order = documents.indices.sorted { lhs, rhs in
            let byKey = compareKeys(keyed[lhs], keyed[rhs])
            return byKey != 0 ? byKey < 0 : lhs < rhs
        }
        return order.map { documents[$0] }
    }

    /// The first `limit` documents of `documents` in sort order (ties in input order),
    /// keeping at most `limit` documents in memory: a bounded heap, not a full sort.
    public func top(_ limit: Int, of documents: some Sequence<BSONDocument>) -> [BSONDocument] {
        var heap = TopHeap(limit: limit, spec: self)
        for document in documents { heap.offer(document, key: sortKey(for: document)) }
        return heap.drain()
    }

    /// As ``top(_:of:)``, failing as MongoDB does on parallel arrays.
    public func validatedTop(_ limit: Int, of documents: some Sequence<BSONDocument>) throws(MongoError) -> [BSONDocument] {
        var heap = TopHeap(limit: limit, spec: self)
        for document in documents { heap.offer(document, key: try validatedSortKey(for: document)) }
        return heap.drain()
    }
}
