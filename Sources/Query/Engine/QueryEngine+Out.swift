// QueryEngine's `$out`: replaces a collection's contents atomically. The documents go into a
// temporary collection (the target's options and indexes copied), which then replaces the
// target in one catalog commit (rename with drop-target). A failure (duplicate `_id`, a
// validator, a full disk) drops the temporary collection and leaves the target untouched; a
// crash leaves only the temporary collection, which the store drops when it next opens.

public import BSON
import Documents

extension QueryEngine {
    /// Replaces every document of the collection at `target` with `documents`, keeping the
    /// target's options and indexes (or creating it), all at once: readers and a crash see
    /// either the old contents or the new ones.
    ///
    /// The swap is a journaled commit, so the new contents are durable when this returns.
    ///
    /// - Throws: the insert's errors (`DuplicateKey` 11000, `DocumentValidationFailure` 121,
    ///   ...), with the target unchanged; `CommandNotSupportedOnView` (166) for a view;
    ///   `Location17152` for a capped target (as mongod, checked before anything is written).
    public func replaceContents(
        of target: Namespace, with documents: [BSONDocument], bypassDocumentValidation: Bool
    ) throws(MongoError) {
        if try view(target) != nil {
            throw MongoError(.commandNotSupportedOnView, "Namespace \(target) is a view, not a collection")
        }
        let existing = store.catalog.collection(target)
        if existing?.options["capped"]?.boolValue == true {
            throw MongoError(.location(17152), "namespace '\(target)' is capped so it can't be used for $out")
        }
        var suffix = SystemRandomNumberGenerator()
        let temporary = try Namespace(database: target.database,
                                      collection: DocumentStore.temporaryCollectionPrefix + String(suffix.next(), radix: 16))
        _ = try store.createCollection(temporary, options: existing?.options ?? BSONDocument())
        do throws(MongoError) {
            for index in existing?.indexes ?? [] where !index.isIDIndex {
                _ = try store.createIndex(on: temporary, key: index.key, name: index.name, options: index.options)
            }
            try collection(temporary).bypassingDocumentValidation(bypassDocumentValidation)
                .insert(contentsOf: documents, writeConcern: .acknowledged)
            try store.renameCollection(temporary, to: target, dropTarget: true)
        } catch {
            try? store.dropCollection(temporary)
            throw error
        }
    }
}
