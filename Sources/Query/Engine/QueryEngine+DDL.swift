// QueryEngine's DDL: creating, dropping and renaming collections, dropping databases, and
// building and dropping indexes. Each is one catalog change through the store (logged in the
// change log, so change streams see it); the commands above parse and answer only.

public import BSON
import Collation
public import Documents

extension QueryEngine {
    /// Creates the collection at `namespace` with `options` (kept verbatim: `capped`,
    /// `size`, `max`, `changeStreamPreAndPostImages`, ...; a `collation`, its default for
    /// operations and indexes, kept resolved, or dropped when simple) and its `_id_` index.
    ///
    /// Inside `transaction`, the collection exists for others only once it commits (as
    /// mongod 4.4+ allows; see `Transaction.createCollection`).
    ///
    /// - Throws: `NamespaceExists` (48) if it exists; `TypeMismatch` (14) and the collation
    ///   errors of `Collator.make` for a bad `collation`; `OperationNotSupportedInTransaction`
    ///   (263) for a capped collection inside a transaction.
    @discardableResult
    public func createCollection(_ namespace: Namespace, options: BSONDocument = BSONDocument(),
                                 in transaction: QueryTransaction? = nil) throws(MongoError) -> CollectionDescription {
        if try view(namespace) != nil { throw MongoError(.namespaceExists, "Namespace \(namespace) already exists") }
        var options = options
        if let collation = options["collation"] {
            options["collation"] = try Self.resolvedCollation(collation, field: "create.collation")
        }
        if let transaction { return try transaction.transaction.createCollection(namespace, options: options) }
        return try store.createCollection(namespace, options: options)
    }

    /// A collation option as stored: every field resolved, or `nil` for the simple collation.
    static func resolvedCollation(_ value: BSONValue, field: String) throws(MongoError) -> BSONValue? {
        guard case let .document(collation) = value else {
            throw MongoError(.typeMismatch, "BSON field '\(field)' is the wrong type '\(value.type.alias)', expected type 'object'")
        }
        return try Collator.make(collation).map { .document($0.spec.document) }
    }

    /// Drops the collection at `namespace` and releases its disk space.
    ///
    /// - Throws: `NamespaceNotFound` (26) if it does not exist.
    public func dropCollection(_ namespace: Namespace) throws(MongoError) {
        try store.dropCollection(namespace)
    }

    /// Renames the collection at `source` to `target` in one commit (documents and indexes
    /// stay in place); with `dropTarget`, an existing target is dropped first.
    ///
    /// - Throws: `NamespaceNotFound` (26) without a source, `NamespaceExists` (48) when the
    ///   target exists and `dropTarget` is false.
    public func renameCollection(_ source: Namespace, to target: Namespace, dropTarget: Bool) throws(MongoError) {
        if try view(source) != nil { throw MongoError(.commandNotSupportedOnView, "cannot rename view: \(source)") }
        if try view(target) != nil { throw MongoError(.namespaceExists, "a view already exists with that name: \(target)") }
        try store.renameCollection(source, to: target, dropTarget: dropTarget)
    }

    /// Drops every collection of `database` and the database itself; returns whether it existed.
    @discardableResult
    public func dropDatabase(_ database: String) throws(MongoError) -> Bool {
        try store.dropDatabase(database)
    }

    /// Builds the index `key` (named `name`, or from the key pattern) with `options` on the
    /// collection at `namespace`, creating the collection if needed; returns the index (the
    /// existing one when an equivalent index is there). The build polls `interrupt`. An
    /// index without a `collation` takes the collection's default one, as in MongoDB.
    ///
    /// Inside `transaction`, only a collection the transaction creates (here or before) gets
    /// a new index, which exists for others once it commits (`Transaction.createIndex`).
    ///
    /// - Throws: MongoDB's codes for a bad specification, a conflicting index, or existing
    ///   documents that cannot be indexed (then nothing of the index remains);
    ///   `OperationNotSupportedInTransaction` (263) for a new index on a collection that
    ///   existed before `transaction`.
    @discardableResult
    public func createIndex(on namespace: Namespace, key: BSONDocument, name: String? = nil,
                            options: BSONDocument = BSONDocument(), interrupt: OperationInterrupt = .none,
                            in transaction: QueryTransaction? = nil) throws(MongoError) -> IndexDescription {
        if try view(namespace) != nil {
            throw MongoError(.commandNotSupportedOnView, "Namespace \(namespace) is a view, not a collection")
        }
        var options = options
        let entry = transaction?.collectionDescription(namespace) ?? store.catalog.collection(namespace)
        if options["collation"] == nil, let collation = entry?.options["collation"] {
            options["collation"] = collation
        }
        if let transaction {
            return try transaction.transaction.createIndex(on: namespace, key: key, name: name, options: options)
        }
        return try store.createIndex(on: namespace, key: key, name: name, options: options, interrupt: interrupt)
    }

    /// Drops the index `name` of the collection at `namespace`.
    ///
    /// - Throws: `NamespaceNotFound` (26), `IndexNotFound` (27), or `InvalidOptions` (72)
    ///   for `_id_`.
    public func dropIndex(_ name: String, on namespace: Namespace) throws(MongoError) {
        try store.dropIndex(name, on: namespace)
    }

}
