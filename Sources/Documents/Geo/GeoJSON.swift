// GeoJSON: the geometries MongoDB reads from documents and queries — GeoJSON objects (Point,
// LineString, Polygon with holes, Multi*, GeometryCollection) and legacy coordinate pairs —
// parsed and checked with MongoDB's messages, and turned into S2 regions on the sphere.

public import BSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A position on the sphere in degrees (GeoJSON order: longitude first).
public struct GeoPoint: Sendable, Hashable {
    /// Longitude in degrees, -180...180.
    public var lng: Double
    /// Latitude in degrees, -90...90.
    public var lat: Double

    /// The point at `lng`, `lat`.
    public init(lng: Double, lat: Double) { (self.lng, self.lat) = (lng, lat) }

    /// The angle in radians between two points on the unit sphere (stable for small and
    /// antipodal distances: atan2 of the cross and dot products of their unit vectors).
    public func angle(to other: GeoPoint) -> Double {
        let (x1, y1, z1) = unitVector
        let (x2, y2, z2) = other.unitVector
        let cx = y1 * z2 - z1 * y2, cy = z1 * x2 - x1 * z2, cz = x1 * y2 - y1 * x2
        let cross = (cx * cx + cy * cy + cz * cz).squareRoot()
        return atan2(cross, x1 * x2 + y1 * y2 + z1 * z2)
    }

    private var unitVector: (Double, Double, Double) {
        let phi = lat * .pi / 180, theta = lng * .pi / 180
        return (cos(phi) * cos(theta), cos(phi) * sin(theta), sin(phi))
    }
}

/// Why a geometry is not valid GeoJSON or not a legacy point: MongoDB's message.
public struct GeoError: Error, Sendable {
    /// The message, as MongoDB words it.
    public let message: String

    init(_ message: String) { self.message = message }
}

/// A parsed geometry and its region on the sphere.
public struct Geometry: Sendable {
    /// What the geometry is.
    public enum Kind: Sendable, Equatable {
        case point, lineString, polygon, multiPoint, multiLineString, multiPolygon, collection
    }

    /// The geometry's type.
    public let kind: Kind
    /// Its points when it is a point (one) or a multipoint; empty otherwise.
    public let points: [GeoPoint]
    /// Whether it came as a legacy coordinate pair rather than GeoJSON.
    public let isLegacy: Bool
    /// The region it covers.
    public let region: S2Region

    /// The single point of a point geometry.
    public var point: GeoPoint? { kind == .point ? points.first : nil }
}

/// MongoDB's GeoJSON and legacy-point parsing.
public enum GeoJSON {
    /// A GeoJSON object (a document with `type`) or a legacy pair (`[x, y]` or a document of
    /// two numbers), as a 2dsphere index reads a field.
    public static func parseIndexable(_ value: BSONValue) -> Result<Geometry, GeoError> {
        if case let .document(object) = value, object["type"] != nil { return parseObject(object) }
        if let point = legacyPoint(value) {
            return validated(point).map { Geometry(kind: .point, points: [$0], isLegacy: true, region: .point($0)) }
        }
        return .failure(GeoError("geo element must be an array or object: \(value.extendedJSON())"))
    }

    /// A legacy coordinate pair: an array or document whose first two values are numbers
    /// (`x` is the longitude); `nil` otherwise. Not checked against the sphere's bounds.
    public static func legacyPoint(_ value: BSONValue) -> GeoPoint? {
        let values: [BSONValue]
        switch value {
        case let .array(elements): values = Array(elements.prefix(2))
        case let .document(object): values = object.elements.prefix(2).map(\.value)
        default: return nil
        }
        guard values.count == 2, let x = number(values[0]), let y = number(values[1]) else { return nil }
        return GeoPoint(lng: x, lat: y)
    }

    /// A GeoJSON object.
    public static func parseObject(_ object: BSONDocument) -> Result<Geometry, GeoError> {
        do {
            return .success(try geometry(object))
        } catch {
            return .failure(error)
        }
    }

