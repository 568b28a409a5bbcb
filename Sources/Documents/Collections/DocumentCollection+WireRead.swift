// The read of one document by `_id` straight to BSON bytes: the stored record is written out
// as wire BSON in place (RecordBSONWriter), with no BSONDocument in between. The server's
// point-find reply path uses it; the values read are those of ``DocumentCollection/document(withID:)``.

public import BSON
import Storage

extension DocumentCollection {
    /// What ``appendBSON(ofDocumentWithID:to:)`` found.
    public enum WireRead: Sendable, Equatable {
        /// The collection does not exist (or was dropped meanwhile).
        case noCollection
        /// No document has the `_id`.
        case notFound
        /// The document's BSON was appended.
        case appended
    }

    /// Appends the BSON of the document whose `_id` equals `id` (by MongoDB's comparison, as
    /// ``document(withID:)``) to `out`; `out` is unchanged unless the result is `.appended`.
    public func appendBSON(ofDocumentWithID id: BSONValue, to out: inout [UInt8]) throws(MongoError) -> WireRead {
        guard let collection = openCollection() else { return .noCollection }
        let key = KeyEncoding.key(for: id)
        let stored: [UInt8]?
        if let transaction {
            stored = try transaction.storedValue(forKey: key, in: collection, namespace: namespace)
        } else {
            do {
                stored = try reader.get(key, in: collection.keySpace)
            } catch where error.code == .keySpaceDropped {
                return .noCollection
            } catch {
                throw .storage(error)
            }
        }
        guard let stored else { return .notFound }
        do {
            try RecordDecoder(registry: store.shapes).appendBSON(of: stored, to: &out)
        } catch {
            throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
        }
        return .appended
    }
}
