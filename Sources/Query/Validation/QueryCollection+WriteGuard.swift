// QueryCollection's write guard: what every write entry point checks before it touches the
// store — the namespace is not a view (166) and not `system.views` (whose documents only
// the view DDL writes), and the collection's validator, unless the caller bypasses it.

import BSON
import Documents

extension QueryCollection {
    /// The same operations with schema validation off (`bypassDocumentValidation: true`) or
    /// on (`false`, the default).
    public func bypassingDocumentValidation(_ bypass: Bool = true) -> QueryCollection {
        QueryCollection(collection, interrupt: interrupt, validatesDocuments: !bypass)
    }

    /// The validator writes must pass (`nil`: none, or bypassed), after refusing a write to a
    /// view or to `system.views`.
    ///
    /// - Throws: `CommandNotSupportedOnView` (166) for a view; `InvalidNamespace` (73) for
    ///   `system.views`.
    func writeGuard() throws(MongoError) -> DocumentValidator? {
        let namespace = collection.namespace
        if namespace.collection == ViewCatalog.collectionName {
            throw MongoError(.invalidNamespace, "cannot write to '\(namespace)'")
        }
        guard let description = collection.store.catalog.collection(namespace) else {
            if try ViewCatalog(store: collection.store).definition(of: namespace) != nil {
                throw MongoError(.commandNotSupportedOnView, "Namespace \(namespace) is a view, not a collection")
            }
            return nil
        }
        guard validatesDocuments, var validator = try DocumentValidator(options: description.options) else { return nil }
        validator.warningTarget = (collection.store, namespace)
        return validator
    }

    /// Inserts `document` after checking it against `validator` (with the `_id` the insert
    /// gives it, which a failure reports).
    func insertValidated(_ document: BSONDocument, validator: DocumentValidator?,
                         writeConcern: WriteConcern) throws(MongoError) -> BSONValue {
        guard let validator else { return try collection.insert(document, writeConcern: writeConcern) }
        let stored = Self.withID(document)
        try validator.check(stored)
        return try collection.insert(stored, writeConcern: writeConcern)
    }

    /// `document` with `_id` first: its own, else `id`, else a new ObjectId (as an insert
    /// stores it).
    static func withID(_ document: BSONDocument, _ id: BSONValue? = nil) -> BSONDocument {
        if document.first?.key == "_id" { return document }
        var stored: BSONDocument = ["_id": document["_id"] ?? id ?? .objectId(ObjectId())]
        for element in document.elements where element.key != "_id" { stored.append(element.key, element.value) }
        return stored
    }
}
