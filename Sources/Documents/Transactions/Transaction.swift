// Transaction: a multi-document transaction with snapshot isolation. Reads see one storage
// snapshot overlaid with the transaction's own buffered writes; writes are only buffered here
// and reach the store in one batch at commit (Transaction+Commit.swift). Never writes itself.

internal import Synchronization
public import BSON
internal import Storage

/// A multi-document transaction over one `DocumentStore`, across collections and databases.
///
/// Every read sees the store as it was when the transaction began, plus the transaction's own
/// writes. Writes are buffered (documents and the change log entries they will produce) and
/// applied atomically by ``commit(writeConcern:)``; ``abort()`` or dropping the transaction
/// leaves nothing behind. Conflicts are first-committer-wins: writing a document that another
/// commit changed after this transaction's snapshot, or that another open transaction has
/// written, fails at once with `WriteConflict` (112); a commit that finds a written document
/// changed since the snapshot fails the same way and writes nothing.
///
/// Use it through ``collection(_:)``: the returned `DocumentCollection` reads and writes
/// inside the transaction. Statements may come from any thread, one at a time or not: the
/// buffer is guarded by a mutex.
public final class Transaction: Sendable {
    /// Where a transaction is in its life.
    public enum State: Sendable, Equatable {
        /// Statements may run; nothing is visible to others.
        case active
        /// Its writes are in the store.
        case committed
        /// Its writes were discarded.
        case aborted
    }

    /// The store the transaction reads and writes.
    public let store: DocumentStore
    /// The point in time every read sees.
    let snapshot: any KeyValueSnapshot
    /// The buffered writes and the state.
    let buffer: Mutex<Buffer>
    /// This transaction's identity in the store's write intents.
    let intentOwner = WriteIntents.Owner()
    /// The shape registry's reclaim generation when the transaction began: if shapes are
    /// reclaimed before it commits, its buffered records may name one, and it conflicts.
    let shapeGeneration: UInt64

    /// Begins a transaction reading `store` as of now.
    public init(store: DocumentStore) throws(MongoError) {
        self.store = store
        shapeGeneration = store.shapes.reclaimGeneration
        do {
            snapshot = try store.storage.makeSnapshot()
        } catch {
            throw .storage(error)
        }
        buffer = Mutex(Buffer())
    }

    deinit {
        store.writeIntents.release(intentOwner)
        if buffer.withLock({ $0.state }) != .committed { releaseCreatedKeySpaces() }
    }

    /// The collection at `namespace` as this transaction sees it.
    public func collection(_ namespace: Namespace) -> DocumentCollection {
        DocumentCollection(store: store, namespace: namespace, transaction: self)
    }

    /// The transaction's state now.
    public var state: State { buffer.withLock { $0.state } }

    /// How many document writes are buffered (a document written twice counts once).
    public var bufferedWriteCount: Int {
        buffer.withLock { $0.collections.values.reduce(0) { $0 + $1.documents.count } }
    }

    /// Discards every buffered write; the transaction ends. Aborting twice is harmless;
    /// aborting a committed transaction does nothing.
    public func abort() {
        buffer.withLock { buffer in
            guard buffer.state == .active else { return }
            buffer.state = .aborted
            buffer.collections = [:]
            buffer.changes = []
        }
        store.writeIntents.release(intentOwner)
        releaseCreatedKeySpaces()
    }

    // MARK: Buffer

    /// One write of a document, as it will be applied at commit.
    struct BufferedWrite: Sendable {
        /// The document's stored bytes as of the snapshot (`nil`: absent then). Commit checks
        /// that the store still holds exactly these.
        let base: [UInt8]?
        /// What the document becomes.
        var value: Value

        enum Value: Sendable {
            /// The document, its `_id` and its record bytes.
            case put(document: BSONDocument, id: BSONValue, record: [UInt8])
            /// Deleted.
            case deleted
        }

        /// The record bytes reads see, or `nil` when deleted.
        var record: [UInt8]? {
            if case let .put(_, _, record) = value { return record }
            return nil
        }
    }

    /// The writes to one collection.
    struct BufferedCollection: Sendable {
        /// The catalog id of the collection written (a drop and re-create changes it).
        let id: UInt64
        /// Its key space.
        let keySpace: any KeySpace
        /// Writes by document key.
        var documents: [[UInt8]: BufferedWrite] = [:] {
            didSet {
                ordered = nil
                indexEntries = [:]
                generation &+= 1
            }
        }
        /// `documents` in key order, built by the first read after a write: a cursor's
        /// batches resume into it by binary search instead of sorting the writes again.
        var ordered: [(key: [UInt8], write: BufferedWrite)]?
        /// The index entries the buffered documents will have, in key order, per index key
        /// space (the collection's own for `_id_`); built like ``ordered``.
        var indexEntries: [ObjectIdentifier: [OverlayEntry]] = [:]
        /// Counts changes to `documents`: a cache built from one generation is kept only
        /// while it is still current.
        var generation = 0
    }

