// GeoNearFlat: the parts of a near search that differ by index — which keys a ring reads
// (a 2dsphere index: the ring's S2 covering; a 2d index: geohash cells covering the ring's
// bounding boxes), which entries can be skipped from their key alone, how far the rings go,
// and how distances are measured (flat `$near` on a 2d index: on the plane of coordinates;
// otherwise on the sphere, in radians).

internal import BSON
internal import Documents

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension GeoNearPlan {
    /// Whether distances are flat (legacy `$near` through a 2d index), in coordinate units.
    var isFlatDistance: Bool { flat != nil && !near.isSphere }

    /// How far rings go: the maximum distance, or all of the sphere or the 2d square.
    var ringLimit: Double {
        if isFlatDistance, let flat { return min(near.maxRadians, (flat.max - flat.min) * 1.5) }
        return min(near.maxRadians, .pi)
    }

    /// The first ring's width: about 50 m on the sphere, a 65536th of a 2d square.
    var initialRingWidth: Double {
        if isFlatDistance, let flat { return (flat.max - flat.min) / 65_536 }
        return GeoNearSearch.initialWidth
    }

    /// The geo field's intervals holding every key of a geometry between `inner` and `outer`.
    func ringIntervals(inner: Double, outer: Double) -> [IndexInterval] {
        guard let flat else {
            let cells = S2Region.annulusCovering(center: near.center, inner: inner, outer: outer,
                                                 maxLevel: S2CellID.maxLevel, maxCells: GeoBounds.queryMaxCells)
            return GeoBounds.intervals(covering: cells)
        }
        return GeoBounds.flatIntervals(boxes: ringBoxes(outer: outer), grid: flat)
    }

    /// Boxes (minX, minY, maxX, maxY) holding every point within `outer` of the centre: a
    /// square on the plane; on the sphere the cap's latitude band and longitude span, split at
    /// the antimeridian.
    private func ringBoxes(outer: Double) -> [(Double, Double, Double, Double)] {
        let center = near.center
        if isFlatDistance { return [(center.lng - outer, center.lat - outer, center.lng + outer, center.lat + outer)] }
        let degrees = outer * 180 / .pi
        let (south, north) = (max(center.lat - degrees, -90), min(center.lat + degrees, 90))
        let latitude = center.lat * .pi / 180
        guard north < 90, south > -90, sin(outer) < cos(latitude) else { return [(-180, south, 180, north)] }
        let span = asin(sin(outer) / cos(latitude)) * 180 / .pi
        let (west, east) = (center.lng - span, center.lng + span)
        if west < -180 { return [(west + 360, south, 180, north), (-180, south, east, north)] }
        if east > 180 { return [(west, south, 180, north), (-180, south, east - 360, north)] }
        return [(west, south, east, north)]
    }

    /// Whether a geo key may belong to a geometry between `inner` and `outer` (false: the
    /// entry is skipped unread). Exact for a 2dsphere point's leaf cell and a 2d cell.
    func keyMayBeInRing(_ key: Int64, inner: Double, outer: Double) -> Bool {
        if let flat {
            let (corner, side) = flat.cell(ofKey: key)
            let middle = GeoPoint(lng: corner.lng + side / 2, lat: corner.lat + side / 2)
            let estimate = distance(middle, near.center)
            let slack = isFlatDistance ? side : side * .pi / 180 * 2
            return estimate >= inner - slack && estimate <= outer + slack
        }
        let cell = S2CellID(raw: UInt64(bitPattern: key))
        guard cell.level == S2CellID.maxLevel else { return true }
        // A point's key: its leaf cell's centre is within a centimetre of it.
        let estimate = cell.center.angle(to: near.center)
        return estimate >= inner - GeoNearSearch.leafSlack && estimate <= outer + GeoNearSearch.leafSlack
    }

    /// The distance between two points in this search's measure.
    func distance(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        guard isFlatDistance else { return a.angle(to: b) }
        let (dx, dy) = (a.lng - b.lng, a.lat - b.lat)
        return (dx * dx + dy * dy).squareRoot()
    }

    /// The distance from the centre to a stored geometry: a 2d index reads legacy points only.
    func distance(to geometry: Geometry) -> Double? {
        if let point = geometry.point { return distance(point, near.center) }
        return flat == nil ? geometry.region.distance(to: near.center) : nil
    }
}