    private static func geometry(_ object: BSONDocument) throws(GeoError) -> Geometry {
        guard case let .string(type)? = object["type"] else {
            throw GeoError("unknown GeoJSON type: \(BSONValue.document(object).extendedJSON())")
        }
        if type == "GeometryCollection" {
            guard case let .array(elements)? = object["geometries"] else {
                throw GeoError("GeometryCollection geometries must be an array")
            }
            var members: [Geometry] = []
            for element in elements {
                guard case let .document(member) = element else {
                    throw GeoError("Element \(members.count) of \"geometries\" is not an object")
                }
                members.append(try geometry(member))
            }
            guard !members.isEmpty else { throw GeoError("GeometryCollection has no geometries") }
            return Geometry(kind: .collection, points: [], isLegacy: false, region: .collection(members.map(\.region)))
        }
        guard case let .array(coordinates)? = object["coordinates"] else {
            throw GeoError("coordinates must be an array")
        }
        switch type {
        case "Point":
            let point = try position(.array(coordinates), what: "Point")
            return Geometry(kind: .point, points: [point], isLegacy: false, region: .point(point))
        case "MultiPoint":
            guard !coordinates.isEmpty else { throw GeoError("MultiPoint coordinates must have at least 1 element") }
            var points: [GeoPoint] = []
            for element in coordinates { points.append(try position(element, what: "MultiPoint")) }
            return Geometry(kind: .multiPoint, points: points, isLegacy: false,
                            region: .collection(points.map(S2Region.point)))
        case "LineString":
            return Geometry(kind: .lineString, points: [], isLegacy: false, region: try line(coordinates))
        case "MultiLineString":
            let lines = try members(coordinates, type: type, notArray: "MultiLineString coordinates must be arrays", line)
            return Geometry(kind: .multiLineString, points: [], isLegacy: false, region: lines)
        case "Polygon":
            return Geometry(kind: .polygon, points: [], isLegacy: false, region: try polygon(coordinates))
        case "MultiPolygon":
            let polygons = try members(coordinates, type: type, notArray: "Polygon coordinates must be an array", polygon)
            return Geometry(kind: .multiPolygon, points: [], isLegacy: false, region: polygons)
        default:
            throw GeoError("unknown GeoJSON type: \(BSONValue.document(object).extendedJSON())")
        }
    }

    /// A Multi* geometry's region: the collection of its members, each an array `build` reads.
    private static func members(
        _ coordinates: [BSONValue], type: String, notArray: String,
        _ build: ([BSONValue]) throws(GeoError) -> S2Region
    ) throws(GeoError) -> S2Region {
        guard !coordinates.isEmpty else { throw GeoError("\(type) coordinates must have at least 1 element") }
        var regions: [S2Region] = []
        for element in coordinates {
            guard case let .array(member) = element else { throw GeoError(notArray) }
            regions.append(try build(member))
        }
        return .collection(regions)
    }

    /// One GeoJSON position: two numbers within the sphere's bounds.
    private static func position(_ value: BSONValue, what: String) throws(GeoError) -> GeoPoint {
        guard case let .array(elements) = value else { throw GeoError("\(what) coordinates must be an array") }
        let numbers = elements.compactMap(number)
        guard numbers.count == elements.count else { throw GeoError("\(what) must only contain numeric elements") }
        guard numbers.count == 2 else { throw GeoError("\(what) must only contain two numeric elements") }
        return try validated(GeoPoint(lng: numbers[0], lat: numbers[1])).get()
    }

    private static func validated(_ point: GeoPoint) -> Result<GeoPoint, GeoError> {
        guard abs(point.lng) <= 180, abs(point.lat) <= 90 else {
            return .failure(GeoError("longitude/latitude is out of bounds, lng: \(format(point.lng)) lat: \(format(point.lat))"))
        }
        return .success(point)
    }

    private static func line(_ coordinates: [BSONValue]) throws(GeoError) -> S2Region {
        var points: [GeoPoint] = []
        for element in coordinates { points.append(try position(element, what: "LineString")) }
        points = withoutRepeats(points)
        guard points.count >= 2 else { throw GeoError("GeoJSON LineString must have at least 2 vertices") }
        return try S2Region.polyline(points).mapError { GeoError("GeoJSON LineString is not valid: \($0.message)") }.get()
    }

    private static func polygon(_ rings: [BSONValue]) throws(GeoError) -> S2Region {
        guard !rings.isEmpty else { throw GeoError("Polygon has no loops.") }
        var loops: [[GeoPoint]] = []
        for ring in rings {
            guard case let .array(positions) = ring else { throw GeoError("Polygon coordinates must be an array") }
            var points: [GeoPoint] = []
            for element in positions { points.append(try position(element, what: "Polygon")) }
            guard points.count >= 4 else {
                throw GeoError("Loop must have at least 4 vertices: \(BSONValue.array(positions).extendedJSON())")
            }
            guard points.first == points.last else {
                throw GeoError("Loop is not closed, first vertex does not equal last vertex: "
                    + BSONValue.array(positions).extendedJSON())
            }
            points.removeLast()
            points = withoutRepeats(points)
            guard Set(points).count >= 3 else {
                throw GeoError("Loop must have at least 3 different vertices: \(BSONValue.array(positions).extendedJSON())")
            }
            loops.append(points)
        }
        return try S2Region.polygon(loops).get()
    }

    /// Points without consecutive repeats (MongoDB drops them before building loops and lines).
    private static func withoutRepeats(_ points: [GeoPoint]) -> [GeoPoint] {
        var result: [GeoPoint] = []
        for point in points where result.last != point { result.append(point) }
        return result
    }

    /// A finite double of a BSON number, or `nil`.
    static func number(_ value: BSONValue) -> Double? {
        let number: Double?
        switch value {
        case let .decimal128(decimal): number = decimal.doubleValue
        default: number = value.doubleValue
        }
        return number.flatMap { $0.isNaN ? nil : $0 }
    }

    private static func format(_ value: Double) -> String {
        ClientNumber.exactInteger(.double(value)).map { String($0) } ?? String(value)
    }
}
