// BackupSet: a backup directory as a whole, offline — its backups with Tessera's records,
// purging all but the newest, verification (file sizes, checksums while restoring a scratch copy, then the logical
// consistency check), restore to a new data directory, and point-in-time restore (a backup at
// or before the moment, then the change log retained in a later backup redone up to it).

internal import Foundation
public import BSON
internal import Storage

/// One backup in a backup directory.
public struct BackupSummary: Sendable, Equatable {
    /// The backup engine's id (increasing).
    public let id: UInt32
    /// When the backup was taken.
    public let createdAt: BSONDateTime
    /// Bytes of the files the backup references (shared ones included).
    public let size: UInt64
    /// Files the backup references.
    public let fileCount: UInt32
    /// Tessera's record of it; `nil` for a backup made without one (not usable for
    /// point-in-time restores).
    public let record: BackupRecord?
}

/// What verifying one backup found.
public struct BackupVerification: Sendable, Equatable {
    /// The backup.
    public let id: UInt32
    /// The logical check of the restored copy; `nil` when the files failed first.
    public let consistency: ConsistencyReport?
    /// What is wrong (files missing, checksums, catalog, indexes, point).
    public let problems: [String]

    /// Whether the backup is sound.
    public var isSound: Bool { problems.isEmpty }
}

/// What a point-in-time restore did.
public struct PointInTimeRestore: Sendable, Equatable {
    /// The backup restored first (the newest at or before the moment).
    public let base: BackupSummary
    /// The later backup whose change log was redone; `nil` when the base was exactly at the moment.
    public let logSource: BackupSummary?
    /// Changes redone on top of the base.
    public let replayed: Int
    /// The newest write the restored store holds, as the backed-up store numbered it.
    public let point: BackupPoint
}

/// A backup directory.
///
/// Restores write only into a new (missing or empty) directory; a backup directory is read,
/// never changed, by everything here but ``purge(keep:)``.
public struct BackupSet: Sendable {
    /// The backup directory.
    public let directory: String

    /// The backup directory at `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// Every backup, oldest first.
    ///
    /// - Throws: `BadValue` (2) when the directory does not exist; `InternalError` for an
    ///   unreadable record or backup engine failure.
    public func backups() throws(MongoError) -> [BackupSummary] {
        try BackupStorage.list(directory).map { (listed) throws(MongoError) -> BackupSummary in
            BackupSummary(id: listed.id, createdAt: listed.createdAt, size: listed.size, fileCount: listed.fileCount,
                          record: try BackupRecord.read(in: directory, id: listed.id))
        }
    }

    /// Deletes every backup but the newest `keep`, with the files only they used and their
    /// records; returns the ids deleted, oldest first. Runs while no backup of this process
    /// is being taken (the server's purges and backups take turns).
    ///
    /// - Throws: `BadValue` (2) when `keep` is below 1 or the directory does not exist;
    ///   `InternalError` for a backup engine failure.
    @discardableResult
    public func purge(keep: Int) throws(MongoError) -> [UInt32] {
        guard keep >= 1, let count = UInt32(exactly: keep) else {
            throw MongoError(.badValue, "keep must be between 1 and \(UInt32.max), not \(keep)")
        }
        return try BackupStorage.serial.withLock { _ throws(MongoError) -> [UInt32] in
            let before = try BackupStorage.list(directory).map(\.id)
            let engine = try BackupStorage.engine(directory)
            do throws(StorageError) {
                try engine.purge(keepingLatest: count)
            } catch {
                throw .storage(error)
            }
            let kept = Set(engine.backups().map(\.id))
            let purged = before.filter { !kept.contains($0) }
            for id in purged { BackupStorage.remove(BackupRecord.path(in: directory, id: id)) }
            return purged
        }
    }

    /// The backup `id`, or the newest when `nil`.
    ///
    /// - Throws: `BadValue` (2) when there is no such backup.
    public func backup(_ id: UInt32?) throws(MongoError) -> BackupSummary {
        let all = try backups()
        guard let found = id.map({ id in all.first { $0.id == id } }) ?? all.last else {
            throw MongoError(.badValue, id.map { "\(directory) has no backup \($0)" } ?? "\(directory) holds no backup")
        }
        return found
    }

