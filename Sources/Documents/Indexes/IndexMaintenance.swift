// IndexMaintenance: keeps a collection's secondary indexes in step with its documents within
// one commit — entries put and deleted in the same batch as the document, unique keys checked
// against the index and the batch itself, multikey flags persisted when first seen. Indexes
// still being built are maintained too, but what would fail the write is noted for their
// build instead (IndexBuild.swift).

internal import BSON
internal import Storage

/// The index side of one commit's document writes.
///
/// Made inside `DocumentStore.commit`, from the collection as the catalog knows it inside the
/// commit section, so no index is created or dropped while it works and every unique check
/// reads a state no other writer can change before this batch is written. Not `Sendable`:
/// it fills one commit's batch on one thread.
final class IndexMaintenance {
    private let store: DocumentStore
    private let namespace: Namespace
    private let collection: Catalog.OpenCollection
    private let pending: PendingCommit
    /// The ready indexes, then the ones being built.
    private let indexes: [Catalog.OpenIndex]
    /// Per index: its build, when it is still being built.
    private let builds: [IndexBuild?]
    private let generators: [IndexKeyGenerator]
    /// Per index: the `_id` key of each unique key added in this commit.
    private var added: [[[UInt8]: [UInt8]]]
    /// Per index: the entry keys deleted in this commit.
    private var removed: [Set<[UInt8]>]
    /// Per index: multikey names (key field paths, wildcard array paths) seen in this commit.
    private var multikey: [Set<String>]

    init(store: DocumentStore, namespace: Namespace, collection: Catalog.OpenCollection, pending: PendingCommit) {
        self.store = store
        self.namespace = namespace
        self.collection = collection
        self.pending = pending
        indexes = collection.indexes + collection.building.map(\.index)
        builds = Array(repeating: nil, count: collection.indexes.count) + collection.building.map { Optional($0) }
        generators = indexes.map { IndexKeyGenerator($0.spec) }
        added = Array(repeating: [:], count: indexes.count)
        removed = Array(repeating: [], count: indexes.count)
        multikey = Array(repeating: [], count: indexes.count)
    }

    /// Whether the collection has no secondary index, ready or building (then nothing here
    /// does anything).
    var isEmpty: Bool { indexes.isEmpty }

    /// Adds the entries of a new document.
    ///
    /// - Throws: `DuplicateKey` (11000) for a unique key another document has (in the index
    ///   or earlier in this commit), `CannotIndexParallelArrays` (171), or the partial filter's
    ///   error when it cannot be evaluated.
    func insert(_ document: BSONDocument, id: BSONValue, idKey: [UInt8]) throws(MongoError) {
        for position in indexes.indices {
            for key in try keys(of: document, index: position) {
                try add(key, index: position, id: id, idKey: idKey)
            }
        }
    }

    /// Removes the entries of a deleted document.
    func delete(_ document: BSONDocument, idKey: [UInt8]) throws(MongoError) {
        for position in indexes.indices {
            for key in try keys(of: document, index: position, forRemoval: true) {
                remove(key, index: position, idKey: idKey)
            }
        }
    }

    /// Replaces the entries of `old` with those of `new` (same `_id`), writing only the
    /// entries that change.
    func replace(_ old: BSONDocument, with new: BSONDocument, id: BSONValue, idKey: [UInt8]) throws(MongoError) {
        for position in indexes.indices {
            let previousKeys = try keys(of: old, index: position, forRemoval: true)
            var before: [[UInt8]: [BSONValue]] = [:]
            for key in previousKeys { before[key.encoded] = key.values }
            let after = try keys(of: new, index: position)
            let kept = Set(after.map(\.encoded))
            for key in previousKeys where !kept.contains(key.encoded) {
                remove(key, index: position, idKey: idKey)
            }
            for key in after {
                if let previous = before[key.encoded] {
                    // Same key: rewrite only when the stored values differ (1 became 1.0).
                    if previous != key.values {
                        pending.batch.put(IndexEntryCodec.entryKey(fields: key.encoded, id: idKey),
                                          try IndexEntryCodec.entryValue(values: key.values, id: id),
                                          in: indexes[position].keySpace)
                    }
                } else {
                    try add(key, index: position, id: id, idKey: idKey)
                }
            }
        }
    }

    /// Persists, in this commit, the multikey fields first seen by it.
    func finish() throws(MongoError) {
        var updated: [IndexDescription] = []
        for (position, index) in collection.indexes.enumerated() where !multikey[position].isEmpty {
            guard var description = collection.index(named: index.name) else { continue }
            let known = Set(description.multikeyFields)
            let fields = index.spec.multikeyFields(known.union(multikey[position]))
            guard fields.count != known.count else { continue }
            description.multikeyFields = fields
            pending.batch.put(CatalogKey.index(collection: collection.description.id, name: description.name),
                              try bson(description.catalogRecord), in: store.catalogKeySpace)
            updated.append(description)
        }
        for (position, build) in builds.enumerated() {
            guard let build else { continue }
            let fields = multikey[position]
            pending.onCommit(catalog: false) { build.noteMultikey(fields) }
        }
        guard !updated.isEmpty else { return }
        let (catalog, namespace, id) = (store.catalog, namespace, collection.description.id)
        pending.onCommit {
            catalog.withState { state in
                guard state.collections[namespace]?.description.id == id else { return }
                for description in updated {
                    guard let slot = state.collections[namespace]?.description.indexes.firstIndex(where: { $0.name == description.name })
                    else { continue }
                    state.collections[namespace]?.description.indexes[slot].multikeyFields = description.multikeyFields
                }
            }
        }
    }

