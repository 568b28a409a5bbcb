// IndexBuild: hybrid (non-blocking) index builds — an index that exists for writers but not
// yet for readers, and the builder that fills it while writes go on.
//
// Design (MongoDB's hybrid build, without its side-writes table):
//  1. Register. Under the commit section the new index joins its collection's `building`
//     list (in memory only: nothing is in the catalog key space yet). From the next commit
//     on, every writer maintains it through IndexMaintenance exactly as a ready index, with
//     three differences: a unique conflict or a document that cannot be indexed does not fail
//     the write, it is noted here (the build fails, as MongoDB's constraint-violation table
//     makes it); multikey fields are noted here, not in the catalog; and the planner never
//     sees it (it is not in the collection description). Notes are taken when the write
//     commits (still inside the commit section), so a write that fails notes nothing.
//  2. Scan. Outside the commit section the builder walks the collection's `_id` keys (an
//     iterator opened after registration, so every document committed before it is seen).
//     For each batch it takes the commit section briefly, reads the *current* version of each
//     document and puts its entries. Entry keys are deterministic (key fields + `_id` key), so
//     putting an entry a writer already put is harmless; a document deleted since is skipped;
//     one inserted since was indexed by its writer. The invariant: every entry in the index is
//     a key the document has now (writers delete what they change; the builder writes only the
//     current version), and once the scan is over every document's keys are there.
//  3. Commit. Under the commit section: a failure a writer noted fails the build; each unique
//     key a writer saw twice is re-checked (still two documents → DuplicateKey 11000); then one
//     journaled commit writes the catalog record and moves the index to the ready list.
// A duplicate the builder meets itself fails the build at once (both documents exist now).
// Any failure — DuplicateKey, killOp (11601), shutdown (11600), maxTimeMS — unregisters the
// index under the commit section and drops its key space. A crash mid-build leaves a key space
// no catalog record names, which the next open drops (Catalog.load), so no half index survives.
// Writers wait for at most one batch (`batchSize` point reads); DDL still waits for the whole
// build (the DDL section), as does the first write that creates a new collection.
//
// On an engine several servers share (PostgreSQL, DocumentStore.indexBuildMode == .locked)
// the registration would be in this server's memory only: another server's writers would not
// maintain the index. There the same builder runs with the commit section — and with it the
// database-wide commit lock — held from before the scan to after the commit
// (`holdsCommitSection`), so no writer anywhere commits during the build; nothing is
// registered, and the notes stay empty.

internal import BSON
internal import Storage
internal import Synchronization

/// An index being built: registered with its collection so writers maintain it, not yet
/// usable by readers.
///
/// Shared by the builder and every writer's IndexMaintenance; what writers note is read by
/// the builder under the commit section.
final class IndexBuild: Sendable {
    /// The index as it will be recorded (key space id set, multikey fields not yet known).
    let description: IndexDescription
    /// Where writers and the builder put its entries.
    let index: Catalog.OpenIndex

    /// What writers noted while the build ran.
    struct Notes: Sendable {
        /// The first error a writer met indexing a document (parallel arrays, a filter).
        var failure: MongoError?
        /// Unique keys a writer found another document holding: encoded key → its values.
        var conflicts: [[UInt8]: [BSONValue]] = [:]
        /// Multikey names (key field paths, wildcard array paths) writers found.
        var multikey: Set<String> = []
    }

    private let notes = Mutex(Notes())

    init(description: IndexDescription, index: Catalog.OpenIndex) {
        self.description = description
        self.index = index
    }

    /// Records that a writer could not index a document; the build will fail with `error`.
    func noteFailure(_ error: MongoError) {
        notes.withLock { notes in
            if notes.failure == nil { notes.failure = error }
        }
    }

    /// Records a unique key a writer saw held by another document too.
    func noteConflict(_ encoded: [UInt8], values: [BSONValue]) {
        notes.withLock { $0.conflicts[encoded] = values }
    }

    /// Records multikey names a writer found.
    func noteMultikey(_ positions: Set<String>) {
        guard !positions.isEmpty else { return }
        notes.withLock { $0.multikey.formUnion(positions) }
    }

    /// What writers have noted so far.
    var noted: Notes { notes.withLock { $0 } }
}

/// Fills a registered IndexBuild from the collection's documents while writers go on, then
/// makes it ready (steps 2 and 3 of the file header).
struct HybridIndexBuilder {
    let store: DocumentStore
    let namespace: Namespace
    /// The collection the build was registered with (its id detects a drop and re-create).
    let collection: Catalog.OpenCollection
    let build: IndexBuild
    /// Polled per document scanned: a killed, timed-out or shut-down build is abandoned.
    let interrupt: OperationInterrupt
    /// Documents indexed per hold of the commit section.
    let batchSize = 64
    /// Whether the caller holds the commit section for the whole build (a locked build on a
    /// shared engine): then batches and the final commit do not take it again.
    var holdsCommitSection = false

    init(store: DocumentStore, namespace: Namespace, collection: Catalog.OpenCollection, build: IndexBuild,
         interrupt: OperationInterrupt, holdsCommitSection: Bool = false) {
        self.store = store
        self.namespace = namespace
        self.collection = collection
        self.build = build
        self.interrupt = interrupt
        self.holdsCommitSection = holdsCommitSection
    }

    private var index: Catalog.OpenIndex { build.index }

