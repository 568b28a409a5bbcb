// Namespace: a database name and a collection name, validated with MongoDB's rules.
// The catalog keys collections by it; the change log records it with every entry. Shared
// vocabulary at the bottom layer, so every layer above can name a collection.

/// A collection's full name, `database.collection`.
public struct Namespace: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The database name.
    public let database: String
    /// The collection name.
    public let collection: String

    /// A validated namespace.
    ///
    /// - Throws: `InvalidNamespace` (73) when either name is empty, the database name holds
    ///   `/ \ . " $`, a space or NUL or is over 63 bytes, the collection name holds `$` or
    ///   NUL, or the whole is over 255 bytes.
    public init(database: String, collection: String) throws(MongoError) {
        try Namespace.validate(database: database)
        guard !collection.isEmpty else {
            throw MongoError(.invalidNamespace, "collection names cannot be empty")
        }
        guard !collection.utf8.contains(0), !collection.contains("$") else {
            throw MongoError(.invalidNamespace, "invalid collection name: \(collection)")
        }
        guard database.utf8.count + 1 + collection.utf8.count <= 255 else {
            throw MongoError(.invalidNamespace, "fully qualified namespace \(database).\(collection) is too long")
        }
        self.database = database
        self.collection = collection
    }

    /// Throws `InvalidNamespace` unless `name` is a valid database name.
    public static func validate(database name: String) throws(MongoError) {
        guard !name.isEmpty else { throw MongoError(.invalidNamespace, "database names cannot be empty") }
        guard name.utf8.count < 64 else { throw MongoError(.invalidNamespace, "database name is too long: \(name)") }
        for byte in name.utf8 {
            switch byte {
            case 0, UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "."), UInt8(ascii: "\""),
                 UInt8(ascii: "$"), UInt8(ascii: " "):
                throw MongoError(.invalidNamespace, "invalid database name: \(name)")
            default:
                continue
            }
        }
    }

    /// `database.collection`.
    public var description: String { "\(database).\(collection)" }

    /// Orders by database, then collection, comparing UTF-8 bytes.
    public static func < (lhs: Namespace, rhs: Namespace) -> Bool {
        if lhs.database != rhs.database { return lhs.database.utf8.lexicographicallyPrecedes(rhs.database.utf8) }
        return lhs.collection.utf8.lexicographicallyPrecedes(rhs.collection.utf8)
    }
}
