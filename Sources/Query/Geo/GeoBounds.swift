// GeoBounds: how the planner scans a 2dsphere index field. A `$geoWithin`/`$geoIntersects` on
// the sphere becomes its region's S2 covering: each covering cell's range of leaf ids (points
// and finer cells inside it) plus the cell's ancestors down to the coarsest indexed level as
// points (coarser cells of indexed lines and polygons that may overlap it). The executor
// re-checks every candidate exactly. Cell order is no sort order.

internal import BSON
internal import Documents

enum GeoBounds {
    /// The cells a query region's covering may have: enough for tight ranges, few enough
    /// to keep the scan's ranges cheap.
    static let queryMaxCells = 20

    /// The paths of `index`'s 2dsphere fields (empty for other indexes).
    static func geoPaths(of index: IndexDescription) -> Set<String> {
        Set(index.key.filter { $0.value.stringValue == GeoIndexRules.plugin }.map(\.key))
    }

    /// The intervals of cell ids `predicate` admits on a 2dsphere field, or `nil` when it
    /// cannot bound the scan (flat legacy shapes, anything but a geo predicate).
    static func intervals(_ predicate: PathPredicate) -> [IndexInterval]? {
        guard case let .geo(geo) = predicate, let region = geo.sphereRegion else { return nil }
        let cells = region.covering(minLevel: GeoIndexRules.coarsestLevel, maxLevel: S2CellID.maxLevel,
                                    maxCells: queryMaxCells)
        return intervals(covering: cells)
    }

    /// The intervals that find every indexed geometry touching `cells`: each cell's leaf
    /// range, and each of its ancestors down to the coarsest indexed level.
    static func intervals(covering cells: [S2CellID]) -> [IndexInterval] {
        var result: [IndexInterval] = []
        var ancestors: Set<UInt64> = []
        for cell in cells {
            result.append(IndexInterval(lower: .int64(S2CellID(raw: cell.rangeMin).indexKey), lowerInclusive: true,
                                        upper: .int64(S2CellID(raw: cell.rangeMax).indexKey), upperInclusive: true))
            var level = cell.level - 1
            while level >= GeoIndexRules.coarsestLevel {
                ancestors.insert(cell.parent(level).raw)
                level -= 1
            }
        }
        for ancestor in ancestors { result.append(.point(.int64(S2CellID(raw: ancestor).indexKey))) }
        return PredicateBounds.normalize(result)
    }

    /// The key fields whose order can serve a sort: those before the first 2dsphere field.
    static func sortableFields(
        _ keyFields: [(path: String, ascending: Bool)], geoPaths: Set<String>
    ) -> [(path: String, ascending: Bool)] {
        guard let position = keyFields.firstIndex(where: { geoPaths.contains($0.path) }) else { return keyFields }
        return Array(keyFields.prefix(position))
    }

    /// Whether a scan of a 2dsphere index may answer the query: only when some 2dsphere
    /// field is bounded by a geo predicate (documents without geometry have no entries).
    static func isUsable(geoPaths: Set<String>, conjuncts: Conjuncts) -> Bool {
        geoPaths.isEmpty || geoPaths.contains { path in
            (conjuncts.byPath[path] ?? []).contains { predicate in
                if case let .geo(geo) = predicate { geo.sphereRegion != nil } else { false }
            }
        }
    }
}
