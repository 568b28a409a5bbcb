// QueryEngine's backup operations: online backups of the open store, the documents of a
// collection as BSON in `_id` order (what dbHash hashes), and the offline operations on backup
// directories (list, verify, restore, point-in-time restore) with this layer's options, so the
// Commands layer and the CLI stop at the engine.

public import BSON
public import Documents

extension QueryEngine {
    /// Backs the store up into `directory` while writes go on, copying at most `rateLimit`
    /// bytes per second (0: no limit). See `DocumentStore.backup(to:incremental:rateLimit:interrupt:)`;
    /// `interrupt` (maxTimeMS, killOp, shutdown) stops it at any point, the copy included,
    /// leaving no backup listed.
    public func backup(
        to directory: String, incremental: Bool, rateLimit: UInt64 = 0, interrupt: OperationInterrupt = .none
    ) throws(MongoError) -> BackupSummary {
        try store.backup(to: directory, incremental: incremental, rateLimit: rateLimit, interrupt: interrupt)
    }

    /// Calls `body` with the BSON bytes of each document of `namespace` in `_id` order
    /// (insertion order for a capped collection) until it returns `false`.
    public func forEachDocumentBSON(
        in namespace: Namespace, interrupt: OperationInterrupt, _ body: ([UInt8]) throws(MongoError) -> Bool
    ) throws(MongoError) {
        try store.collection(namespace).forEachRecord(interrupt: interrupt) { (record) throws(MongoError) -> Bool in
            let bytes: [UInt8]
            do throws(RecordError) {
                bytes = try record.bsonBytes()
            } catch {
                throw MongoError(.internalError, "unreadable record in \(namespace): \(error.description)")
            }
            return try body(bytes)
        }
    }

    // MARK: Backup directories (offline)

    /// The options stores restored by these operations open with: this layer's compiler for
    /// partial index filters.
    static var restoreOptions: DocumentStoreOptions {
        var options = DocumentStoreOptions()
        options.predicateCompiler = QueryEngine.compilePredicate
        return options
    }

    /// The backups in `directory`, oldest first.
    public static func backups(in directory: String) throws(MongoError) -> [BackupSummary] {
        try BackupSet(directory: directory).backups()
    }

    /// Deletes every backup of `directory` but the newest `keep` (and the files only they
    /// used); returns the ids deleted. See `BackupSet.purge(keep:)`.
    @discardableResult
    public static func purgeBackups(in directory: String, keep: Int) throws(MongoError) -> [UInt32] {
        try BackupSet(directory: directory).purge(keep: keep)
    }

    /// Verifies backup `id` of `directory`: files, checksums, and the logical consistency of
    /// a copy restored under `scratchParent`.
    public static func verifyBackup(_ id: UInt32, in directory: String, scratchParent: String) throws(MongoError) -> BackupVerification {
        try BackupSet(directory: directory).verify(id, scratchParent: scratchParent, options: restoreOptions)
    }

    /// Restores backup `id` of `directory` (the newest when `nil`) into the new data
    /// directory `target`.
    public static func restoreBackup(_ id: UInt32?, from directory: String, to target: String) throws(MongoError) -> BackupSummary {
        try BackupSet(directory: directory).restore(id, to: target)
    }

    /// Restores the store backed up in `directory` into `target` as it was at `moment`.
    /// See `BackupSet.restore(until:to:options:)` for the guarantee and its limits.
    public static func restoreBackup(
        from directory: String, until moment: RestorePoint, to target: String
    ) throws(MongoError) -> PointInTimeRestore {
        try BackupSet(directory: directory).restore(until: moment, to: target, options: restoreOptions)
    }

    /// Reads a restore moment: an operation time `T:I` (a BSON Timestamp's seconds and
    /// increment, as `operationTime` shows it) or an ISO 8601 date (`2025-01-31T12:00:00Z`;
    /// UTC unless it has an offset).
    ///
    /// - Throws: `BadValue` (2) when it is neither.
    public static func restorePoint(parsing text: String) throws(MongoError) -> RestorePoint {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, let seconds = UInt32(parts[0]), let increment = UInt32(parts[1]) {
            return .sequence(ClusterTime.sequence(of: BSONTimestamp(timestamp: seconds, increment: increment)))
        }
        do {
            return .wallTime(BSONDateTime(millisecondsSinceEpoch: try DateParsing.parse(text, format: nil, timeZone: .utc)))
        } catch {
            throw MongoError(.badValue, "'\(text)' is neither an operation time T:I nor an ISO 8601 date (\(error.message))")
        }
    }
}

extension QueryEngine {
    /// The collections of `database`, sorted by name (for commands that walk a database
    /// without reaching into the store).
    public func collectionDescriptions(in database: String) -> [CollectionDescription] {
        store.catalog.collections(in: database)
    }
}
