// QueryEngine's maintenance operations: compacting one collection's files (`compact`, or
// estimating what that would free) and
// flushing everything to disk (`fsync`), so the Commands layer and the CLI stop at the engine.

public import BSON
public import Documents

extension QueryEngine {
    /// Compacts the collection at `namespace` (documents and indexes) and waits.
    ///
    /// - Throws: `CommandNotSupportedOnView` (166) for a view, `NamespaceNotFound` (26) when
    ///   there is no such collection; storage failures.
    public func compact(_ namespace: Namespace) throws(MongoError) -> CompactionResult {
        if try view(namespace) != nil {
            throw MongoError(.commandNotSupportedOnView, "can't compact a view")
        }
        return try store.compact(namespace)
    }

    /// The bytes compacting the collection at `namespace` would free, estimated without
    /// compacting (`compact` with `dryRun: true`).
    ///
    /// - Throws: as ``compact(_:)``.
    public func estimateCompaction(_ namespace: Namespace) throws(MongoError) -> UInt64 {
        if try view(namespace) != nil {
            throw MongoError(.commandNotSupportedOnView, "can't compact a view")
        }
        return try store.estimateCompaction(namespace)
    }

    /// Writes every memtable to disk and syncs the journal.
    public func flushToDisk() throws(MongoError) {
        try store.flushToDisk()
    }
}
