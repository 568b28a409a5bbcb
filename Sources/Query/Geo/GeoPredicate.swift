// GeoPredicate and NearPredicate: the parsed forms of `$geoWithin` (`$geometry`,
// `$centerSphere`, `$box`, `$polygon`, `$center`), `$geoIntersects` and `$near`/`$nearSphere`,
// with MongoDB's parsing errors (BadValue, 2), and how a stored value matches them: spherical
// shapes through S2, legacy flat shapes on the plane of coordinates.

public import BSON
public import Documents

/// The region a `$geoWithin` or `$geoIntersects` tests against.
public enum GeoQueryShape: Sendable {
    /// A region of the sphere: a GeoJSON `$geometry` or a `$centerSphere` cap.
    case sphere(S2Region)
    /// A flat box between two corners (`$box`), in coordinate units.
    case box(minX: Double, minY: Double, maxX: Double, maxY: Double)
    /// A flat disc (`$center`), in coordinate units.
    case disc(center: GeoPoint, radius: Double)
    /// A flat polygon (`$polygon`), its vertices in order.
    case polygon([GeoPoint])
}

/// `$geoWithin` or `$geoIntersects` on a path.
public struct GeoPredicate: Sendable {
    /// Which relation the stored geometry must have with the shape.
    public enum Relation: Sendable {
        /// `$geoWithin`: inside the shape.
        case within
        /// `$geoIntersects`: sharing a point with it.
        case intersects
    }

    /// The relation tested.
    public let relation: Relation
    /// The shape tested against.
    public let shape: GeoQueryShape

    /// Whether a 2dsphere index can find the candidates (a region of the sphere).
    public var sphereRegion: S2Region? {
        if case let .sphere(region) = shape { return region }
        return nil
    }

    /// Whether one reached value (a GeoJSON object or legacy point) satisfies the predicate.
    public func matches(_ value: BSONValue?) -> Bool {
        guard let value else { return false }
        switch value {
        case .array, .document: break
        default: return false
        }
        switch shape {
        case let .sphere(region):
            guard case let .success(geometry) = GeoJSON.parseIndexable(value) else { return false }
            switch relation {
            case .within: return region.contains(geometry.region)
            case .intersects: return region.intersects(geometry.region)
            }
        case let .box(minX, minY, maxX, maxY):
            guard let point = Self.flatPoint(value) else { return false }
            return point.lng >= minX && point.lng <= maxX && point.lat >= minY && point.lat <= maxY
        case let .disc(center, radius):
            guard let point = Self.flatPoint(value) else { return false }
            let dx = point.lng - center.lng, dy = point.lat - center.lat
            return (dx * dx + dy * dy).squareRoot() <= radius
        case let .polygon(vertices):
            guard let point = Self.flatPoint(value) else { return false }
            return FlatPolygon.contains(vertices, point)
        }
    }

    /// A stored point read on the plane: a legacy pair or a GeoJSON Point's coordinates.
    private static func flatPoint(_ value: BSONValue) -> GeoPoint? {
        if case let .document(object) = value, object["type"] != nil {
            guard case let .success(geometry) = GeoJSON.parseObject(object) else { return nil }
            return geometry.point
        }
        return GeoJSON.legacyPoint(value)
    }

