// DocumentStore+Compaction: the `compact` command's work — a full RocksDB compaction of the
// key spaces holding one collection's documents and secondary indexes, which drops deleted
// data and lets RocksDB delete the files it lived in. Reports the live bytes on disk before
// and after — and `compact`'s `dryRun`, the estimate of what compacting would free.

public import BSON
import Storage

/// What compacting one collection did.
public struct CompactionResult: Sendable, Equatable {
    /// Live bytes of the collection's files (documents and indexes) before compacting.
    public var bytesBefore: UInt64
    /// The same after.
    public var bytesAfter: UInt64
    /// Shapes no stored record named, forgotten by the sweep that follows the compaction.
    public var shapesReclaimed = 0

    /// The bytes released (never negative: compaction may rewrite into slightly larger files).
    public var bytesFreed: UInt64 { bytesBefore > bytesAfter ? bytesBefore - bytesAfter : 0 }
}

extension DocumentStore {
    /// Flushes and compacts the documents and indexes of the collection at `namespace` and waits,
    /// then reclaims the store's unused shapes (``reclaimUnusedShapes()``; not on an engine
    /// other servers share, ``reclaimsShapes``). An engine without
    /// compaction reports its sizes unchanged.
    ///
    /// - Throws: `NamespaceNotFound` (26) if it does not exist; storage failures.
    public func compact(_ namespace: Namespace) throws(MongoError) -> CompactionResult {
        guard let open = catalog.openCollection(namespace) else {
            throw MongoError(.namespaceNotFound, "collection does not exist")
        }
        let keySpaces = [open.keySpace] + open.indexes.map(\.keySpace)
        var result: CompactionResult
        if let maintenance = storage as? any StorageMaintenance {
            do {
                // Flushed first, so "before" counts what the memtables held (deletes included).
                for keySpace in keySpaces { try maintenance.flush(keySpace) }
                let before = liveBytes(of: keySpaces)
                for keySpace in keySpaces { try maintenance.compactRange(in: keySpace) }
                result = CompactionResult(bytesBefore: before, bytesAfter: liveBytes(of: keySpaces))
            } catch {
                throw .storage(error)
            }
        } else {
            let bytes = liveBytes(of: keySpaces)
            result = CompactionResult(bytesBefore: bytes, bytesAfter: bytes)
        }
        result.shapesReclaimed = try reclaimUnusedShapes().reclaimedShapes
        return result
    }

    /// An estimate of the bytes compacting the collection at `namespace` would free, without
    /// compacting or flushing anything (`compact` with `dryRun: true`). For each of its key
    /// spaces: the share of its entries that are garbage — deletion markers and the
    /// entries they hide, counted from the SST files' table properties and the memtables —
    /// applied to its live bytes on disk. 0 for an engine that reports no figures.
    ///
    /// - Throws: `NamespaceNotFound` (26) if it does not exist.
    public func estimateCompaction(_ namespace: Namespace) throws(MongoError) -> UInt64 {
        guard let open = catalog.openCollection(namespace) else {
            throw MongoError(.namespaceNotFound, "collection does not exist")
        }
        guard let figures = storage as? any StorageFigures else { return 0 }
        let keySpaces = [open.keySpace] + open.indexes.map(\.keySpace)
        return keySpaces.reduce(0) { total, keySpace in
            total &+ Self.reclaimableBytes(onDisk: figures.sizeOnDisk(of: keySpace, live: true),
                                           entries: Self.entryCounts(of: keySpace, in: figures))
        }
    }

    /// Entries and deletion markers of `keySpace`: its SST files' (from RocksDB's aggregated
    /// table properties) plus its memtables'.
    static func entryCounts(of keySpace: any KeySpace, in figures: any StorageFigures) -> (entries: UInt64, deletions: UInt64) {
        let table = figures.property("rocksdb.aggregated-table-properties", of: keySpace).map(TableFigures.init(parsing:))
        let memoryNames = ["rocksdb.num-entries-active-mem-table", "rocksdb.num-entries-imm-mem-tables"]
        let memoryDeleteNames = ["rocksdb.num-deletes-active-mem-table", "rocksdb.num-deletes-imm-mem-tables"]
        let memoryEntries = memoryNames.reduce(UInt64(0)) { $0 &+ (figures.integerProperty($1, of: keySpace) ?? 0) }
        let memoryDeletes = memoryDeleteNames.reduce(UInt64(0)) { $0 &+ (figures.integerProperty($1, of: keySpace) ?? 0) }
        return ((table?.entries ?? 0) &+ memoryEntries, (table?.deletions ?? 0) &+ memoryDeletes)
    }

    /// The share of `onDisk` that is garbage: each deletion marker is garbage and hides one
    /// older entry, so `2 × deletions` of `entries` go (at most all of them).
    static func reclaimableBytes(onDisk: UInt64, entries: (entries: UInt64, deletions: UInt64)) -> UInt64 {
        guard entries.entries > 0, onDisk > 0 else { return 0 }
        let garbage = min(entries.entries, entries.deletions.multipliedReportingOverflow(by: 2).partialValue)
        // onDisk × garbage / entries, exact in 128 bits; garbage ≤ entries keeps it ≤ onDisk.
        return entries.entries.dividingFullWidth(onDisk.multipliedFullWidth(by: garbage)).quotient
    }

    /// Live bytes on disk of `keySpaces` (0 when the engine does not report sizes).
    private func liveBytes(of keySpaces: [any KeySpace]) -> UInt64 {
        guard let figures = storage as? any StorageFigures else { return 0 }
        return keySpaces.reduce(0) { $0 &+ figures.sizeOnDisk(of: $1, live: true) }
    }
}

extension DocumentStore {
    /// Writes every memtable to disk and syncs the journal (the `fsync` command): afterwards
    /// the store's files hold every acknowledged write.
    public func flushToDisk() throws(MongoError) {
        do {
            try storage.syncJournal()
            if let maintenance = storage as? any StorageMaintenance { try maintenance.flush() }
        } catch {
            throw .storage(error)
        }
    }
}

/// The entry counts in RocksDB's table-properties text (`# entries=N; # deletions=M; ...`).
struct TableFigures: Equatable {
    /// Entries of every kind (puts, deletions, merges).
    var entries: UInt64 = 0
    /// Deletion markers among them.
    var deletions: UInt64 = 0

    /// The counts read from `text`; a field missing or unreadable counts 0.
    init(parsing text: String) {
        for field in text.split(separator: ";") {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = UInt64(String(parts[1].filter { !$0.isWhitespace })) else { continue }
            switch String(parts[0].filter { !$0.isWhitespace }) {
            case "#entries": entries = value
            case "#deletions": deletions = value
            default: break
            }
        }
    }
}
