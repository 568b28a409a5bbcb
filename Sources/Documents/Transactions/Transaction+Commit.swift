// Transaction+Commit: applies a transaction's buffered writes in one store commit — documents,
// index entries (unique keys checked now, against the latest state) and change log entries
// together — after checking that no written document changed since the snapshot.

public import BSON
internal import Storage

extension Transaction {
    /// Applies every buffered write atomically, or (on any error) none; the transaction ends
    /// either way.
    ///
    /// - Throws: `WriteConflict` (112, label `TransientTransactionError`) when another commit
    ///   changed a written document (or dropped a written collection) since the snapshot;
    ///   `DuplicateKey` (11000) for a unique index key another document now has;
    ///   `NoSuchTransaction` (251) when already aborted. Committing twice is harmless.
    public func commit(writeConcern: WriteConcern = .acknowledged) throws(MongoError) {
        let taken = try buffer.withLock { (buffer) throws(MongoError) -> Buffer? in
            if buffer.state == .committed { return nil }
            try Self.checkActive(buffer.state)
            let taken = buffer
            buffer.collections = [:]
            buffer.changes = []
            buffer.shapes = []
            buffer.created = [:]
            return taken
        }
        guard let taken else { return }
        defer { store.writeIntents.release(intentOwner) }
        do throws(MongoError) {
            if taken.created.isEmpty {
                if !taken.collections.isEmpty {
                    try store.commit(writeConcern) { (pending) throws(MongoError) in
                        try apply(taken, to: pending)
                    }
                }
            } else {
                // Collections created here: no other DDL may create them between the check
                // and the catalog change.
                try store.ddlSection.withLock { () throws(MongoError) in
                    try store.commit(writeConcern) { (pending) throws(MongoError) in
                        try stageCreations(taken.created, in: pending)
                        try apply(taken, to: pending)
                    }
                }
            }
        } catch {
            buffer.withLock { buffer in
                buffer.state = .aborted
                buffer.created = taken.created
            }
            releaseCreatedKeySpaces()
            throw error
        }
        buffer.withLock { $0.state = .committed }
    }

    /// Fills `pending` with the buffered writes (inside the commit section).
    private func apply(_ taken: Buffer, to pending: PendingCommit) throws(MongoError) {
        // Shapes reclaimed since the transaction began may be named by its buffered records.
        guard store.shapes.reclaimGeneration == shapeGeneration else { throw Self.writeConflict() }
        let decoder = RecordDecoder(registry: store.shapes)
        for namespace in taken.collections.keys.sorted() {
            guard let writes = taken.collections[namespace] else { continue }
            guard let current = taken.created[namespace] ?? store.catalog.openCollection(namespace),
                  current.description.id == writes.id
            else {
                throw Self.writeConflict()
            }
            let indexes = IndexMaintenance(store: store, namespace: namespace, collection: current, pending: pending)
            // Deletes first, so a unique key moved from one document to another is free again.
            let ordered = writes.documents.sorted { lhs, rhs in
                let (left, right) = (lhs.value.record == nil, rhs.value.record == nil)
                return left != right ? left : lhs.key.lexicographicallyPrecedes(rhs.key)
            }
            for (key, write) in ordered {
                let latest: [UInt8]?
                do {
                    latest = try store.storage.get(key, in: current.keySpace)
                } catch {
                    throw .storage(error)
                }
                guard latest == write.base else { throw Self.writeConflict() }
                let old: BSONDocument?
                if let latest, !indexes.isEmpty {
                    do {
                        old = try decoder.document(latest)
                    } catch {
                        throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
                    }
                } else {
                    old = nil
                }
                switch write.value {
                case let .put(document, id, record):
                    if let old {
                        try indexes.replace(old, with: document, id: id, idKey: key)
                    } else if latest == nil {
                        try indexes.insert(document, id: id, idKey: key)
                    } else if !indexes.isEmpty {
                        throw MongoError(.internalError, "a record of \(namespace) could not be read for its index entries")
                    }
                    pending.batch.put(key, record, in: current.keySpace)
                case .deleted:
                    guard latest != nil else { continue }
                    if let old { try indexes.delete(old, idKey: key) }
                    pending.batch.delete(key, in: current.keySpace)
                }
            }
            try indexes.finish()
        }
        pending.persist(taken.shapes)
        for change in taken.changes {
            try pending.log(change.operation, database: change.namespace.database,
                            collection: change.namespace.collection, documentKey: change.documentKey,
                            document: change.document, record: change.record, preImage: change.preImage,
                            postImage: change.postImage, collectionID: taken.collections[change.namespace]?.id)
        }
    }
}
