// GeoBounds: how the planner scans a 2dsphere index field. A `$geoWithin`/`$geoIntersects` on
// the sphere becomes its region's S2 covering: each covering cell's range of leaf ids (points
// and finer cells inside it) plus the cell's ancestors down to the coarsest indexed level as
// points (coarser cells of indexed lines and polygons that may overlap it). The executor
// re-checks every candidate exactly. On a 2d field, a flat shape's bounding box becomes the
// geohash ranges of the cells covering it. Cell order is no sort order.

internal import BSON
internal import Documents

enum GeoBounds {
    /// The cells a query region's covering may have: enough for tight ranges, few enough
    /// to keep the scan's ranges cheap.
    static let queryMaxCells = 20

    /// The paths of `index`'s 2dsphere and 2d fields (empty for other indexes).
    static func geoPaths(of index: IndexDescription) -> Set<String> {
        Set(index.key.filter { [GeoIndexRules.plugin, TwoDParameters.plugin].contains($0.value.stringValue) }.map(\.key))
    }

    /// The grid of `index` when it is a 2d index.
    static func flatGrid(of index: IndexDescription) -> TwoDParameters? {
        index.key.contains { $0.value.stringValue == TwoDParameters.plugin } ? TwoDParameters(options: index.options) : nil
    }

    /// The intervals of keys `predicate` admits on `index`'s geo field, or `nil` when it
    /// cannot bound the scan (flat shapes on a 2dsphere field, spherical ones on a 2d field,
    /// anything but a geo predicate).
    static func intervals(_ predicate: PathPredicate, index: IndexDescription) -> [IndexInterval]? {
        guard case let .geo(geo) = predicate else { return nil }
        if let grid = flatGrid(of: index) { return flatIntervals(geo, grid: grid) }
        guard let region = geo.sphereRegion else { return nil }
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

    /// Whether a scan of a geo index may answer the query: only when some geo field is
    /// bounded by a geo predicate (documents without geometry have no entries).
    static func isUsable(geoPaths: Set<String>, conjuncts: Conjuncts, index: IndexDescription) -> Bool {
        geoPaths.isEmpty || geoPaths.contains { path in
            (conjuncts.byPath[path] ?? []).contains { intervals($0, index: index) != nil }
        }
    }

    /// The cells a query's covering on a 2d field may have.
    static let flatMaxCells = 64

    /// A flat shape's bounding box as geohash ranges of a 2d index.
    static func flatIntervals(_ geo: GeoPredicate, grid: TwoDParameters) -> [IndexInterval]? {
        let box: (Double, Double, Double, Double)
        switch geo.shape {
        case let .box(minX, minY, maxX, maxY): box = (minX, minY, maxX, maxY)
        case let .disc(center, radius): box = (center.lng - radius, center.lat - radius, center.lng + radius, center.lat + radius)
        case let .polygon(vertices):
            let xs = vertices.map(\.lng), ys = vertices.map(\.lat)
            guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max() else { return nil }
            box = (minX, minY, maxX, maxY)
        case .sphere: return nil
        }
        return flatIntervals(boxes: [box], grid: grid)
    }

    /// The geohash ranges of cells covering `boxes` (minX, minY, maxX, maxY) in a 2d index.
    static func flatIntervals(boxes: [(Double, Double, Double, Double)], grid: TwoDParameters) -> [IndexInterval] {
        let ranges = boxes.flatMap { grid.covering(minX: $0.0, minY: $0.1, maxX: $0.2, maxY: $0.3, maxCells: flatMaxCells) }
        return PredicateBounds.normalize(ranges.map {
            IndexInterval(lower: .int64($0.0), lowerInclusive: true, upper: .int64($0.1), upperInclusive: true)
        })
    }
}
