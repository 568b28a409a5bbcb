// IndexScan: the planner's view of an index — bounds per key field turned into RocksDB key
// ranges (points multiplied out, then one range field, the rest filtered on stored values),
// and the scan visiting entries in index order. `_id_` scans the collection's own keys.

public import BSON
internal import Storage

/// A range of values of one key field, in MongoDB's comparison order.
public struct IndexInterval: Sendable {
    /// The low end.
    public var lower: BSONValue
    /// Whether `lower` itself is in the interval.
    public var lowerInclusive: Bool
    /// The high end.
    public var upper: BSONValue
    /// Whether `upper` itself is in the interval.
    public var upperInclusive: Bool

    /// The interval between `lower` and `upper`.
    public init(lower: BSONValue, lowerInclusive: Bool, upper: BSONValue, upperInclusive: Bool) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// Every value: `[MinKey, MaxKey]`.
    public static let all = IndexInterval(lower: .minKey, lowerInclusive: true, upper: .maxKey, upperInclusive: true)

    /// The values equal to `value` (`[value, value]`).
    public static func point(_ value: BSONValue) -> IndexInterval {
        IndexInterval(lower: value, lowerInclusive: true, upper: value, upperInclusive: true)
    }

    /// Whether the interval holds exactly the values equal to one value.
    public var isPoint: Bool {
        lowerInclusive && upperInclusive && BSONValue.compare(lower, upper) == 0
    }

    /// Whether `value` lies in the interval.
    public func contains(_ value: BSONValue) -> Bool {
        let low = BSONValue.compare(value, lower)
        if low < 0 || (low == 0 && !lowerInclusive) { return false }
        let high = BSONValue.compare(value, upper)
        return high < 0 || (high == 0 && upperInclusive)
    }

    /// Whether this is `[MinKey, MaxKey]`.
    var isAll: Bool {
        lowerInclusive && upperInclusive && lower.type == .minKey && upper.type == .maxKey
    }
}

/// One index entry: the key field values as stored (`null` for missing fields) and the
/// document's `_id`.
public struct IndexEntry: Sendable {
    /// The values of the key pattern's fields, in key pattern order.
    public let keyValues: [BSONValue]
    /// The `_id` of the document the entry points to.
    public let id: BSONValue

    /// An entry from its parts.
    public init(keyValues: [BSONValue], id: BSONValue) {
        self.keyValues = keyValues
        self.id = id
    }
}

/// Counters of a scan, for `explain`'s `totalKeysExamined`.
public struct IndexScanStatistics: Sendable {
    /// Entries read, whether or not they passed the bounds of the filtered fields.
    public var keysExamined = 0

    /// Zeroed counters.
    public init() {}
}

/// The key ranges and in-memory filters one scan needs.
struct IndexScanPlan {
    /// The most point combinations (times the range field's intervals) turned into ranges.
    static let maximumRanges = 1000

    /// Key ranges in ascending key order; none when the bounds match nothing.
    private(set) var ranges: [KeyRange] = []
    /// Fields after the range field, checked against the stored values.
    private(set) var filters: [(field: Int, intervals: [IndexInterval])] = []

    /// The plan for `bounds` over `fields`: while the leading fields' bounds are all points
    /// (and the ranges stay within `maximumRanges`), one prefix per combination; then the
    /// next field's intervals as ranges; the remaining fields filtered.
    ///
    /// - Throws: `BadValue` (2) when `bounds` does not have one interval list per field.
    init(fields: [IndexKeyField], bounds: [[IndexInterval]]) throws(MongoError) {
        guard bounds.count == fields.count else {
            throw MongoError(.badValue, "index bounds name \(bounds.count) fields; the key pattern has \(fields.count)")
        }
        if bounds.contains(where: \.isEmpty) { return }
        var pointFields = 0
        var combinations = 1
        while pointFields < fields.count, bounds[pointFields].allSatisfy(\.isPoint) {
            let (next, overflow) = combinations.multipliedReportingOverflow(by: bounds[pointFields].count)
            let following = pointFields + 1 < fields.count ? bounds[pointFields + 1].count : 1
            let (total, totalOverflow) = next.multipliedReportingOverflow(by: following)
            guard !overflow, !totalOverflow, total <= Self.maximumRanges else { break }
            combinations = next
            pointFields += 1
        }
        var prefixes: [[UInt8]] = [[]]
        for field in 0 ..< pointFields {
            let ordered = Self.indexOrder(bounds[field], descending: fields[field].isDescending)
            prefixes = prefixes.flatMap { prefix in
                ordered.map { interval in
                    var key = prefix
                    IndexEntryCodec.appendField(interval.lower, descending: fields[field].isDescending, to: &key)
                    return key
                }
            }
        }
        guard pointFields < fields.count else {
            ranges = prefixes.map { KeyRange(lowerBound: $0, upperBound: KeyRange.successor(ofPrefix: $0)) }
            return
        }
        let rangeField = fields[pointFields]
        let intervals = Self.indexOrder(bounds[pointFields], descending: rangeField.isDescending)
        for prefix in prefixes {
            for interval in intervals {
                if let range = Self.range(prefix: prefix, interval: interval, descending: rangeField.isDescending) {
                    ranges.append(range)
                }
            }
        }
        for field in (pointFields + 1) ..< fields.count where !(bounds[field].count == 1 && bounds[field][0].isAll) {
            filters.append((field, bounds[field]))
        }
    }