    /// Parses `$geoWithin` (`$within`) or `$geoIntersects`'s argument.
    ///
    /// - Throws: `BadValue` (2) for anything but one of the shapes each operator takes.
    static func parse(_ key: String, _ value: BSONValue) throws(MongoError) -> GeoPredicate {
        guard case let .document(argument) = value, let first = argument.elements.first else {
            throw MongoError(.badValue, "\(key) argument must be an object with a shape")
        }
        let relation: Relation = key == "$geoIntersects" ? .intersects : .within
        if relation == .intersects && first.key != "$geometry" {
            throw MongoError(.badValue, "$geoIntersects not supported with provided geometry: \(value.extendedJSON())")
        }
        switch first.key {
        case "$geometry":
            guard case let .document(object) = first.value else {
                throw MongoError(.badValue, "$geometry must be a GeoJSON object: \(first.value.extendedJSON())")
            }
            let geometry = try GeoQueryParsing.geometry(object)
            if relation == .within, geometry.kind != .polygon, geometry.kind != .multiPolygon {
                throw MongoError(.badValue, "$geoWithin not supported with provided geometry: \(value.extendedJSON())")
            }
            return GeoPredicate(relation: relation, shape: .sphere(geometry.region))
        case "$centerSphere":
            let (center, radius) = try GeoQueryParsing.circle(first.value, name: "$centerSphere")
            guard abs(center.lng) <= 180, abs(center.lat) <= 90 else {
                throw MongoError(.badValue, "longitude/latitude is out of bounds, lng: \(center.lng) lat: \(center.lat)")
            }
            return GeoPredicate(relation: .within, shape: .sphere(.cap(center: center, radians: radius)))
        case "$center":
            let (center, radius) = try GeoQueryParsing.circle(first.value, name: "$center")
            return GeoPredicate(relation: .within, shape: .disc(center: center, radius: radius))
        case "$box":
            guard case let .array(corners) = first.value, corners.count == 2,
                  let low = GeoJSON.legacyPoint(corners[0]), let high = GeoJSON.legacyPoint(corners[1])
            else { throw MongoError(.badValue, "Point must only contain numeric elements") }
            return GeoPredicate(relation: .within, shape: .box(minX: min(low.lng, high.lng), minY: min(low.lat, high.lat),
                                                               maxX: max(low.lng, high.lng), maxY: max(low.lat, high.lat)))
        case "$polygon":
            guard case let .array(elements) = first.value else {
                throw MongoError(.badValue, "Polygon must be an array of points")
            }
            var vertices: [GeoPoint] = []
            for element in elements {
                guard let point = GeoJSON.legacyPoint(element) else {
                    throw MongoError(.badValue, "Point must only contain numeric elements")
                }
                vertices.append(point)
            }
            guard vertices.count >= 3 else { throw MongoError(.badValue, "Polygon must have at least 3 points") }
            return GeoPredicate(relation: .within, shape: .polygon(vertices))
        default:
            throw MongoError(.badValue, "unknown geo specifier: \(first.key): \(first.value.extendedJSON())")
        }
    }
}

/// `$near`, `$nearSphere` (and the path operator `$geoNear`): documents in order of distance
/// from a point, within `[minDistance, maxDistance]`.
public struct NearPredicate: Sendable {
    /// The point distances are measured from.
    public let center: GeoPoint
    /// Whether the point was GeoJSON: distances in meters; legacy pairs use radians.
    public let inMeters: Bool
    /// Whether distances are on the sphere: `$nearSphere` or a GeoJSON point (a legacy `$near`
    /// through a 2d index measures on the plane).
    public let isSphere: Bool
    /// The least distance, in radians on the sphere.
    public let minRadians: Double
    /// The greatest distance, in radians on the sphere (`.infinity`: none).
    public let maxRadians: Double

    /// The distance reported for `radians`: meters for a GeoJSON point, radians otherwise.
    public func reported(_ radians: Double) -> Double { inMeters ? radians * earthRadiusMeters : radians }

    /// A near search from `center`; `minDistance`/`maxDistance` in the point's units.
    init(center: GeoPoint, inMeters: Bool, isSphere: Bool, minDistance: Double?, maxDistance: Double?) {
        self.center = center
        self.inMeters = inMeters
        self.isSphere = isSphere || inMeters
        let scale = inMeters ? earthRadiusMeters : 1
        minRadians = (minDistance ?? 0) / scale
        maxRadians = maxDistance.map { $0 / scale } ?? .infinity
    }

