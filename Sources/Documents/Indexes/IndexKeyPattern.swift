// IndexKeyPattern: the fields of an index key pattern (`{a: 1, "b.c": -1}`) and MongoDB's
// rules for which patterns may be created. Owns parsing and validation of the pattern only;
// options live in IndexSpec.swift, key generation in IndexKeyGenerator.swift.

internal import BSON

/// One field of an index key pattern: a dotted path and its direction.
public struct IndexKeyField: Sendable, Hashable {
    /// The dotted path, e.g. `b.c`.
    public let path: String
    /// Whether the field is indexed in descending order (a negative number in the pattern).
    public let isDescending: Bool
    /// Whether the field is `"hashed"`: its keys are MongoDB's hash of the value.
    public let isHashed: Bool
    /// Whether the field is `"2dsphere"`: its keys are S2 cell ids of the geometries it holds.
    public let isGeo: Bool
    /// The grid of a `"2d"` field (its keys are geohashes of legacy points); `nil` otherwise.
    public internal(set) var flat: TwoDParameters?
    /// The path split at its dots.
    let components: [String]

    /// A field on `path` in the given direction, hashed or not.
    public init(path: String, isDescending: Bool, isHashed: Bool = false, isGeo: Bool = false) {
        self.path = path
        self.isDescending = isDescending
        self.isHashed = isHashed
        self.isGeo = isGeo
        flat = nil
        components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}

/// Parsing and validation of index key patterns.
enum IndexKeyPattern {
    /// Index plugin names MongoDB knows (`{a: "text"}`, `{"$**": 1}` is `wildcard`).
    static let knownPlugins: Set<String> = [
        "2d", "2dsphere", "2dsphere_bucket", "text", "hashed", "wildcard", "columnstore",
    ]

    /// The fields of a pattern already validated (as stored in the catalog): positive numbers
    /// ascend, negative numbers descend.
    static func fields(of key: BSONDocument) -> [IndexKeyField] {
        key.map {
            IndexKeyField(path: $0.key, isDescending: BSONValue.compare($0.value, .int32(0)) < 0,
                          isHashed: $0.value.stringValue == HashedIndexRules.plugin,
                          isGeo: $0.value.stringValue == GeoIndexRules.plugin).flatGrid(if: $0.value.stringValue == TwoDParameters.plugin)
        }
    }

    /// Whether `key` is `{_id: 1}`, the pattern of the `_id` index.
    static func isIDPattern(_ key: BSONDocument) -> Bool {
        key.count == 1 && key[0].key == "_id" && key[0].value.isNumeric && BSONValue.compare(key[0].value, .int32(1)) == 0
    }

    /// The most fields a key pattern may have (mongod's `kMaxCompoundIndexKeys`).
    static let maximumFields = 32