    /// Whether `values` lie within the filtered fields' intervals.
    func passesFilters(_ values: [BSONValue]) -> Bool {
        for filter in filters {
            guard filter.field < values.count else { return false }
            let value = values[filter.field]
            if !filter.intervals.contains(where: { $0.contains(value) }) { return false }
        }
        return true
    }

    /// Intervals (ascending by value) in the order the field's entries are stored.
    private static func indexOrder(_ intervals: [IndexInterval], descending: Bool) -> [IndexInterval] {
        descending ? intervals.reversed() : intervals
    }

    /// The keys starting with `prefix` whose next field lies in `interval`; `nil` if none can.
    ///
    /// Encodings are prefix-free, so the entries whose field equals `v` are exactly the keys
    /// starting with `prefix + enc(v)`: an inclusive end takes them all (up to that prefix's
    /// successor), an exclusive end none. A descending field's encodings are complemented,
    /// so its high value gives the low key.
    private static func range(prefix: [UInt8], interval: IndexInterval, descending: Bool) -> KeyRange? {
        var first = prefix
        var last = prefix
        let (low, lowInclusive, high, highInclusive) = descending
            ? (interval.upper, interval.upperInclusive, interval.lower, interval.lowerInclusive)
            : (interval.lower, interval.lowerInclusive, interval.upper, interval.upperInclusive)
        IndexEntryCodec.appendField(low, descending: descending, to: &first)
        IndexEntryCodec.appendField(high, descending: descending, to: &last)
        let lowerBound = lowInclusive ? first : KeyRange.successor(ofPrefix: first)
        let upperBound = highInclusive ? KeyRange.successor(ofPrefix: last) : last
        guard let lowerBound else { return nil }
        if let upperBound, !lowerBound.lexicographicallyPrecedes(upperBound) { return nil }
        return KeyRange(lowerBound: lowerBound, upperBound: upperBound)
    }
}

extension DocumentCollection {
    /// The index named `name` (`_id_` included), or `nil`.
    public func index(named name: String) -> IndexDescription? {
        store.catalog.collection(namespace)?.indexes.first { $0.name == name }
    }

    /// The collection's indexes, `_id_` first; empty when the collection does not exist.
    public var indexes: [IndexDescription] {
        store.catalog.collection(namespace)?.indexes ?? []
    }

    /// Visits the entries of index `name` within `bounds` in index order (`reverse`: the
    /// opposite), calling `body` until it returns `false`.
    ///
    /// `bounds` has, per key pattern field, a union of sorted, non-overlapping intervals in
    /// ascending value order; the scan handles descending fields. Leading fields bounded by
    /// points are multiplied out (up to 1,000 ranges), the next field's intervals become key
    /// ranges, and later fields are checked against the stored values. Every entry read counts
    /// in `statistics.keysExamined`. `_id_` scans the collection's documents by `_id`. A
    /// missing collection has no entries.
    ///
    /// - Throws: `IndexNotFound` (27), `BadValue` (2) for bounds of the wrong width,
    ///   `QueryPlanKilled` (175) when the index or collection is dropped during the scan,
    ///   `MaxTimeMSExpired` (50) or `Interrupted` (11601) when `interrupt` fires (it is
    ///   polled every few hundred keys).
    public func scanIndex(
        named name: String, bounds: [[IndexInterval]], reverse: Bool = false, statistics: inout IndexScanStatistics,
        interrupt: OperationInterrupt = .none, _ body: (IndexEntry) throws(MongoError) -> Bool
    ) throws(MongoError) {
        try scanIndex(named: name, bounds: bounds, reverse: reverse, after: nil, statistics: &statistics,
                      interrupt: interrupt) { (entry, _) throws(MongoError) -> Bool in try body(entry) }
    }

