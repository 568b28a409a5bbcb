// Index corruption for tests: removes a document's entries from one secondary index, or adds
// an entry that points at no document, bypassing the write path, so `validate` and the
// consistency check can be shown to find both. Reached only through a command that
// `enableTestCommands` guards.

public import BSON

/// A deliberate inconsistency between a collection and one of its indexes.
public enum IndexCorruption: Sendable, Equatable {
    /// Delete every entry the document with this `_id` generates.
    case removeEntries(ofID: BSONValue)
    /// Add the entries the document with this `_id` generates, but pointing at `phantomID`
    /// (a document that does not exist).
    case addEntries(likeID: BSONValue, phantomID: BSONValue)
}

extension DocumentStore {
    /// Applies `corruption` to the index `indexName` of the collection at `namespace`;
    /// returns how many index entries it removed or added. Test use only.
    ///
    /// - Throws: `NamespaceNotFound` (26), `IndexNotFound` (27), `BadValue` (2) when the
    ///   document does not exist.
    public func corruptIndex(_ indexName: String, of namespace: Namespace, _ corruption: IndexCorruption) throws(MongoError) -> Int {
        guard let collection = catalog.openCollection(namespace) else {
            throw MongoError(.namespaceNotFound, "ns not found: \(namespace)")
        }
        guard let index = collection.indexes.first(where: { $0.name == indexName }) else {
            throw MongoError(.indexNotFound, "index not found with name [\(indexName)]")
        }
        let documentID: BSONValue
        switch corruption {
        case let .removeEntries(id), let .addEntries(id, _): documentID = id
        }
        guard let document = try self.collection(namespace).document(withID: documentID) else {
            throw MongoError(.badValue, "no document with _id \(documentID.extendedJSON()) in \(namespace)")
        }
        // The keys the write path gives the document in this index (wildcard paths, text
        // terms, hashes, geo cells, collation keys), none if a partial filter leaves it out.
        let keys = try index.includes(document) ? IndexKeyGenerator(index.spec).keys(for: document).keys : []
        try commit(.journaled) { (pending) throws(MongoError) in
            for key in keys {
                switch corruption {
                case let .removeEntries(id):
                    pending.batch.delete(IndexEntryCodec.entryKey(fields: key.encoded, id: KeyEncoding.key(for: id)),
                                         in: index.keySpace)
                case let .addEntries(_, phantom):
                    pending.batch.put(IndexEntryCodec.entryKey(fields: key.encoded, id: KeyEncoding.key(for: phantom)),
                                      try IndexEntryCodec.entryValue(values: key.values, id: phantom), in: index.keySpace)
                }
            }
        }
        return keys.count
    }
}
