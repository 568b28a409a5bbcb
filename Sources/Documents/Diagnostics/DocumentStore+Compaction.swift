// DocumentStore+Compaction: the `compact` command's work — a full RocksDB compaction of the
// key spaces holding one collection's documents and secondary indexes, which drops deleted
// data and lets RocksDB delete the files it lived in. Reports the live bytes on disk before
// and after.

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
    /// then reclaims the store's unused shapes (``reclaimUnusedShapes()``). An engine without
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
