// DocumentStore's shape reclamation: a sweep that finds the shapes no stored record names (in
// any collection or in the change log) and forgets them — their charge and their persisted
// definitions — and the release of a dropped collection's charge. Together they make running
// out of shapes never permanent. The sweep runs on `compact` and after drops that released
// many shapes — never on an engine several servers share (DocumentStore.reclaimsShapes).

public import BSON
internal import Storage

/// What one shape reclamation did.
public struct ShapeReclamationResult: Sendable, Equatable {
    /// Records read (collections' documents and change log records).
    public var scannedRecords = 0
    /// Shapes forgotten: their charge released and their definitions deleted.
    public var reclaimedShapes = 0

    /// A result from its figures.
    public init(scannedRecords: Int = 0, reclaimedShapes: Int = 0) {
        self.scannedRecords = scannedRecords
        self.reclaimedShapes = reclaimedShapes
    }
}

extension DocumentStore {
    /// Forgets every shape that no stored record names: its owner's charge goes down (so
    /// the collection, and the store, may create that many new ones), its definition is
    /// deleted from the catalog, and its id is not reused while the process runs.
    ///
    /// Reads every collection's records and the change log's, holding the commit section:
    /// writes wait for the sweep. A shape created while it runs is never forgotten by it. A
    /// write that encoded its records before the sweep re-encodes them when it commits
    /// (``ShapeRegistry/reclaimGeneration``); a transaction that began before a sweep that
    /// forgot shapes fails with `WriteConflict` (112, retryable) when it commits. Cursors on
    /// an older storage snapshot that meet a forgotten shape fail rather than misread.
    ///
    /// On a store whose engine other servers share (``reclaimsShapes`` false) it does nothing
    /// and reports nothing scanned: their records and writes in flight may name any shape.
    ///
    /// - Throws: storage failures, or `InternalError` for a record that cannot be read (then
    ///   nothing is forgotten).
    @discardableResult
    public func reclaimUnusedShapes() throws(MongoError) -> ShapeReclamationResult {
        guard reclaimsShapes else { return ShapeReclamationResult() }
        commitSection.lock()
        defer { commitSection.unlock() }
        // Everything below this id existed before the scan; newer shapes are kept.
        let highWater = shapes.idCount
        let snapshot = shapes.snapshot()
        let decoder = RecordDecoder(registry: shapes)
        var used: Set<ShapeID> = []
        var result = ShapeReclamationResult()
        let markRecord = { (bytes: [UInt8], used: inout Set<ShapeID>) throws(MongoError) in
            let document: BSONDocument
            do {
                document = try decoder.document(bytes)
            } catch {
                throw MongoError(.internalError, "shape reclamation: unreadable record: \(error)")
            }
            guard snapshot.collectShapes(of: document, into: &used) else {
                throw MongoError(.internalError, "shape reclamation: a record's shape is not in the registry")
            }
        }
        let collections = catalog.withState { Array($0.collections.values) }
        for collection in collections {
            try scanAll(collection.keySpace) { (_, value) throws(MongoError) in
                try markRecord(Array(value), &used)
                result.scannedRecords += 1
            }
        }
        try scanAll(changeLog.keySpace) { (_, value) throws(MongoError) in
            guard let stored = try? BSONDocument(bsonBytes: Array(value)) else {
                throw MongoError(.internalError, "shape reclamation: unreadable change log entry")
            }
            for field in ["rec", "post"] {
                if case let .binary(record)? = stored[field] {
                    try markRecord(record.bytes, &used)
                    result.scannedRecords += 1
                }
            }
        }
        let forgotten = shapes.reclaim(keeping: used, createdBefore: highWater)
        shapeReclaimBaseline.store(shapes.releasedCount, ordering: .relaxed)
        result.reclaimedShapes = forgotten.count
        guard !forgotten.isEmpty else { return result }
        // Forgotten in memory already; if this write fails the definitions stay on disk and
        // come back, unused, at the next open (a later sweep forgets them again).
        let catalogKeySpace = self.catalogKeySpace
        try commit(.journaled, holdingSection: true) { (pending) throws(MongoError) in
            for id in forgotten { pending.batch.delete(CatalogKey.shape(id), in: catalogKeySpace) }
        }
        return result
    }

    /// Stops charging the collections at `namespaces` for their shapes (they were dropped or
    /// renamed away). Called once their catalog change has committed.
    func releaseShapeCharges(of namespaces: [Namespace]) {
        for namespace in namespaces { shapes.releaseCharges(of: namespace.description) }
    }

    /// Runs ``reclaimUnusedShapes()`` when drops have released at least
    /// ``DocumentStoreOptions/shapeReclaimThreshold`` shapes since the last sweep, so the
    /// sweep's cost is paid once per that many shapes. Best effort: the drop that calls it has
    /// already succeeded, and a failed sweep is simply tried again after a later drop.
    func reclaimShapesIfManyReleased() {
        let released = shapes.releasedCount
        guard released - shapeReclaimBaseline.load(ordering: .relaxed) >= shapeReclaimThreshold else { return }
        _ = try? reclaimUnusedShapes()
    }

    /// After opening: shapes charged to collections that no longer exist (dropped before a
    /// restart) are charged to nobody, as they were before the restart.
    func releaseChargesOfMissingOwners() {
        let existing = Set(catalog.withState { $0.collections.keys.map(\.description) })
        for owner in shapes.owners where !existing.contains(owner) { shapes.releaseCharges(of: owner) }
        shapeReclaimBaseline.store(0, ordering: .relaxed)
    }

    /// Calls `body` with every entry of `keySpace` (a dropped key space has none).
    private func scanAll(
        _ keySpace: any KeySpace, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(MongoError) -> Void
    ) throws(MongoError) {
        try scanEntries(of: storage, in: keySpace, range: .all) { (key, value) throws(MongoError) -> Bool in
            try body(key, value)
            return true
        }
    }
}