    // MARK: Restore

    /// Restores backup `id` (the newest when `nil`) into `target`, a missing or empty
    /// directory, which then opens as a Tessera store.
    ///
    /// - Throws: `BadValue` (2) for an unknown backup or a target that is not empty;
    ///   `InternalError` when a file is missing or fails its checksum.
    @discardableResult
    public func restore(_ id: UInt32? = nil, to target: String) throws(MongoError) -> BackupSummary {
        let summary = try backup(id)
        try Self.requireEmpty(target)
        do {
            try restoreFiles(summary, to: target)
        } catch {
            BackupStorage.remove(target)
            throw error
        }
        return summary
    }

    /// Restores `target` to `moment`: the newest backup at or before it, then the changes
    /// after that backup and up to `moment`, read from the change log of the first backup
    /// taken after the moment and redone in commit order.
    ///
    /// The guarantee: the restored store holds exactly the writes that committed at or
    /// before `moment` (a change log sequence — an operation time from a reply, a change
    /// event, or a `backup create` report — or a wall-clock time). Limits: the moment must lie between two backups of the
    /// directory (or on one); the later backup's change log must still hold every change
    /// since the earlier one (its retention — by default 1 GiB — must not have trimmed them);
    /// index hiding (`collMod` `hidden`) is not logged and so not redone; a sequence inside a
    /// multi-document transaction's commit restores part of it.
    ///
    /// - Parameter options: how to open the restored store for the replay (the Query layer
    ///   passes its partial-index compiler).
    /// - Throws: `BadValue` (2) when no backup is at or before `moment`, when none is after it
    ///   (the writes past the newest backup are in no backup), when the change history
    ///   between them was trimmed, or for a target that is not empty; `InternalError` for a
    ///   change that cannot be redone or a damaged backup.
    public func restore(until moment: RestorePoint, to target: String, options: DocumentStoreOptions) throws(MongoError)
        -> PointInTimeRestore
    {
        let recorded = try backups().compactMap { summary in summary.record.map { (summary, $0) } }
            .sorted { $0.1.point.sequence < $1.1.point.sequence }
        guard let (base, baseRecord) = recorded.last(where: { moment.covers($0.1.point) }) else {
            throw MongoError(.badValue, "no backup in \(directory) is at or before \(moment)")
        }
        try Self.requireEmpty(target)
        let exact: Bool = if case let .sequence(sequence) = moment {
            sequence == baseRecord.point.sequence
        } else {
            false
        }
        let later = recorded.first { $0.1.point.sequence > baseRecord.point.sequence && !moment.covers($0.1.point) }
        if !exact, later == nil {
            throw MongoError(.badValue, "\(moment) is after the newest backup (\(base.id), at change log sequence "
                             + "\(baseRecord.point.sequence)); the writes after it are in no backup: take a backup first, "
                             + "or restore backup \(base.id)")
        }
        do {
            try restoreFiles(base, to: target)
            guard !exact, let (source, sourceRecord) = later else {
                return PointInTimeRestore(base: base, logSource: nil, replayed: 0, point: baseRecord.point)
            }
            let (replayed, point) = try replay(from: source, after: baseRecord.point, until: moment, into: target,
                                               options: options, expectedEnd: sourceRecord.point)
            return PointInTimeRestore(base: base, logSource: source, replayed: replayed, point: point)
        } catch {
            BackupStorage.remove(target)
            throw error
        }
    }