    /// An index entry of a buffered document and its entry key.
    struct OverlayEntry: Sendable {
        let key: [UInt8]
        let entry: IndexEntry
    }

    /// A change log entry to write at commit, in statement order.
    struct BufferedChange: Sendable {
        let operation: ChangeLogEntry.Operation
        let namespace: Namespace
        let documentKey: BSONValue
        /// The new document's record (insert, replace).
        var record: [UInt8]?
        /// The update description (update).
        var document: BSONDocument?
        /// The document before the change, for collections that record pre-images.
        var preImage: BSONDocument?
        /// The new document's record (update), for the log's redo.
        var postImage: [UInt8]?
    }

    struct Buffer: Sendable {
        var state: State = .active
        var collections: [Namespace: BufferedCollection] = [:]
        var changes: [BufferedChange] = []
        var shapes: [ShapeDefinition] = []
        /// Collections this transaction created (with the indexes it built on them), which
        /// exist for others only once it commits (Transaction+Create.swift).
        var created: [Namespace: Catalog.OpenCollection] = [:]
        /// Per collection and index: the multikey names its buffered documents showed, which
        /// the catalog learns only at commit (Transaction+Multikey.swift).
        var multikey: [Namespace: [String: Set<String>]] = [:]
    }

    // MARK: Reads

    /// The record bytes of the document with key `key`, as this transaction sees them.
    func storedValue(forKey key: [UInt8], in collection: Catalog.OpenCollection, namespace: Namespace) throws(MongoError) -> [UInt8]? {
        let buffered = try buffer.withLock { (buffer) throws(MongoError) -> BufferedWrite? in
            try Self.checkActive(buffer.state)
            guard let writes = buffer.collections[namespace], writes.id == collection.description.id else { return nil }
            return writes.documents[key]
        }
        if let buffered { return buffered.record }
        return try snapshotValue(forKey: key, in: collection.keySpace)
    }

    /// The newest change log sequence the snapshot holds: the cluster time its reads are
    /// at (0 when the log holds nothing).
    public func snapshotSequence() throws(MongoError) -> UInt64 {
        do {
            let cursor = try snapshot.makeCursor(over: .all, in: store.changeLog.keySpace)
            cursor.seekToLast()
            let sequence = cursor.key.flatMap(CatalogKey.uint64) ?? 0
            try cursor.checkStatus()
            return sequence
        } catch {
            throw .storage(error)
        }
    }

    /// The snapshot's bytes for `key` (nothing when the key space was dropped).
    func snapshotValue(forKey key: [UInt8], in keySpace: any KeySpace) throws(MongoError) -> [UInt8]? {
        do {
            return try snapshot.get(key, in: keySpace)
        } catch where error.code == .keySpaceDropped {
            return nil
        } catch {
            throw .storage(error)
        }
    }