    // MARK: Entries

    private func keys(of document: BSONDocument, index position: Int, forRemoval: Bool = false) throws(MongoError) -> [IndexKeyGenerator.Key] {
        guard let build = builds[position] else { return try readyKeys(of: document, index: position, forRemoval: forRemoval) }
        do {
            return try readyKeys(of: document, index: position, forRemoval: forRemoval)
        } catch {
            // The document cannot go in the index: the build fails, not the write (once the
            // write commits: a write that fails after this leaves the build alone).
            if !forRemoval { pending.onCommit(catalog: false) { build.noteFailure(error) } }
            return []
        }
    }

    private func readyKeys(of document: BSONDocument, index position: Int, forRemoval: Bool) throws(MongoError) -> [IndexKeyGenerator.Key] {
        let index = indexes[position]
        let included: Bool
        if forRemoval {
            // A filter that cannot be evaluated must not block deletes: removing entries that
            // do not exist is harmless.
            included = (try? index.includes(document)) ?? true
        } else {
            included = try index.includes(document)
        }
        guard included else { return [] }
        let generated = try generators[position].keys(for: document)
        if !forRemoval { multikey[position].formUnion(generated.multikeyNames(index.spec.fields)) }
        return generated.keys
    }

    private func add(_ key: IndexKeyGenerator.Key, index position: Int, id: BSONValue, idKey: [UInt8]) throws(MongoError) {
        let index = indexes[position]
        if index.spec.rejectsNewDuplicates {
            var conflict = false
            if let other = added[position][key.encoded], other != idKey { conflict = true }
            if !conflict {
                let removed = removed[position]
                conflict = try IndexMaintenance.firstEntry(withPrefix: key.encoded, in: index.keySpace, storage: store.storage) {
                    entryKey in !removed.contains(entryKey) && !entryKey[key.encoded.count...].elementsEqual(idKey)
                }
            }
            if conflict {
                // A build re-checks the key when it finishes; a ready index refuses the write.
                guard let build = builds[position] else { throw duplicateKey(index, key.values) }
                let (encoded, values) = (key.encoded, key.values)
                pending.onCommit(catalog: false) { build.noteConflict(encoded, values: values) }
            }
            added[position][key.encoded] = idKey
        }
        pending.batch.put(IndexEntryCodec.entryKey(fields: key.encoded, id: idKey),
                          try IndexEntryCodec.entryValue(values: key.values, id: id), in: index.keySpace)
    }

    private func remove(_ key: IndexKeyGenerator.Key, index position: Int, idKey: [UInt8]) {
        let entryKey = IndexEntryCodec.entryKey(fields: key.encoded, id: idKey)
        pending.batch.delete(entryKey, in: indexes[position].keySpace)
        removed[position].insert(entryKey)
        if added[position][key.encoded] == idKey { added[position][key.encoded] = nil }
    }

    private func duplicateKey(_ index: Catalog.OpenIndex, _ values: [BSONValue]) -> MongoError {
        IndexMaintenance.duplicateKey(namespace: namespace, index: index.name, fields: index.spec.fields, values: values)
    }

    /// MongoDB's duplicate key error: `E11000 duplicate key error collection: db.c index:
    /// a_1 dup key: { a: 1 }`.
    static func duplicateKey(namespace: Namespace, index: String, fields: [IndexKeyField], values: [BSONValue]) -> MongoError {
        let pairs = zip(fields, values).map { "\($0.path): \($1.extendedJSON())" }.joined(separator: ", ")
        var keyPattern = BSONDocument()
        var keyValue = BSONDocument()
        for (field, value) in zip(fields, values) {
            keyPattern.append(field.path, .int32(field.isDescending ? -1 : 1))
            keyValue.append(field.path, value)
        }
        return MongoError(.duplicateKey,
                          "E11000 duplicate key error collection: \(namespace) index: \(index) dup key: { \(pairs) }",
                          details: ["keyPattern": .document(keyPattern), "keyValue": .document(keyValue)])
    }

    /// Whether some entry of `keySpace` starting with `prefix` satisfies `isConflict`.
    static func firstEntry(
        withPrefix prefix: [UInt8], in keySpace: any KeySpace, storage: any StorageEngine, where isConflict: ([UInt8]) -> Bool
    ) throws(MongoError) -> Bool {
        do {
            let cursor = try storage.makeCursor(over: KeyRange.prefix(prefix), in: keySpace)
            cursor.seekToFirst()
            while let key = cursor.key {
                if isConflict(key) { return true }
                cursor.next()
            }
            try cursor.checkStatus()
            return false
        } catch {
            throw .storage(error)
        }
    }
}
