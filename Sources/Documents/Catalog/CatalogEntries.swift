// What the catalog records about collections and indexes, and how each record is laid out
// in the catalog key space: one key per database, collection, index and shape, values as
// BSON. Owns the key layout; knows nothing of locking or RocksDB handles.

public import BSON
public import Collation

/// An index's metadata: its name, key pattern and options, and what its entries have shown
/// (whether it is multikey). The entries themselves live in the index's own key space.
public struct IndexDescription: Sendable, Equatable {
    /// The index name, unique within its collection.
    public let name: String
    /// The key pattern, e.g. `{a: 1, b: -1}`.
    public let key: BSONDocument
    /// Options such as `unique`, `sparse`, `partialFilterExpression`, `expireAfterSeconds`,
    /// `hidden`, as given at creation (`hidden` as last set).
    public internal(set) var options: BSONDocument
    /// The key pattern fields whose paths have met an array in some indexed document, in key
    /// pattern order. Such a field has several entries per document; MongoDB never clears it.
    public internal(set) var multikeyFields: [String] = []
    /// The id naming the index's key space (`i.<id>`); `nil` for `_id_`, whose entries are the
    /// collection's own keys.
    var keySpaceID: UInt64?

    /// An index description.
    public init(name: String, key: BSONDocument, options: BSONDocument = BSONDocument()) {
        self.name = name
        self.key = key
        self.options = options
    }

    /// The index on `_id` every collection has.
    public static let idIndex = IndexDescription(name: "_id_", key: ["_id": .int32(1)])

    /// The `_id` index of a collection whose default collation is `collation` (resolved, as
    /// stored in the collection's options): as in MongoDB, it carries that collation.
    public static func idIndex(collation: BSONDocument?) -> IndexDescription {
        guard let collation else { return idIndex }
        return IndexDescription(name: idIndex.name, key: idIndex.key, options: ["collation": .document(collation)])
    }

    /// MongoDB's default name for a key pattern: `field_direction` pairs joined by `_`.
    public static func defaultName(for key: BSONDocument) -> String {
        key.map { element -> String in
            let direction: String
            switch element.value {
            case let .string(text): direction = text
            case let .int32(value): direction = String(value)
            case let .int64(value): direction = String(value)
            case let .double(value): direction = value == value.rounded() && value.magnitude < 1e15 ? String(Int64(value)) : String(value)  // checked: integral, below 1e15
            default: direction = "1"
            }
            return "\(element.key)_\(direction)"
        }.joined(separator: "_")
    }

    /// The key pattern's fields with their directions.
    public var fields: [IndexKeyField] { IndexKeyPattern.fields(of: key) }
    /// The index version (`v`) listIndexes shows: as requested at creation (1 or 2), else 2.
    public var version: Int32 {
        if case let .int32(stored)? = options["v"] { return stored }
        return 2
    }
    /// Whether this is the `_id` index.
    public var isIDIndex: Bool { name == Self.idIndex.name }
    /// Whether some document has several entries (a key field met an array).
    public var isMultikey: Bool { !multikeyFields.isEmpty }
    /// Whether two documents may not share a key (`_id_` always is).
    public var isUnique: Bool { isIDIndex || options["unique"].map(IndexSpecValidation.isTrue) == true }
    /// Whether documents missing every key field have no entry.
    public var isSparse: Bool { options["sparse"].map(IndexSpecValidation.isTrue) == true }
    /// The filter documents must match to have entries (`partialFilterExpression`).
    public var partialFilter: BSONDocument? { options["partialFilterExpression"]?.documentValue }
    /// Whether the planner must not use the index (it is still maintained).
    public var isHidden: Bool { options["hidden"]?.boolValue == true }
    /// The index's collation (`nil`: simple). Its keys hold the collation's comparison keys.
    public var collator: Collator? {
        guard let stored = options["collation"]?.documentValue else { return nil }
        // Stored resolved when the index was created, so it opens again.
        return try? Collator.stored(stored)
    }
    /// The TTL in seconds: documents whose indexed date is older expire.
    public var expireAfterSeconds: Int? {
        options["expireAfterSeconds"].flatMap(IndexSpecValidation.truncatedSeconds).map { Int(clamping: $0) }
    }

    /// The description as given and logged: `{name, key, options}`.
    var document: BSONDocument {
        ["name": .string(name), "key": .document(key), "options": .document(options)]
    }

    /// The catalog record: `document` plus the key space id and the multikey fields.
    var catalogRecord: BSONDocument {
        var record = document
        if let keySpaceID { record.append("keySpace", .int64(Int64(bitPattern: keySpaceID))) }
        if !multikeyFields.isEmpty { record.append("multikey", .array(multikeyFields.map { .string($0) })) }
        return record
    }