    /// The buffered writes to `collection` in key order (`nil` record: deleted), sorted once
    /// per write set and shared by every read until the next write.
    func overlay(of collection: Catalog.OpenCollection, namespace: Namespace) throws(MongoError)
        -> [(key: [UInt8], write: BufferedWrite)]
    {
        try buffer.withLock { (buffer) throws(MongoError) -> [(key: [UInt8], write: BufferedWrite)] in
            try Self.checkActive(buffer.state)
            guard let writes = buffer.collections[namespace], writes.id == collection.description.id else { return [] }
            if let ordered = writes.ordered { return ordered }
            let ordered = writes.documents.map { (key: $0.key, write: $0.value) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
            buffer.collections[namespace]?.ordered = ordered
            return ordered
        }
    }

    /// Calls `body` with each document record (key and bytes) of `collection` at or after
    /// `lower`, in key order, as this transaction sees them, until it returns `false`.
    func forEachStored(
        in collection: Catalog.OpenCollection, namespace: Namespace, from lower: [UInt8]? = nil,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws(MongoError) -> Bool
    ) throws(MongoError) {
        let overlay = try overlay(of: collection, namespace: namespace)
        let cursor: any KeyValueCursor
        do {
            cursor = try snapshot.makeCursor(over: lower.map { KeyRange(lowerBound: $0) } ?? .all, in: collection.keySpace)
        } catch where error.code == .keySpaceDropped {
            return
        } catch {
            throw .storage(error)
        }
        cursor.seekToFirst()
        var next = lower.map { (lower) in Self.firstPosition(in: overlay.count) { !overlay[$0].key.lexicographicallyPrecedes(lower) } } ?? 0
        while true {
            let current = cursor.key
            if next < overlay.count, current.map({ !$0.lexicographicallyPrecedes(overlay[next].key) }) ?? true {
                let (key, write) = overlay[next]
                next += 1
                if let current, current == key { cursor.next() }
                if let record = write.record, try !body(key, record) { return }
                continue
            }
            guard let current, let value = cursor.value else { break }
            if try !body(current, value) { return }
            cursor.next()
        }
        do {
            try cursor.checkStatus()
        } catch {
            throw .storage(error)
        }
    }

    /// The first position in `0..<count` where `isAtOrAfter` holds, for a predicate false
    /// then true along a sorted array (`count` when it never holds): a binary search.
    static func firstPosition(in count: Int, where isAtOrAfter: (Int) -> Bool) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let middle = low + (high - low) / 2
            if isAtOrAfter(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    // MARK: Writes

    /// Buffers `write` for the document with key `key` of `collection`, after checking that no
    /// other commit has changed it since the snapshot and no other transaction has written it.
    ///
    /// `current` is the bytes this transaction saw for it; `change` is its change log entry.
    func buffer(
        _ value: BufferedWrite.Value, key: [UInt8], in collection: Catalog.OpenCollection, namespace: Namespace,
        change: BufferedChange, shapes: [ShapeDefinition]
    ) throws(MongoError) {
        try buffer(
            [(value, key, change)], in: collection, namespace: namespace, shapes: shapes)
    }

    /// Buffers several writes to one collection atomically: all or (on a conflict) none.
    func buffer(
        _ writes: [(value: BufferedWrite.Value, key: [UInt8], change: BufferedChange)],
        in collection: Catalog.OpenCollection, namespace: Namespace, shapes: [ShapeDefinition]
    ) throws(MongoError) {
        // The bases of keys not written yet: the snapshot's bytes, which must still be the
        // latest committed ones.
        let known = try buffer.withLock { (buffer) throws(MongoError) -> Set<[UInt8]> in
            try Self.checkActive(buffer.state)
            guard let existing = buffer.collections[namespace], existing.id == collection.description.id else { return [] }
            return Set(writes.map(\.key).filter { existing.documents[$0] != nil })
        }
        var bases: [[UInt8]: [UInt8]?] = [:]
        for write in writes where !known.contains(write.key) && bases[write.key] == nil {
            let base = try snapshotValue(forKey: write.key, in: collection.keySpace)
            let latest: [UInt8]?
            do {
                latest = try store.storage.get(write.key, in: collection.keySpace)
            } catch {
                throw .storage(error)
            }
            guard base == latest else { throw Self.writeConflict() }
            bases[write.key] = .some(base)
        }
        let intents = bases.keys.map { WriteIntents.Key(collection: collection.description.id, document: $0) }
        guard store.writeIntents.claim(intents, for: intentOwner) else { throw Self.writeConflict() }
        try buffer.withLock { (buffer) throws(MongoError) in
            try Self.checkActive(buffer.state)
            var writesToCollection = buffer.collections[namespace]
                ?? BufferedCollection(id: collection.description.id, keySpace: collection.keySpace)
            guard writesToCollection.id == collection.description.id else { throw Self.writeConflict() }
            for write in writes {
                if writesToCollection.documents[write.key] != nil {
                    writesToCollection.documents[write.key]?.value = write.value
                } else {
                    let base = bases[write.key] ?? nil
                    writesToCollection.documents[write.key] = BufferedWrite(base: base, value: write.value)
                }
                buffer.changes.append(write.change)
            }
            buffer.collections[namespace] = writesToCollection
            buffer.shapes += shapes
        }
    }

    // MARK: Errors

    static func checkActive(_ state: State) throws(MongoError) {
        switch state {
        case .active: return
        case .committed: throw MongoError(.transactionCommitted, "Transaction has been committed.")
        case .aborted: throw MongoError(.noSuchTransaction, "Transaction has been aborted.",
                                        details: ["errorLabels": ["TransientTransactionError"]])
        }
    }

    /// MongoDB's write conflict inside a transaction, which drivers retry whole.
    static func writeConflict() -> MongoError {
        MongoError(.writeConflict,
                   "Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.",
                   details: ["errorLabels": ["TransientTransactionError"]])
    }
}
