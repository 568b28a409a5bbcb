// The plan the planner chose for one query: how documents are found (collection scan or an
// index scan with bounds), and what is left for the executor to do (filter, sort, skip,
// limit, projection). Plans are values; the executor runs them.

internal import BSON
internal import Documents

/// An index scan: which index, its key fields, the bounds per field, and the direction.
struct IndexScanPlan {
    /// The index scanned.
    let index: IndexDescription
    /// The key pattern's fields and directions.
    let keyFields: [(path: String, ascending: Bool)]
    /// Per key field, the value intervals scanned.
    let bounds: [[IndexInterval]]
    /// Whether the scan runs in descending index order.
    let reverse: Bool
    /// Whether index order is the requested sort order.
    let providesSort: Bool
    /// Whether the result can be built from index keys alone (no document fetch).
    let covered: Bool
    /// How many leading key fields are bound to single points.
    let equalityPrefix: Int

    /// Whether the scan can meet one document under several keys: a multikey index, or a
    /// wildcard index (a compound one's prefix-only scan reads every path's keys).
    var mayRepeatDocuments: Bool {
        index.isMultikey || keyFields.contains { $0.path == WildcardIndexSpec.pathField }
    }
}

/// How a query reads its documents.
enum AccessPath {
    /// Every document of the collection, in `_id` order.
    case collectionScan
    /// The entries of one index within bounds.
    case indexScan(IndexScanPlan)
    /// A 2dsphere index read in growing rings around a point, nearest first (`$near`).
    case geoNear(GeoNearPlan)
}

/// A complete plan for one find, count, update or delete.
struct QueryPlan {
    let access: AccessPath
    let filter: Filter
    let sort: SortSpec?
    let projection: Projection?
    let skip: Int
    let limit: Int?
    /// Whether a collection scan walks natural order backwards (`$natural: -1`).
    var reverse = false

    /// How many matches the executor must produce before skipping: `skip + limit`, saturated
    /// (a client may send both near `Int.max`); `nil` without a limit.
    var wanted: Int? {
        limit.map { limit in
            let (sum, overflow) = skip.addingReportingOverflow(limit)
            return overflow ? .max : sum
        }
    }

    /// Whether the executor must sort the matches in memory.
    var needsInMemorySort: Bool {
        guard sort != nil else { return false }
        switch access {
        case let .indexScan(scan): return !scan.providesSort
        case .geoNear: return true
        case .collectionScan: return true
        }
    }
}