    /// Parses a path's operator document holding `$near`, `$nearSphere` or `$geoNear` and its
    /// `$minDistance`/`$maxDistance` siblings.
    ///
    /// - Throws: `BadValue` (2) for a point that is neither a GeoJSON Point nor a legacy pair,
    ///   a negative or non-numeric distance, or an unknown sibling.
    static func parse(_ operators: BSONDocument) throws(MongoError) -> NearPredicate {
        var point: (GeoPoint, Bool)?
        var isSphere = false
        var minDistance: Double?
        var maxDistance: Double?
        for (key, value) in operators.elements {
            switch key {
            case "$near", "$nearSphere", "$geoNear":
                guard point == nil else { throw MongoError(.badValue, "Only one $near/$nearSphere in a path") }
                isSphere = key == "$nearSphere"
                if case let .document(object) = value, let geometry = object["$geometry"] {
                    guard case let .document(geoJSON) = geometry else {
                        throw MongoError(.badValue, "$geometry must be a GeoJSON Point")
                    }
                    let parsed = try GeoQueryParsing.geometry(geoJSON)
                    guard let center = parsed.point else {
                        throw MongoError(.badValue, "$near requires a point, given \(geometry.extendedJSON())")
                    }
                    point = (center, true)
                    for (option, number) in object.elements where option != "$geometry" {
                        switch option {
                        case "$minDistance": minDistance = try distance(option, number)
                        case "$maxDistance": maxDistance = try distance(option, number)
                        default: throw MongoError(.badValue, "invalid argument in geo near query: \(option)")
                        }
                    }
                } else if let legacy = GeoJSON.legacyPoint(value) {
                    point = (legacy, false)
                } else {
                    throw MongoError(.badValue, "invalid point in geo near query \(value.extendedJSON())")
                }
            case "$minDistance": minDistance = try distance(key, value)
            case "$maxDistance": maxDistance = try distance(key, value)
            default:
                throw MongoError(.badValue, "invalid argument in geo near query: \(key)")
            }
        }
        guard let (center, inMeters) = point else { throw MongoError(.badValue, "$near requires a point") }
        guard abs(center.lng) <= 180, abs(center.lat) <= 90 else {
            throw MongoError(.badValue, "longitude/latitude is out of bounds, lng: \(center.lng) lat: \(center.lat)")
        }
        return NearPredicate(center: center, inMeters: inMeters, isSphere: isSphere, minDistance: minDistance,
                             maxDistance: maxDistance)
    }

    static func distance(_ name: String, _ value: BSONValue) throws(MongoError) -> Double {
        guard let number = GeoQueryParsing.number(value) else { throw MongoError(.badValue, "\(name) must be a number") }
        guard number >= 0 else { throw MongoError(.badValue, "\(name) must be non-negative") }
        return number
    }
}

/// Shared pieces of geo operator parsing.
enum GeoQueryParsing {
    /// A GeoJSON geometry of a query, or BadValue (2) with MongoDB's reason.
    static func geometry(_ object: BSONDocument) throws(MongoError) -> Geometry {
        switch GeoJSON.parseObject(object) {
        case let .success(geometry): return geometry
        case let .failure(error): throw MongoError(.badValue, error.message)
        }
    }

    /// `[[x, y], r]` of `$center`/`$centerSphere`.
    static func circle(_ value: BSONValue, name: String) throws(MongoError) -> (GeoPoint, Double) {
        guard case let .array(parts) = value, parts.count == 2, let center = GeoJSON.legacyPoint(parts[0]) else {
            throw MongoError(.badValue, "\(name) must be an array of a point and a radius: \(value.extendedJSON())")
        }
        guard let radius = number(parts[1]), radius >= 0, radius.isFinite || name == "$center" else {
            throw MongoError(.badValue, "radius must be a non-negative number")
        }
        return (center, radius)
    }

    /// A number's double value (NaN refused).
    static func number(_ value: BSONValue) -> Double? {
        switch value {
        case let .decimal128(decimal): decimal.doubleValue.isNaN ? nil : decimal.doubleValue
        case .int32, .int64, .double: value.doubleValue.flatMap { $0.isNaN ? nil : $0 }
        default: nil
        }
    }
}

/// Point-in-polygon on the plane (legacy `$polygon`): boundary points are inside.
enum FlatPolygon {
    static func contains(_ vertices: [GeoPoint], _ point: GeoPoint) -> Bool {
        var inside = false
        guard var previous = vertices.last else { return false }
        for vertex in vertices {
            if onSegment(previous, vertex, point) { return true }
            if (vertex.lat > point.lat) != (previous.lat > point.lat) {
                let crossing = (previous.lng - vertex.lng) * (point.lat - vertex.lat) / (previous.lat - vertex.lat) + vertex.lng
                if point.lng < crossing { inside.toggle() }
            }
            previous = vertex
        }
        return inside
    }

    private static func onSegment(_ a: GeoPoint, _ b: GeoPoint, _ p: GeoPoint) -> Bool {
        let cross = (b.lng - a.lng) * (p.lat - a.lat) - (b.lat - a.lat) * (p.lng - a.lng)
        guard abs(cross) <= 1e-12 else { return false }
        return p.lng >= min(a.lng, b.lng) && p.lng <= max(a.lng, b.lng) && p.lat >= min(a.lat, b.lat)
            && p.lat <= max(a.lat, b.lat)
    }
}