    /// Reads a catalog record (or a bare `{name, key, options}`).
    init?(document: BSONDocument) {
        guard case let .string(name)? = document["name"], case let .document(key)? = document["key"],
              case let .document(options)? = document["options"]
        else { return nil }
        self.init(name: name, key: key, options: options)
        if case let .int64(id)? = document["keySpace"] { keySpaceID = UInt64(bitPattern: id) }
        if case let .array(fields)? = document["multikey"] { multikeyFields = fields.compactMap(\.stringValue) }
    }
}

/// A collection as the catalog knows it.
public struct CollectionDescription: Sendable, Equatable {
    /// The collection's namespace.
    public let namespace: Namespace
    /// The collection's internal id; its documents live in key space `c.<id>`.
    public let id: UInt64
    /// Options given at creation (`capped`, `validator`, ...), stored verbatim; collMod
    /// replaces them (`DocumentStore.setCollectionOptions`).
    public internal(set) var options: BSONDocument
    /// Its indexes, `_id_` first, then in creation order.
    public internal(set) var indexes: [IndexDescription]

    /// The collection's UUID (MongoDB's `info.uuid`), derived from its internal id.
    public var uuid: BSONBinary { Self.uuid(ofID: id) }

    /// The UUID of the collection with internal id `id`: stable, and distinct for every id
    /// (a version 4 UUID layout whose last 8 bytes are the id).
    public static func uuid(ofID id: UInt64) -> BSONBinary {
        var bytes = [UInt8](repeating: 0, count: 16)
        var rest = id
        for index in (8..<16).reversed() {
            bytes[index] = UInt8(truncatingIfNeeded: rest)
            rest >>= 8
        }
        bytes[0...3] = [0x74, 0x65, 0x73, 0x73]  // "tess"
        bytes[6] = 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return BSONBinary(subtype: .uuid, bytes: bytes)
    }

    /// Whether the change log keeps pre-images of its documents
    /// (`changeStreamPreAndPostImages: {enabled: true}`).
    public var recordsPreImages: Bool {
        options["changeStreamPreAndPostImages"]?.documentValue?["enabled"]?.boolValue == true
    }
}

/// The catalog key space's layout: a one-byte tag, then the entry's own key.
enum CatalogKey {
    /// `F`: the store's format record.
    static let format: [UInt8] = [UInt8(ascii: "F")]
    /// `N`: the next collection id.
    static let nextCollectionID: [UInt8] = [UInt8(ascii: "N")]
    /// `V`: the catalog version, a random token every catalog change writes; only in stores
    /// several servers share (SharedCatalog), which compare it to notice another's change.
    static let catalogVersion: [UInt8] = [UInt8(ascii: "V")]
    static let databaseTag = UInt8(ascii: "D")
    static let collectionTag = UInt8(ascii: "C")
    static let indexTag = UInt8(ascii: "I")
    static let shapeTag = UInt8(ascii: "S")

    /// `D` + database name.
    static func database(_ name: String) -> [UInt8] {
        [databaseTag] + Array(name.utf8)
    }

    /// `C` + database name + `00` + collection name.
    static func collection(_ namespace: Namespace) -> [UInt8] {
        [collectionTag] + Array(namespace.database.utf8) + [0] + Array(namespace.collection.utf8)
    }

    /// `I` + big-endian collection id + index name.
    static func index(collection id: UInt64, name: String) -> [UInt8] {
        var key = [indexTag]
        KeyEncoding.appendBigEndian(id, to: &key)
        key.append(contentsOf: name.utf8)
        return key
    }

    /// Every index key of one collection.
    static func indexPrefix(collection id: UInt64) -> [UInt8] {
        var key = [indexTag]
        KeyEncoding.appendBigEndian(id, to: &key)
        return key
    }

    /// `S` + big-endian shape id.
    static func shape(_ id: ShapeID) -> [UInt8] {
        var key = [shapeTag]
        KeyEncoding.appendBigEndian(id.rawValue, to: &key)
        return key
    }

    /// The name of the key space holding the entries of the index with key space id `id`.
    static func keySpaceName(index id: UInt64) -> String {
        "i.\(id)"
    }

    /// The key space id of an index key space name, or `nil` for other key spaces.
    static func indexID(keySpaceName name: String) -> UInt64? {
        guard name.hasPrefix("i.") else { return nil }
        return UInt64(name.dropFirst(2))
    }

    /// What every collection key space's name starts with.
    static let collectionKeySpacePrefix = "c."

    /// The name of the key space holding collection `id`'s documents.
    static func keySpaceName(collection id: UInt64) -> String {
        "\(collectionKeySpacePrefix)\(id)"
    }

    /// The collection id of a collection key space name, or `nil` for other key spaces.
    static func collectionID(keySpaceName name: String) -> UInt64? {
        guard name.hasPrefix(collectionKeySpacePrefix) else { return nil }
        return UInt64(name.dropFirst(2))
    }

    /// A big-endian UInt64 read from 8 bytes.
    static func uint64(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
