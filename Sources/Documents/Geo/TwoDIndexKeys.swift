// TwoDIndexKeys: `2d` indexes (`{loc: "2d"}`, `{loc: "2d", club: 1}`) for flat legacy points —
// MongoDB's pattern rules (16800, 16801) and options (`bits`, `min`, `max`), the geohash of a
// point (x and y scaled to 32 bits and interleaved, x first, cut to `bits` levels) with
// MongoDB's key errors (13067, 13068, 13026, 13027), and coverings of flat boxes as ranges of
// geohashes. Keys are the hash with its top bit flipped, so signed order is geohash order.

public import BSON

/// A 2d index's grid: how many levels of halving (`bits`) over which square (`min`...`max`).
public struct TwoDParameters: Sendable, Hashable {
    /// The key pattern value naming a 2d field.
    public static let plugin = "2d"
    /// Levels of halving a key keeps (1...32; MongoDB's default 26).
    public let bits: Int
    /// The least coordinate.
    public let min: Double
    /// The greatest coordinate.
    public let max: Double

    /// MongoDB's defaults: 26 bits over [-180, 180].
    public static let standard = TwoDParameters(bits: 26, min: -180, max: 180)

    private init(bits: Int, min: Double, max: Double) {
        self.bits = bits
        self.min = min
        self.max = max
    }

    /// The parameters of a stored index's options (validated when it was created).
    public init(options: BSONDocument) {
        self = (try? Self.parse(options)) ?? .standard
    }

    /// The parameters `options` gives, with MongoDB's checks.
    ///
    /// - Throws: `InvalidOptions` (72) for bits outside 1...32, a non-number, or `min >= max`.
    static func parse(_ options: BSONDocument) throws(MongoError) -> TwoDParameters {
        func number(_ name: String, _ fallback: Double) throws(MongoError) -> Double {
            guard let value = options[name] else { return fallback }
            guard let number = GeoJSON.number(value), number.isFinite else {
                throw MongoError(.invalidOptions, "\(name) must be a number, got \(value.extendedJSON())")
            }
            return number
        }
        let bits = try number("bits", 26)
        guard bits >= 1, bits <= 32, let whole = Int(exactly: bits.rounded(.towardZero)) else {
            throw MongoError(.invalidOptions, "bits for hash must be > 0 and <= 32, but \(bits) bits were specified")
        }
        let parameters = TwoDParameters(bits: whole, min: try number("min", -180), max: try number("max", 180))
        guard parameters.min < parameters.max else {
            throw MongoError(.invalidOptions, "region for hash must be valid and have positive area, but "
                + "[\(parameters.min), \(parameters.max)] was specified")
        }
        return parameters
    }

    /// Hash-scale units per coordinate unit (the square is 2^32 units wide).
    private var scaling: Double { 4_294_967_296.0 / (max - min) }

    /// A coordinate on the 32-bit grid (`max` itself lands in the last cell).
    private func scaled(_ value: Double) -> UInt32 {
        let units = ((value - min) * scaling).rounded(.down)
        return UInt32(exactly: Swift.min(Swift.max(units, 0), 4_294_967_295.0)) ?? 0
    }

    /// Whether a point lies in the index's square (MongoDB's bounds are inclusive).
    public func holds(_ point: GeoPoint) -> Bool {
        point.lng >= min && point.lng <= max && point.lat >= min && point.lat <= max
    }

    /// The index key of a point in the square.
    public func key(of point: GeoPoint) -> Int64 {
        let hash = Self.interleave(scaled(point.lng), scaled(point.lat)) & Self.prefixMask(bits)
        return Int64(bitPattern: hash ^ (1 << 63))
    }

    /// The lower-left corner of a key's cell, and the cell's side, in coordinates.
    public func cell(ofKey key: Int64) -> (corner: GeoPoint, side: Double) {
        let hash = UInt64(bitPattern: key) ^ (1 << 63)
        var x: UInt32 = 0
        var y: UInt32 = 0
        for bit in 0..<32 {
            x |= UInt32(truncatingIfNeeded: (hash >> UInt64(63 - 2 * bit)) & 1) << UInt32(31 - bit)
            y |= UInt32(truncatingIfNeeded: (hash >> UInt64(62 - 2 * bit)) & 1) << UInt32(31 - bit)
        }
        let side = (max - min) / Double(UInt64(1) << UInt64(bits))
        return (GeoPoint(lng: Double(x) / scaling + min, lat: Double(y) / scaling + min), side)
    }