    /// Scans, then commits the index; returns its final description.
    ///
    /// - Throws: `DuplicateKey` (11000), `CannotIndexParallelArrays` (171), the partial
    ///   filter's error, the interrupt's error, or `NamespaceNotFound` (26) when the
    ///   collection was dropped. The caller unregisters the build and drops its key space.
    func run() throws(MongoError) -> IndexDescription {
        var multikey = try scan()
        return try store.commit(.journaled, holdingSection: holdsCommitSection) { (pending) throws(MongoError) -> IndexDescription in
            try checkCollection()
            let noted = build.noted
            if let failure = noted.failure { throw failure }
            for (encoded, values) in noted.conflicts.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                var holders = 0
                _ = try IndexMaintenance.firstEntry(withPrefix: encoded, in: index.keySpace, storage: store.storage) { _ in
                    holders += 1
                    return holders > 1
                }
                if holders > 1 { throw duplicateKey(values) }
            }
            multikey.formUnion(noted.multikey)
            var built = build.description
            built.multikeyFields = index.spec.multikeyFields(multikey)
            let ready = built
            pending.batch.put(CatalogKey.index(collection: collection.description.id, name: ready.name),
                              try bson(ready.catalogRecord), in: store.catalogKeySpace)
            var next: [UInt8] = []
            // The index's own id too: on a shared engine ids come from the database counter,
            // not from this catalog's.
            KeyEncoding.appendBigEndian(max(store.catalog.withState { $0.nextCollectionID }, (ready.keySpaceID ?? 0) + 1), to: &next)
            pending.batch.put(CatalogKey.nextCollectionID, next, in: store.catalogKeySpace)
            try pending.log(.createIndex, database: namespace.database, collection: namespace.collection,
                            document: ready.document, collectionID: collection.description.id)
            let (catalog, namespace, build, open) = (store.catalog, namespace, build, index)
            pending.onCommit {
                catalog.withState { state in
                    state.collections[namespace]?.building.removeAll { $0 === build }
                    state.collections[namespace]?.description.indexes.append(ready)
                    state.collections[namespace]?.indexes.append(open)
                }
            }
            return ready
        }
    }

    /// Indexes every document committed before the build was registered, a batch at a time;
    /// returns the multikey names found.
    private func scan() throws(MongoError) -> Set<String> {
        let storage = store.storage
        let cursor = try storing { () throws(StorageError) in try storage.makeCursor(over: .all, in: collection.keySpace) }
        cursor.seekToFirst()
        var poll = interrupt.poll(every: 64)
        var multikey: Set<String> = []
        var ids: [[UInt8]] = []
        ids.reserveCapacity(batchSize)
        while true {
            ids.removeAll(keepingCapacity: true)
            while ids.count < batchSize, let key = cursor.key {
                try poll.tick()
                ids.append(key)
                cursor.next()
            }
            try storing { () throws(StorageError) in try cursor.checkStatus() }
            guard !ids.isEmpty else { return multikey }
            try interrupt.check()
            if holdsCommitSection {
                multikey.formUnion(try indexBatch(ids))
            } else {
                multikey.formUnion(try store.commitSection.withLock { () throws(MongoError) -> Set<String> in try indexBatch(ids) })
            }
        }
    }

    /// Puts the entries of the current version of each document in `ids` (holding the
    /// commit section, so no writer changes them meanwhile).
    private func indexBatch(_ ids: [[UInt8]]) throws(MongoError) -> Set<String> {
        try checkCollection()
        if let failure = build.noted.failure { throw failure }
        let storage = store.storage
        let generator = IndexKeyGenerator(index.spec)
        let decoder = RecordDecoder(registry: store.shapes)
        let handle = store.collection(namespace)
        var multikey: Set<String> = []
        let batch = try storing { () throws(StorageError) in try storage.makeWriteBatch() }
        // Unique keys put in `batch`, not yet readable from the key space: key → `_id` key.
        var unwritten: [[UInt8]: [UInt8]] = [:]
        for idKey in ids {
            guard let record = try storing({ () throws(StorageError) in try storage.get(idKey, in: collection.keySpace) })
            else { continue }  // deleted since the scan passed it
            let document = try handle.decode(record, decoder: decoder)
            guard try index.includes(document) else { continue }
            let generated = try generator.keys(for: document)
            multikey.formUnion(generated.multikeyNames(index.spec.fields))
            let id = document["_id"] ?? .null
            for key in generated.keys {
                if index.spec.isUnique {
                    let prefixLength = key.encoded.count
                    let taken = try IndexMaintenance.firstEntry(withPrefix: key.encoded, in: index.keySpace, storage: storage) {
                        entryKey in !entryKey[prefixLength...].elementsEqual(idKey)
                    }
                    if taken || unwritten[key.encoded].map({ $0 != idKey }) == true { throw duplicateKey(key.values) }
                    unwritten[key.encoded] = idKey
                }
                batch.put(IndexEntryCodec.entryKey(fields: key.encoded, id: idKey),
                          try IndexEntryCodec.entryValue(values: key.values, id: id), in: index.keySpace)
            }
        }
        if !batch.isEmpty {
            try storing { () throws(StorageError) in try storage.write(batch, durability: .buffered) }
        }
        return multikey
    }

    /// Throws when the collection was dropped (or dropped and re-created) since registration.
    private func checkCollection() throws(MongoError) {
        guard let current = store.catalog.openCollection(namespace), current.description.id == collection.description.id else {
            throw MongoError(.namespaceNotFound, "collection \(namespace) was dropped during the index build")
        }
    }

    private func duplicateKey(_ values: [BSONValue]) -> MongoError {
        IndexMaintenance.duplicateKey(namespace: namespace, index: index.name, fields: index.spec.fields, values: values)
    }

    private func storing<Result>(_ body: () throws(StorageError) -> Result) throws(MongoError) -> Result {
        do {
            return try body()
        } catch {
            throw .storage(error)
        }
    }
}
