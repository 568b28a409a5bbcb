// ReadSnapshot: a point-in-time view of a DocumentStore that a long read holds across its
// batches (the engine's streaming cursors), and the collection handles that read through it.
// Owns the storage snapshot; releasing the last reference releases it.

public import BSON
internal import Storage

/// A consistent, read-only view of a store's documents and index entries as of the moment it
/// was taken. Reads through ``DocumentCollection/reading(at:)`` see exactly the writes
/// committed before it, however many later writes land while it is held.
///
/// Release it promptly (drop every reference): the storage engine keeps every version a live
/// snapshot can still see.
public final class ReadSnapshot: Sendable {
    /// The storage engine's snapshot.
    let storage: any KeyValueSnapshot

    init(_ storage: any KeyValueSnapshot) {
        self.storage = storage
    }
}

extension DocumentStore {
    /// A snapshot of the whole store as of now.
    ///
    /// - Throws: the storage engine's error when it cannot take one.
    public func makeReadSnapshot() throws(MongoError) -> ReadSnapshot {
        do {
            return ReadSnapshot(try storage.makeSnapshot())
        } catch {
            throw .storage(error)
        }
    }
}

extension DocumentCollection {
    /// This collection as `snapshot` sees it: record scans, index scans and reads by `_id`
    /// go through the snapshot. The catalog (indexes, existence) stays the live one. Inside a
    /// transaction the transaction's own snapshot wins and `snapshot` is not used.
    public func reading(at snapshot: ReadSnapshot) -> DocumentCollection {
        DocumentCollection(store: store, namespace: namespace, transaction: transaction, snapshot: snapshot)
    }

    /// Where reads outside a transaction go: the held snapshot, else the latest state.
    var reader: any KeyValueReader {
        if let snapshot { return snapshot.storage }
        return store.storage
    }
}

/// Calls `body` with a view of `key`'s bytes (resumable scans hand keys to their callers as
/// views, whichever way they hold them).
func withKeyBytes<Result>(
    _ key: [UInt8], _ body: (UnsafeRawBufferPointer) throws(MongoError) -> Result
) throws(MongoError) -> Result {
    try key.withUnsafeBytes { bytes in Swift.Result { () throws(MongoError) -> Result in try body(bytes) } }.get()
}