    /// The key intervals (lowest, highest key) of cells covering the box, at most about
    /// `maxCells` of them: cells wholly inside it whole, the others split while the budget lasts.
    public func covering(minX: Double, minY: Double, maxX: Double, maxY: Double, maxCells: Int) -> [(Int64, Int64)] {
        guard minX <= maxX, minY <= maxY, maxX >= min, maxY >= min, minX <= max, minY <= max else { return [] }
        let box = (Double(scaled(minX)), Double(scaled(minY)), Double(scaled(maxX)), Double(scaled(maxY)))
        var whole: [(UInt64, Int)] = []
        var partial: [(UInt64, Int)] = [(0, 0)]
        for level in 0..<bits {
            var next: [(UInt64, Int)] = []
            for (prefix, _) in partial {
                for child in UInt64(0)..<4 {
                    let cell = (prefix << 2) | child
                    let side = Double(UInt64(1) << UInt64(32 - level - 1))
                    let (cx, cy) = Self.deinterleave(cell, level: level + 1)
                    let (x0, y0) = (Double(cx) * side, Double(cy) * side)
                    let (x1, y1) = (x0 + side - 1, y0 + side - 1)
                    guard x1 >= box.0, x0 <= box.2, y1 >= box.1, y0 <= box.3 else { continue }
                    if x0 >= box.0, x1 <= box.2, y0 >= box.1, y1 <= box.3 {
                        whole.append((cell, level + 1))
                    } else {
                        next.append((cell, level + 1))
                    }
                }
            }
            if whole.count + 4 * next.count > maxCells || next.isEmpty {
                partial = next
                break
            }
            partial = next
        }
        return (whole + partial).map { cell, level in
            let shift = UInt64(64 - 2 * level)
            let low = level == 0 ? 0 : cell << shift
            let high = level == 0 ? UInt64.max : low | ((UInt64(1) << shift) &- 1)
            return (Int64(bitPattern: low ^ (1 << 63)), Int64(bitPattern: high ^ (1 << 63)))
        }.sorted { $0.0 < $1.0 }
    }

    /// The top `2 * bits` bits.
    private static func prefixMask(_ bits: Int) -> UInt64 {
        bits >= 32 ? .max : ~((UInt64(1) << UInt64(64 - 2 * bits)) &- 1)
    }

    /// x's bits at the odd positions from the top, y's after each.
    private static func interleave(_ x: UInt32, _ y: UInt32) -> UInt64 {
        var hash: UInt64 = 0
        for bit in 0..<32 {
            hash |= UInt64((x >> UInt32(31 - bit)) & 1) << UInt64(63 - 2 * bit)
            hash |= UInt64((y >> UInt32(31 - bit)) & 1) << UInt64(62 - 2 * bit)
        }
        return hash
    }

    /// A `level`-level cell prefix's x and y indexes.
    private static func deinterleave(_ cell: UInt64, level: Int) -> (UInt64, UInt64) {
        var x: UInt64 = 0
        var y: UInt64 = 0
        for bit in 0..<level {
            let pair = (cell >> UInt64(2 * (level - 1 - bit))) & 3
            x = (x << 1) | (pair >> 1)
            y = (y << 1) | (pair & 1)
        }
        return (x, y)
    }

    /// The 2d keys of one field value: one per legacy point (an array of points gives one per
    /// point); none for null.
    ///
    /// - Throws: MongoDB's 13067 (empty), 13068 (one element), 13026 (not numbers), 13027
    ///   (outside the square).
    func keys(of value: BSONValue) throws(MongoError) -> [Int64] {
        if case .null = value { return [] }
        if case let .array(elements) = value, let first = elements.first, first.documentValue != nil || first.arrayValue != nil {
            var keys: [Int64] = []
            for element in elements { keys.append(contentsOf: try self.keys(of: element)) }
            return keys
        }
        let values: [BSONValue]
        switch value {
        case let .array(elements): values = elements
        case let .document(object): values = object.elements.map(\.value)
        default:
            throw MongoError(MongoError.Code(13026, "Location13026"),
                             "geo values must be 'legacy coordinate pairs' for 2d indexes")
        }
        guard !values.isEmpty else { throw MongoError(MongoError.Code(13067, "Location13067"), "geo field is empty") }
        guard values.count >= 2 else {
            throw MongoError(MongoError.Code(13068, "Location13068"), "geo field only has 1 element")
        }
        guard let x = GeoJSON.number(values[0]), let y = GeoJSON.number(values[1]) else {
            throw MongoError(MongoError.Code(13026, "Location13026"),
                             "geo values must be 'legacy coordinate pairs' for 2d indexes")
        }
        let point = GeoPoint(lng: x, lat: y)
        guard holds(point) else {
            throw MongoError(MongoError.Code(13027, "Location13027"), "point not in interval of [ \(min), \(max) ]")
        }
        return [key(of: point)]
    }
}

/// MongoDB's rules for 2d key patterns.
enum TwoDIndexRules {
    /// Checks a 2d pattern: one 2d field, and it comes first.
    ///
    /// - Throws: 16800 for two 2d fields, 16801 when another field precedes it.
    static func validate(_ key: BSONDocument) throws(MongoError) {
        var seenGeo = false
        for (position, element) in key.elements.enumerated() where element.value.stringValue == TwoDParameters.plugin {
            if seenGeo { throw MongoError(MongoError.Code(16800, "Location16800"), "can't have 2 geo fields") }
            if position != 0 { throw MongoError(MongoError.Code(16801, "Location16801"), "2d has to be first in index") }
            seenGeo = true
        }
    }

    /// The fields of a stored pattern with the 2d field's grid from its options.
    static func withParameters(_ fields: [IndexKeyField], options: BSONDocument) -> [IndexKeyField] {
        fields.map { field in
            guard field.flat != nil else { return field }
            var field = field
            field.flat = TwoDParameters(options: options)
            return field
        }
    }
}

extension IndexKeyField {
    /// The field with MongoDB's default 2d grid when `isFlat` (the index's options may
    /// change it: ``TwoDIndexRules/withParameters(_:options:)``).
    func flatGrid(if isFlat: Bool) -> IndexKeyField {
        guard isFlat else { return self }
        var field = self
        field.flat = .standard
        return field
    }
}
