// PendingCommit: one atomic write being assembled inside the commit section — the batch,
// the change log entries with their sequence numbers, the shape definitions to persist and
// the in-memory catalog changes to apply once the batch is written. Lives for one commit.

internal import BSON
internal import Storage

/// The writes of one commit, built while holding the store's commit section.
///
/// Not `Sendable`: it wraps the engine's write batch and is used by one thread.
final class PendingCommit {
    let batch: any KeyValueWriteBatch
    private let changeLog: ChangeLog
    private let catalogKeySpace: any KeySpace
    /// The sequence number the next logged entry gets.
    private(set) var nextSequence: UInt64
    /// Log entries written so far.
    private(set) var entryCount = 0
    /// Bytes of keys and values of those entries.
    private(set) var entryBytes = 0
    /// Shapes persisted by this batch, to mark in the registry after it commits.
    private(set) var persistedShapes: [ShapeID] = []
    /// In-memory changes to run after the batch commits.
    private(set) var afterCommit: [() -> Void] = []
    /// Whether the batch changes the catalog (other servers sharing the store must reload it).
    private(set) var changesCatalog = false
    /// The `_id` of the first document the commit inserts, if any (an upsert's, for the
    /// record of the retryable update statement that made it).
    private(set) var firstInsertedID: BSONValue?
    /// Whether the commit inserts, changes or deletes a document (not only the catalog).
    private(set) var writesDocuments = false
    /// The commit's wall-clock time, shared by its entries.
    let wallTime: BSONDateTime

    init(batch: any KeyValueWriteBatch, changeLog: ChangeLog, catalogKeySpace: any KeySpace, firstSequence: UInt64) {
        self.batch = batch
        self.changeLog = changeLog
        self.catalogKeySpace = catalogKeySpace
        self.nextSequence = firstSequence
        self.wallTime = WallClock.now()
    }

    /// Appends a change log entry with the next sequence number. A document already
    /// shape-encoded for this batch is logged as its `record` bytes; an update's new version
    /// as `postImage` record bytes, or, with `updatedFieldsRedo`, not at all because its
    /// `updatedFields` redo it exactly.
    func log(
        _ operation: ChangeLogEntry.Operation, database: String, collection: String?,
        documentKey: BSONValue? = nil, document: BSONDocument? = nil, record: [UInt8]? = nil,
        preImage: BSONDocument? = nil, postImage: [UInt8]? = nil, updatedFieldsRedo: Bool = false,
        collectionID: UInt64? = nil
    ) throws(MongoError) {
        let entry = ChangeLogEntry(
            sequence: nextSequence, operation: operation, database: database, collection: collection,
            documentKey: documentKey, document: document, wallTime: wallTime, preImage: preImage,
            updatedFieldsRedo: updatedFieldsRedo, collectionID: collectionID)
        let value: [UInt8]
        do {
            value = try entry.storedValue(record: record, postImage: postImage)
        } catch {
            throw MongoError(.badValue, error.description)
        }
        switch operation {
        case .insert:
            writesDocuments = true
            if firstInsertedID == nil { firstInsertedID = documentKey }
        case .replace, .update, .delete:
            writesDocuments = true
        default:
            break
        }
        let key = ChangeLogEntry.key(nextSequence)
        batch.put(key, value, in: changeLog.keySpace)
        entryBytes += key.count + value.count
        nextSequence += 1
        entryCount += 1
    }

    /// Persists shape definitions in this batch (harmless if already stored).
    func persist(_ shapes: [ShapeDefinition]) {
        for definition in shapes {
            batch.put(CatalogKey.shape(definition.id), definition.serialized(), in: catalogKeySpace)
            persistedShapes.append(definition.id)
        }
    }

    /// Runs `change` once the batch has been written; unless `catalog` is false, the change
    /// is to the catalog.
    func onCommit(catalog: Bool = true, _ change: @escaping () -> Void) {
        if catalog { changesCatalog = true }
        afterCommit.append(change)
    }
}