    /// The fields of `key`, or MongoDB's error for a pattern it refuses.
    ///
    /// - Throws: `CannotCreateIndex` (67) for an empty or oversized pattern, a value that is
    ///   0, NaN, an empty string or not a number or string, an illegal field name, and for
    ///   the index types Tessera does not build, a bad text pattern (TextIndexRules), and a
    ///   hashed pattern MongoDB refuses (31303: more than one hashed field); 7246201 for two
    ///   wildcard fields, 7246204 for a regular field inside the wildcard subtree;
    ///   `BadValue` (2) for a field named twice; 13103 for more than ``maximumFields`` fields.
    static func validate(_ key: BSONDocument) throws(MongoError) -> [IndexKeyField] {
        var seen: Set<String> = []
        for element in key where !seen.insert(element.key).inserted {
            throw MongoError(.badValue,
                             "The field '\(element.key)' appears multiple times in the index key pattern \(describe(key))")
        }
        if let size = try? key.bsonBytes().count, size > 2048 {
            throw MongoError(.cannotCreateIndex, "Index key pattern too large.")
        }
        guard !key.isEmpty else { throw MongoError(.cannotCreateIndex, "Index keys cannot be empty.") }
        let plugin = pluginName(key)
        if let plugin {
            if plugin == "geoHaystack" {
                throw MongoError(.cannotCreateIndex, "GeoHaystack indexes cannot be created in version 5.0 and above")
            }
            guard knownPlugins.contains(plugin) else {
                throw MongoError(.cannotCreateIndex, "Unknown index plugin '\(plugin)'")
            }
        }
        for element in key {
            switch element.value {
            case .int32, .int64, .double, .decimal128:
                if isNaN(element.value) {
                    throw MongoError(.cannotCreateIndex, "Values in the index key pattern cannot be NaN.")
                }
                if BSONValue.compare(element.value, .int32(0)) == 0 {
                    throw MongoError(.cannotCreateIndex, "Values in the index key pattern cannot be 0.")
                }
            case let .string(text):
                if text != plugin {
                    throw MongoError(.cannotCreateIndex, "Can't use more than one index plugin for a single index.")
                }
                if text == WildcardIndexRules.plugin { throw WildcardIndexRules.stringValueError }
            default:
                throw MongoError(.cannotCreateIndex,
                                 "Values in v:2 index key pattern cannot be of type \(element.value.type.alias). "
                                     + "Only numbers > 0, numbers < 0, and strings are allowed.")
            }
            try validateFieldName(element.key, plugin: plugin)
        }
        for element in key where element.value.stringValue == "" {
            throw MongoError(.cannotCreateIndex, "Values in the index key pattern cannot be empty strings")
        }
        if plugin == HashedIndexRules.plugin {
            try HashedIndexRules.validate(key)
        } else if plugin == TextIndexRules.plugin {
            try TextIndexRules.validate(key)
        } else if plugin == TwoDParameters.plugin {
            try TwoDIndexRules.validate(key)
        } else if plugin == WildcardIndexRules.plugin {
            try WildcardIndexRules.validate(key)
        } else if let plugin, plugin != GeoIndexRules.plugin {
            throw MongoError(.cannotCreateIndex, "\(plugin) indexes are not supported")
        }
        // mongod's Ordering keeps one direction bit per field in 32 bits.
        guard key.count <= maximumFields else { throw MongoError(.location(13103), "too many compound keys") }
        return fields(of: key)
    }

    /// MongoDB's plugin name of a pattern: its first string value, or `wildcard` when a field
    /// is `$**` or ends in `.$**`; `nil` for an ordinary (B-tree) pattern.
    private static func pluginName(_ key: BSONDocument) -> String? {
        for element in key {
            if case let .string(name) = element.value { return name }
        }
        for element in key where element.key == "$**" || element.key.hasSuffix(".$**") {
            return "wildcard"
        }
        return nil
    }

    private static func validateFieldName(_ name: String, plugin: String?) throws(MongoError) {
        guard !name.isEmpty else { throw MongoError(.cannotCreateIndex, "Index keys cannot be an empty field.") }
        // `$**` alone names every path of a wildcard or text index, and no field of another.
        if name == "$**" && (plugin == WildcardIndexRules.plugin || plugin == TextIndexRules.plugin) { return }
        if name == "_fts" && plugin != "text" {
            throw MongoError(.cannotCreateIndex, "Index key contains an illegal field name: '_fts'")
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        for (position, part) in parts.enumerated() {
            guard let first = part.first else {
                throw MongoError(.cannotCreateIndex, "Index keys cannot contain an empty field.")
            }
            guard first == "$" else { continue }
            let dbRef = position != 0 && (part == "$db" || part == "$id" || part == "$ref")
            let wildcard = position == parts.count - 1 && part == "$**" && plugin == "wildcard"
            if !dbRef && !wildcard {
                throw MongoError(.cannotCreateIndex, "Index key contains an illegal field name: field name starts with '$'.")
            }
        }
    }

    private static func isNaN(_ value: BSONValue) -> Bool {
        switch value {
        case let .double(x): x.isNaN
        case let .decimal128(x): x.isNaN
        default: false
        }
    }

    /// A pattern or specification as MongoDB prints it in messages.
    static func describe(_ document: BSONDocument) -> String {
        BSONValue.document(document).extendedJSON()
    }
}
