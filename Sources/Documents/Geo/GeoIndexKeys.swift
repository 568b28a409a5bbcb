// GeoIndexKeys: 2dsphere indexes (`{loc: "2dsphere"}`, compound ones like `{loc: "2dsphere",
// club: 1}`) — MongoDB's 2dsphere index version 3 rules and key generation: a point's key is
// its leaf S2 cell (level 30), any other geometry's keys are the cells of its covering between
// the coarsest and finest indexed levels; other fields get ordinary keys, crossed with the
// cells. A document without the geo field is not indexed; invalid GeoJSON is refused (16755).

public import BSON

/// MongoDB's 2dsphere index parameters (index version 3 defaults) and pattern rules.
public enum GeoIndexRules {
    /// The key pattern value naming a 2dsphere field.
    public static let plugin = "2dsphere"
    /// The 2dsphere index version Tessera writes (MongoDB's default since 3.2).
    static let indexVersion: Int32 = 3
    /// The level points are indexed at (S2's leaf cells).
    public static let pointLevel = S2CellID.maxLevel
    /// The finest level of other geometries' coverings: S2's level closest to 110 m.
    public static let finestLevel = 16
    /// The coarsest level of coverings: S2's level closest to 2000 km.
    public static let coarsestLevel = 2
    /// The advisory number of cells of a covering.
    public static let maxCells = 20

    /// Whether a stored key pattern has a 2dsphere field.
    public static func isGeo(_ key: BSONDocument) -> Bool {
        key.contains { $0.value.stringValue == plugin }
    }

    /// The options a new 2dsphere index is stored with: `2dsphereIndexVersion` as MongoDB
    /// records it, unless given.
    /// A 2d index's `bits`, `min` and `max` are checked (InvalidOptions, 72).
    static func storedOptions(key: BSONDocument, options: BSONDocument) throws(MongoError) -> BSONDocument {
        if key.contains(where: { $0.value.stringValue == TwoDParameters.plugin }) { _ = try TwoDParameters.parse(options) }
        guard isGeo(key) else { return options }
        var options = options
        if let version = options["2dsphereIndexVersion"] {
            guard let number = ClientNumber.exactInteger(version), number == 3 else {
                throw MongoError(.cannotCreateIndex,
                                 "unsupported geo index version { 2dsphereIndexVersion : \(version.extendedJSON()) }, only support versions: [3]")
            }
        } else {
            options["2dsphereIndexVersion"] = .int32(indexVersion)
        }
        return options
    }

    /// The cells a geometry is indexed under: a point's leaf cell, else its covering.
    public static func cells(of geometry: Geometry) -> [S2CellID] {
        if let point = geometry.point { return [S2CellID(point, level: pointLevel)] }
        return geometry.region.covering(minLevel: coarsestLevel, maxLevel: finestLevel, maxCells: maxCells)
    }

    /// The geometries a field's value holds: one geometry, or (an array of objects or
    /// arrays) one per element; none for null.
    public static func geometries(in value: BSONValue) -> Result<[Geometry], GeoError> {
        if case .null = value { return .success([]) }
        if case let .array(elements) = value, let first = elements.first, first.documentValue != nil || first.arrayValue != nil {
            var result: [Geometry] = []
            for element in elements {
                switch GeoJSON.parseIndexable(element) {
                case let .success(geometry): result.append(geometry)
                case let .failure(error): return .failure(error)
                }
            }
            return .success(result)
        }
        return GeoJSON.parseIndexable(value).map { [$0] }
    }

    /// The values a dotted path reaches through documents, expanding arrays met before its
    /// last component (MongoDB's `getFieldsDotted` without expanding the last field's array).
    public static func values(at path: ArraySlice<String>, in value: BSONValue) -> [BSONValue] {
        guard let first = path.first else { return [value] }
        switch value {
        case let .document(object):
            guard let next = object[first] else { return [] }
            return values(at: path.dropFirst(), in: next)
        case let .array(elements):
            return elements.flatMap { values(at: path, in: $0) }
        default:
            return []
        }
    }
}

extension IndexKeyGenerator {
    /// Whether the pattern has a 2dsphere or 2d field (then keys come from `geoKeys(for:)`).
    var isGeo: Bool { fields.contains { $0.isGeo || $0.flat != nil } }

    /// The keys of `document` in a 2dsphere index: the other fields' ordinary keys, each with
    /// every cell of the geo field's geometries. None when the geo fields are all missing.
    ///
    /// - Throws: MongoError 16755 when a 2dsphere field holds something that is not a
    ///   geometry, a 2d field's errors (``TwoDParameters/keys(of:)``), and the ordinary key
    ///   generation's errors.
    func geoKeys(for document: BSONDocument) throws(MongoError) -> Keys {
        var cellsByField: [Int: [BSONValue]] = [:]
        for (position, field) in fields.enumerated() where field.isGeo || field.flat != nil {
            var cells: [BSONValue] = []
            for value in GeoIndexRules.values(at: field.components[...], in: .document(document)) {
                if let flat = field.flat {
                    cells.append(contentsOf: try flat.keys(of: value).map(BSONValue.int64))
                    continue
                }
                switch GeoIndexRules.geometries(in: value) {
                case let .success(geometries):
                    for geometry in geometries {
                        cells.append(contentsOf: GeoIndexRules.cells(of: geometry).map { .int64($0.indexKey) })
                    }
                case let .failure(error):
                    throw MongoError(MongoError.Code(16755, "Location16755"),
                                     "Can't extract geo keys: \(BSONValue.document(document).extendedJSON())  \(error.message)")
                }
            }
            cellsByField[position] = cells
        }
        var result = Keys()
        guard cellsByField.values.contains(where: { !$0.isEmpty }) else { return result }
        let others = fields.enumerated().filter { !$0.element.isGeo && $0.element.flat == nil }
        let plain = IndexKeyGenerator(fields: others.map(\.element), isSparse: false, collator: collator)
        let plainKeys = try plain.keys(for: document)
        for position in plainKeys.multikeyFields { result.multikeyFields.insert(others[position].offset) }
        var tuples: [[BSONValue]] = plainKeys.keys.map { key in
            var values = [BSONValue](repeating: .null, count: fields.count)
            for (index, other) in others.enumerated() { values[other.offset] = key.values[index] }
            return values
        }
        for (position, cells) in cellsByField.sorted(by: { $0.key < $1.key }) {
            let distinct = cells.isEmpty ? [BSONValue.null] : cells
            if distinct.count > 1 { result.multikeyFields.insert(position) }
            tuples = tuples.flatMap { tuple in
                distinct.map { cell in
                    var values = tuple
                    values[position] = cell
                    return values
                }
            }
        }
        var seen: Set<[UInt8]> = []
        for values in tuples {
            var encoded: [UInt8] = []
            encoded.reserveCapacity(16 * values.count)
            for (position, value) in values.enumerated() {
                IndexEntryCodec.appendField(value, descending: fields[position].isDescending, to: &encoded)
            }
            if seen.insert(encoded).inserted { result.keys.append(Key(values: values, encoded: encoded)) }
        }
        return result
    }
}
