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
    /// The changes needed a full rewrite, and the caller's `otherwise` transform did it in the
    /// same commit; `modified` is `false` when the transform left the document unchanged.
    case rewritten(modified: Bool)
    /// No document had that `_id`, and the caller's `orInsert` document was inserted in the
    /// same commit (an upsert); its `_id`.
    case upserted(BSONValue)
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
    ///
    /// With `otherwise`, changes that need a full rewrite are not handed back: inside the same
    /// commit the current document goes through `otherwise` (as ``modify(id:writeConcern:loggedAs:_:)``'s
    /// transform, logged as an update) and the outcome is ``DeltaOutcome/rewritten(modified:)``.
    /// With `orInsert`, a missing document is not handed back either: the document it builds
    /// is inserted in the same commit (an upsert; `DuplicateKey` when a unique index refuses
    /// it) and the outcome is ``DeltaOutcome/upserted(_:)``. A missing collection is still
    /// ``DeltaOutcome/documentNotFound`` (creating one is not a document commit).
    /// One commit instead of two matters most where a commit is a database transaction.
    public func applyDeltas(
        id: BSONValue, _ changes: [FieldDelta], writeConcern: WriteConcern,
        otherwise rewrite: ((BSONDocument) throws(MongoError) -> BSONDocument?)? = nil,
        orInsert insertion: (() throws(MongoError) -> BSONDocument)? = nil
    ) throws(MongoError) -> DeltaOutcome {
        // Inside a transaction the caller rewrites the document, which the transaction buffers.
        guard transaction == nil, let request = RecordPatchRequest(changes) else { return .notApplicable }
        guard let collection = store.catalog.openCollection(namespace) else { return .documentNotFound }
        let key = KeyEncoding.key(for: id)
        let planner = RecordPatchPlanner(registry: store.shapes, sizes: store.recordBSONSize, owner: namespace.description)
        let namespace = self.namespace
        return try store.commit(writeConcern) { (pending) throws(MongoError) -> DeltaOutcome in
            // Checked inside the commit section, so no index or drop can slip in between.
            let current = try stillExisting(collection)
            let touchesIndexes = request.touches(current.description.indexes + current.building.map(\.description))
            if touchesIndexes && rewrite == nil { return .notApplicable }
            guard let stored = try read({ () throws(StorageError) in try store.storage.get(key, in: current.keySpace) })
            else {
                guard let insertion else { return .documentNotFound }
                // Encoded inside the commit section, where no shape reclamation can run.
                let prepared = try prepare([try insertion()])
                try add(prepared, to: current, pending: pending)
                return .upserted(prepared.first?.id ?? id)
            }
            var outcome = RecordPatchPlanner.Outcome.notApplicable
            if !touchesIndexes {
                do throws(RecordError) {
                    outcome = try planner.plan(request, record: stored)
                } catch {
                    throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
                }
            }
            switch outcome {
            case .notApplicable:
                guard let rewrite else { return .notApplicable }
                let rewritten = try self.rewrite(stored, id: id, key: key, current: current, pending: pending,
                                                 loggedAs: .update, rewrite)
                return .rewritten(modified: rewritten == .replaced)
            case .unchanged:
                return .applied(modified: false)
            case let .patch(patch, shapes, updatedFields):
                pending.batch.merge(key, patch.serialized(), in: current.keySpace)
                pending.persist(shapes)
                let description: BSONDocument = ["updatedFields": .document(updatedFields), "removedFields": .array([])]
                let preImage = current.description.recordsPreImages ? try decode(stored, decoder: RecordDecoder(registry: store.shapes)) : nil
                // The planner's updatedFields, set in order, redo the change exactly (paths
                // through embedded documents only; new fields appended in order), so the log
                // stays as small as the patch.
                try pending.log(.update, database: namespace.database, collection: namespace.collection,
                                documentKey: id, document: description, preImage: preImage, updatedFieldsRedo: true,
                                collectionID: current.description.id)
                return .applied(modified: true)
            }
        }
    }
}
