// QueryEngine's collMod: replacing a collection's options (validator, validation level and
// action, pre-images, capped bounds) and changing an index's mutable options (hidden,
// expireAfterSeconds, prepareUnique). The command parses and answers; the store keeps.

public import BSON
public import Documents

extension QueryEngine {
    /// Replaces the options of the collection at `namespace` (stored verbatim, listed by
    /// listCollections); a `validator` among them applies from the next write.
    ///
    /// - Throws: `NamespaceNotFound` (26); the validator's parse errors; `InvalidOptions`
    ///   (72) for bad capped bounds.
    public func setCollectionOptions(_ namespace: Namespace, options: BSONDocument) throws(MongoError) {
        _ = try DocumentValidator(options: options)
        try store.setCollectionOptions(namespace, options: options)
    }

    /// Records a collMod of `namespace` in the change log for change streams (their
    /// `modify` event): `description` is what was asked (collMod's fields), `stateBefore`
    /// the options before (`{collectionOptions, indexOptions?}`; nil for a view).
    public func recordModification(_ namespace: Namespace, description: BSONDocument,
                                   stateBefore: BSONDocument?) throws(MongoError) {
        var document: BSONDocument = ["operationDescription": .document(description)]
        if let stateBefore { document.append("stateBeforeChange", .document(stateBefore)) }
        try store.recordChange(.modify, on: namespace, document: document,
                               collectionID: store.catalog.collection(namespace)?.id)
    }

    /// Applies `changes` (`hidden`, `expireAfterSeconds`, `prepareUnique`; `null` removes)
    /// to the index `name` on `namespace`; returns the index as it was.
    ///
    /// - Throws: `NamespaceNotFound` (26), `IndexNotFound` (27), `BadValue` (2) for any
    ///   other option.
    @discardableResult
    public func setIndexOptions(_ name: String, on namespace: Namespace, changes: BSONDocument) throws(MongoError) -> IndexDescription {
        try store.setIndexOptions(name, on: namespace, changes: changes)
    }
}