    /// Redoes, on the store at `target` (just restored to `start`), the changes after
    /// `start` up to `moment` from the change log of backup `source`.
    private func replay(
        from source: BackupSummary, after start: BackupPoint, until moment: RestorePoint, into target: String,
        options: DocumentStoreOptions, expectedEnd: BackupPoint
    ) throws(MongoError) -> (Int, BackupPoint) {
        let scratch = target + ".log-source"
        try Self.requireEmpty(scratch)
        defer { BackupStorage.remove(scratch) }
        try restoreFiles(source, to: scratch)
        var sourceOptions = options
        sourceOptions.changeLogRetention = .unlimited
        let history = try Self.open(scratch, options: sourceOptions)
        guard let oldest = try history.changeLog.oldestSequence(), oldest <= start.sequence + 1 else {
            throw MongoError(.badValue, "backup \(source.id)'s change log no longer holds the changes after sequence "
                             + "\(start.sequence) (its retention trimmed them): the moment cannot be reached from the backups "
                             + "in \(directory)")
        }
        let store = try Self.open(target, options: options)
        guard store.changeLog.latestSequence == start.sequence else {
            throw MongoError(.internalError, "backup restored at sequence \(store.changeLog.latestSequence), "
                             + "but its record says \(start.sequence)")
        }
        var replayed = 0
        var point = start
        var after = start.sequence
        replaying: while after < expectedEnd.sequence {
            let entries = try history.changeLog.entries(after: after, limit: 512, postImages: true)
            if entries.isEmpty { break }
            for entry in entries {
                guard entry.sequence == after + 1 else {
                    throw MongoError(.internalError, "backup \(source.id)'s change log skips from \(after) to \(entry.sequence)")
                }
                guard moment.covers(entry) else { break replaying }
                try ChangeReplay.apply(entry, to: store)
                replayed += 1
                point = BackupPoint(sequence: entry.sequence, wallTime: entry.wallTime)
                after = entry.sequence
            }
        }
        try store.waitForJournal()
        return (replayed, point)
    }

    // MARK: Verify

    /// Verifies backup `id`: its files are present with their sizes, they pass their
    /// checksums when restored into a scratch directory under `scratchParent`, and the
    /// restored copy passes ``DocumentStore/checkConsistency(interrupt:)`` and stands at the
    /// point its record names.
    public func verify(_ id: UInt32, scratchParent: String, options: DocumentStoreOptions) throws(MongoError) -> BackupVerification {
        let summary = try backup(id)
        do {
            try BackupStorage.verifyFiles(directory, id: id)
        } catch {
            return BackupVerification(id: id, consistency: nil, problems: ["files: \(error.message)"])
        }
        let scratch = "\(scratchParent)/tessera-verify-\(getpid())-\(id)"
        BackupStorage.remove(scratch)
        defer { BackupStorage.remove(scratch) }
        do {
            try restoreFiles(summary, to: scratch)
        } catch {
            return BackupVerification(id: id, consistency: nil, problems: ["restore (checksums): \(error.message)"])
        }
        let report: ConsistencyReport
        var problems: [String] = []
        do {
            let store = try Self.open(scratch, options: options)
            report = try store.checkConsistency()
            if let record = summary.record, store.changeLog.latestSequence != record.point.sequence {
                problems.append("the restored copy stands at sequence \(store.changeLog.latestSequence); "
                                + "the record says \(record.point.sequence)")
            }
        } catch {
            return BackupVerification(id: id, consistency: nil, problems: ["open: \(error.message)"])
        }
        return BackupVerification(id: id, consistency: report, problems: report.problems + problems)
    }

    // MARK: Helpers

    /// Copies `backup`'s files into `target` and marks it a Tessera store.
    private func restoreFiles(_ backup: BackupSummary, to target: String) throws(MongoError) {
        try BackupStorage.restore(directory, id: backup.id, to: target)
        do {
            try StoreDirectory.create(target, formatVersion: backup.record?.formatVersion ?? DocumentStore.formatVersion)
        } catch {
            throw MongoError(.internalError, "cannot mark \(target) as a Tessera store: \(error)")
        }
    }

    private static func open(_ path: String, options: DocumentStoreOptions) throws(MongoError) -> DocumentStore {
        do {
            return try DocumentStore(path: path, options: options)
        } catch {
            throw MongoError(.internalError, "cannot open the restored store \(path): \(error)")
        }
    }

    /// Throws `BadValue` unless `path` is missing or an empty directory.
    static func requireEmpty(_ path: String) throws(MongoError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let entries = isDirectory.boolValue ? (try? FileManager.default.contentsOfDirectory(atPath: path)) : nil
        guard let entries, entries.filter({ $0 != "lost+found" }).isEmpty else {
            throw MongoError(.badValue, "\(path) exists and is not empty: restores write only into a new directory")
        }
    }
}
