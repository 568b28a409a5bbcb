// S2Region: Swift's handle on CS2's regions (libs2 behind a C shim) and the cell-id math the
// indexes need on top: a region's covering as cell ids, a cell's id range and parent, and
// containment, intersection and distance between regions. All angles are radians.

internal import CS2

/// The radius of the earth MongoDB uses for spherical distances in meters (6378.1 km).
public let earthRadiusMeters = 6_378_100.0

/// An S2 cell id: a cell of the sphere at a level 0...30, ordered along the Hilbert curve so a
/// cell's descendants are exactly the ids within its range.
public struct S2CellID: Sendable, Hashable, Comparable {
    /// The id's 64 bits.
    public let raw: UInt64

    /// The finest level (leaf cells, about 1 cm).
    public static let maxLevel = 30

    /// The id `raw`.
    public init(raw: UInt64) { self.raw = raw }

    /// The cell holding `point` at `level` (clamped to 0...30).
    public init(_ point: GeoPoint, level: Int = S2CellID.maxLevel) {
        raw = tessera_s2_cell_id(point.lat, point.lng, Int32(clamping: level))
    }

    /// The lowest set bit, which marks the level.
    private var lowestBit: UInt64 { raw & (~raw &+ 1) }

    /// The cell's level.
    public var level: Int {
        guard raw != 0 else { return 0 }
        return Self.maxLevel - raw.trailingZeroBitCount / 2
    }

    /// The first leaf id inside the cell.
    public var rangeMin: UInt64 { raw &- (lowestBit &- 1) }
    /// The last leaf id inside the cell.
    public var rangeMax: UInt64 { raw &+ (lowestBit &- 1) }

    /// The ancestor at `level` (the cell itself when `level` is not coarser).
    public func parent(_ level: Int) -> S2CellID {
        guard level < self.level, level >= 0 else { return self }
        let bit = UInt64(1) << UInt64(2 * (Self.maxLevel - level))
        return S2CellID(raw: (raw & (~bit &+ 1)) | bit)
    }

    /// The cell's centre.
    public var center: GeoPoint {
        var lat = 0.0
        var lng = 0.0
        tessera_s2_cell_center(raw, &lat, &lng)
        return GeoPoint(lng: lng, lat: lat)
    }

    /// The id as a 2dsphere index key: its bits as a signed 64-bit integer, as MongoDB stores
    /// it (ids of one face never cross the sign change, so each cell's range stays ordered).
    public var indexKey: Int64 { Int64(bitPattern: raw) }

    public static func < (a: S2CellID, b: S2CellID) -> Bool { a.raw < b.raw }
}

/// A region of the sphere held by libs2: a point, polyline, polygon, cap or collection.
/// Immutable; libs2's queries on it are safe from several threads, hence `@unchecked`.
public final class S2Region: @unchecked Sendable {
    let handle: OpaquePointer
    /// A collection's members, which its handle borrows.
    private let members: [S2Region]

    private init(_ handle: OpaquePointer, members: [S2Region] = []) {
        self.handle = handle
        self.members = members
    }

    deinit { tessera_s2_region_free(handle) }

    /// A point.
    public static func point(_ point: GeoPoint) -> S2Region {
        S2Region(tessera_s2_point_new(point.lat, point.lng))
    }

    /// The cap of points within `radians` of `center`.
    public static func cap(center: GeoPoint, radians: Double) -> S2Region {
        S2Region(tessera_s2_cap_new(center.lat, center.lng, radians))
    }

    /// A polyline through `points`, or libs2's reason it is invalid.
    public static func polyline(_ points: [GeoPoint]) -> Result<S2Region, GeoError> {
        let coordinates = points.flatMap { [$0.lat, $0.lng] }
        return make { error, size in
            tessera_s2_polyline_new(coordinates, Int32(clamping: points.count), error, size)
        }
    }

    /// A polygon of rings (shell first, then holes), each without its closing vertex, or
    /// libs2's reason it is invalid.
    public static func polygon(_ rings: [[GeoPoint]]) -> Result<S2Region, GeoError> {
        let coordinates = rings.flatMap { $0.flatMap { [$0.lat, $0.lng] } }
        let sizes = rings.map { Int32(clamping: $0.count) }
        return make { error, size in
            tessera_s2_polygon_new(coordinates, sizes, Int32(clamping: rings.count), error, size)
        }
    }

    /// A collection of regions: it holds what any member holds.
    public static func collection(_ members: [S2Region]) -> S2Region {
        let handles: [OpaquePointer?] = members.map(\.handle)
        return S2Region(tessera_s2_collection_new(handles, Int32(clamping: handles.count)), members: members)
    }

    private static func make(
        _ build: (UnsafeMutablePointer<CChar>, Int) -> OpaquePointer?
    ) -> Result<S2Region, GeoError> {
        var buffer = [CChar](repeating: 0, count: 512)
        let handle = buffer.withUnsafeMutableBufferPointer { pointer -> OpaquePointer? in
            guard let base = pointer.baseAddress else { return nil }
            return build(base, pointer.count)
        }
        guard let handle else {
            let message = buffer.withUnsafeBufferPointer { pointer in
                String(decoding: pointer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            return .failure(GeoError(message))
        }
        return .success(S2Region(handle))
    }

    /// Cells covering the region between `minLevel` and `maxLevel`, about `maxCells` of them
    /// (a point: its one cell at `maxLevel`), sorted and without overlaps.
    public func covering(minLevel: Int, maxLevel: Int, maxCells: Int) -> [S2CellID] {
        Self.cells { buffer, capacity in
            tessera_s2_cover(handle, Int32(clamping: minLevel), Int32(clamping: maxLevel), Int32(clamping: maxCells),
                             buffer, capacity)
        }
    }

    /// Cells covering the points between `inner` and `outer` radians from `center`.
    public static func annulusCovering(center: GeoPoint, inner: Double, outer: Double, maxLevel: Int, maxCells: Int)
        -> [S2CellID] {
        cells { buffer, capacity in
            tessera_s2_cover_annulus(center.lat, center.lng, inner, outer, Int32(clamping: maxLevel),
                                     Int32(clamping: maxCells), buffer, capacity)
        }
    }

    private static func cells(_ fill: (UnsafeMutablePointer<UInt64>?, Int32) -> Int32) -> [S2CellID] {
        var capacity: Int32 = 64
        while true {
            var buffer = [UInt64](repeating: 0, count: Int(capacity))
            let count = buffer.withUnsafeMutableBufferPointer { fill($0.baseAddress, capacity) }
            if count <= capacity { return buffer.prefix(Int(count)).map(S2CellID.init(raw:)) }
            capacity = count
        }
    }

    /// Whether the region holds all of `other`.
    public func contains(_ other: S2Region) -> Bool { tessera_s2_contains(handle, other.handle) != 0 }

    /// Whether the regions share a point.
    public func intersects(_ other: S2Region) -> Bool { tessera_s2_intersects(handle, other.handle) != 0 }

    /// The least angle from `point` to the region, in radians (0 inside it).
    public func distance(to point: GeoPoint) -> Double { tessera_s2_distance(handle, point.lat, point.lng) }
}