    /// ``scanIndex(named:bounds:reverse:statistics:interrupt:_:)`` resumable: starts after the
    /// entry whose key is `key` in the scan's direction (`nil`: at the start), and gives `body`
    /// each entry's key with it (valid only during the call; copy it to resume from there
    /// later). An index key ends with the record's `_id`, so resuming after it neither repeats
    /// nor skips an entry. Reads at the collection's ``snapshot`` when it has one.
    public func scanIndex(
        named name: String, bounds: [[IndexInterval]], reverse: Bool = false, after key: [UInt8]?,
        statistics: inout IndexScanStatistics, interrupt: OperationInterrupt = .none,
        _ body: (IndexEntry, _ key: UnsafeRawBufferPointer) throws(MongoError) -> Bool
    ) throws(MongoError) {
        guard let collection = openCollection() else { return }
        let fields: [IndexKeyField]
        let keySpace: any KeySpace
        let decoder: RecordDecoder?
        if name == IndexDescription.idIndex.name {
            fields = [IndexKeyField(path: "_id", isDescending: false)]
            keySpace = collection.keySpace
            decoder = RecordDecoder(registry: store.shapes)
        } else if let index = collection.indexes.first(where: { $0.name == name }) {
            fields = index.spec.fields
            keySpace = index.keySpace
            decoder = nil
        } else if collection.index(named: name) != nil {
            throw MongoError(.internalError, "index \(name) on \(namespace) was never built; drop and create it again")
        } else {
            throw MongoError(.indexNotFound, "index not found with name [\(name)]")
        }
        let plan = try IndexScanPlan(fields: fields, bounds: bounds)
        guard !plan.ranges.isEmpty else { return }
        let direction: ScanDirection = reverse ? .reverse : .forward
        if let transaction {
            let index = collection.indexes.first { $0.name == name }
            try scanIndex(in: transaction, collection: collection, index: index, keySpace: keySpace, decoder: decoder,
                          plan: plan, reverse: reverse, after: key, statistics: &statistics, interrupt: interrupt, body)
            return
        }
        let reader = self.reader
        let cursor = try scanning(name) { () throws(StorageError) in try reader.makeCursor(over: .all, in: keySpace) }
        var poll = interrupt.poll()
        for whole in reverse ? plan.ranges.reversed() : plan.ranges {
            guard let range = whole.resumed(after: key, direction: direction) else { continue }
            position(cursor, at: range, reverse: reverse)
            while true {
                try poll.tick()
                let step = try cursor.withCurrent { (key, value) throws(MongoError) -> EntryStep in
                    if reverse {
                        if let lower = range.lowerBound, key.lexicographicallyPrecedes(lower) { return .endOfRange }
                    } else if let upper = range.upperBound, !key.lexicographicallyPrecedes(upper) {
                        return .endOfRange
                    }
                    statistics.keysExamined += 1
                    let entry = try self.entry(value, decoder: decoder)
                    guard plan.passesFilters(entry.keyValues) else { return .skip }
                    return try body(entry, key) ? .skip : .stop
                }
                guard let step else {
                    try scanning(name) { () throws(StorageError) in try cursor.checkStatus() }
                    break
                }
                if case .endOfRange = step { break }
                if case .stop = step { return }
                if reverse { cursor.previous() } else { cursor.next() }
            }
        }
    }

    enum EntryStep {
        case entry(IndexEntry)
        /// On to the next entry.
        case skip
        /// The caller wants no more.
        case stop
        case endOfRange
    }

    /// Puts `cursor` on the first entry of `range` in the scan's direction.
    func position(_ cursor: any KeyValueCursor, at range: KeyRange, reverse: Bool) {
        if !reverse {
            if let lower = range.lowerBound { cursor.seek(to: lower) } else { cursor.seekToFirst() }
            return
        }
        guard let upper = range.upperBound else {
            cursor.seekToLast()
            return
        }
        cursor.seek(atOrBefore: upper)
        // The upper bound is exclusive.
        if cursor.withCurrent({ key, _ in key.elementsEqual(upper) }) == true { cursor.previous() }
    }

    /// The entry stored in `value`: an index entry, or (for `_id_`) a record's `_id`.
    func entry(_ value: UnsafeRawBufferPointer, decoder: RecordDecoder?) throws(MongoError) -> IndexEntry {
        guard let decoder else {
            let (values, id) = try IndexEntryCodec.decode([UInt8](value))
            return IndexEntry(keyValues: values, id: id)
        }
        let id: BSONValue?
        do {
            id = try decoder.record([UInt8](value)).field(named: "_id")?.value()
        } catch {
            throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
        }
        guard let id else { throw MongoError(.internalError, "a record in \(namespace) has no _id") }
        return IndexEntry(keyValues: [id], id: id)
    }

    func scanning<Result>(_ name: String, _ body: () throws(StorageError) -> Result) throws(MongoError) -> Result {
        do {
            return try body()
        } catch where error.code == .keySpaceDropped {
            throw MongoError(.queryPlanKilled, "index '\(name)' on \(namespace) was dropped during the scan")
        } catch {
            throw .storage(error)
        }
    }
}
