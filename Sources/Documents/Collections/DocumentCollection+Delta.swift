// DocumentCollection+Delta: counter-style updates without rewriting the document. `$inc` and
// `$set` on fixed-size fields (and new fields) become one small RocksDB merge operand (a
// RecordPatch) in the usual commit, logged as an update description in the change log.

public import BSON
internal import Storage

/// One change of a delta update, in MongoDB's terms.
public enum FieldDelta: Sendable, Hashable {
    /// `$set`: the field at `path` (components of the dotted path) becomes `value`.
    case set(path: [String], value: BSONValue)
    /// `$inc`: the field at `path` grows by `by` (int32, int64 or double); a missing field is
    /// created with the value `by`.
    case increment(path: [String], by: BSONValue)
}

/// What ``DocumentCollection/applyDeltas(id:_:writeConcern:)`` did.
public enum DeltaOutcome: Sendable, Hashable {
    /// The document exists and the changes were applied as a delta; `modified` is `false`
    /// when they left it unchanged (then nothing was written, as MongoDB's `nModified: 0`).
    case applied(modified: Bool)
    /// No document has that `_id` (nothing was written; an upsert inserts now).
    case documentNotFound
    /// The changes need a full rewrite of the document; nothing was written.
    case notApplicable
}

extension DocumentCollection {
    /// Applies `changes` to the document whose `_id` is `id` as one small merge operand, whose
    /// size follows the changes, not the document.
    ///
    /// A delta applies when every change either sets or increments an existing field holding
    /// a fixed-size value (number, Boolean, date, ObjectId, timestamp, ...) to a value of the
    /// same type, or creates a new field in an existing embedded document (creating missing
    /// embedded documents on the way, as MongoDB does). Increments follow MongoDB's `$inc`
    /// rules (int32 overflow gives an int64, a double makes a double); a change of type, a
    /// path through an array, a variable-size value replaced, a path any index of the
    /// collection reads (key fields equal to, under or above the path, wildcard keys,
    /// partial filter fields), or a result over 16 MiB make it ``DeltaOutcome/notApplicable``:
    /// the caller then rewrites the document (and reports MongoDB's errors, if any).
    ///
    /// The changes are applied in MongoDB's update field order (names lexicographically,
    /// numeric names numerically), which decides where new fields go.
    public func applyDeltas(id: BSONValue, _ changes: [FieldDelta], writeConcern: WriteConcern) throws(MongoError) -> DeltaOutcome {
        // Inside a transaction the caller rewrites the document, which the transaction buffers.
        guard transaction == nil, let request = RecordPatchRequest(changes) else { return .notApplicable }
        guard let collection = store.catalog.openCollection(namespace) else { return .documentNotFound }
        let key = KeyEncoding.key(for: id)
        let planner = RecordPatchPlanner(registry: store.shapes, sizes: store.recordBSONSize, owner: namespace.description)
        let namespace = self.namespace
        return try store.commit(writeConcern) { (pending) throws(MongoError) -> DeltaOutcome in
            // Checked inside the commit section, so no index or drop can slip in between.
            guard let current = store.catalog.collection(namespace), current.id == collection.description.id else {
                throw MongoError(.namespaceNotFound, "collection \(namespace) was dropped during the write")
            }
            let building = store.catalog.openCollection(namespace)?.building.map(\.description) ?? []
            if request.touches(current.indexes + building) { return .notApplicable }
            let stored: [UInt8]?
            do throws(StorageError) {
                stored = try store.storage.get(key, in: collection.keySpace)
            } catch {
                throw .storage(error)
            }
            guard let stored else { return .documentNotFound }
            let outcome: RecordPatchPlanner.Outcome
            do throws(RecordError) {
                outcome = try planner.plan(request, record: stored)
            } catch {
                throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
            }
            switch outcome {
            case .notApplicable:
                return .notApplicable
            case .unchanged:
                return .applied(modified: false)
            case let .patch(patch, shapes, updatedFields):
                pending.batch.merge(key, patch.serialized(), in: collection.keySpace)
                pending.persist(shapes)
                let description: BSONDocument = ["updatedFields": .document(updatedFields), "removedFields": .array([])]
                let preImage = current.recordsPreImages ? try decode(stored, decoder: RecordDecoder(registry: store.shapes)) : nil
                // The planner's updatedFields, set in order, redo the change exactly (paths
                // through embedded documents only; new fields appended in order), so the log
                // stays as small as the patch.
                try pending.log(.update, database: namespace.database, collection: namespace.collection,
                                documentKey: id, document: description, preImage: preImage, updatedFieldsRedo: true,
                                collectionID: current.id)
                return .applied(modified: true)
            }
        }
    }
}
