// DocumentStore+Backup: every storage call of backups, restores and their checks, in one file
// so another storage engine can re-point them: the checkpoint that fixes a backup's point
// while writes go on, RocksDB's backup engine (create, list, verify, restore) and the index
// reads of the consistency check, and the watch that stops a backup's copy when its operation is
// interrupted. The logic around them lives in BackupSet and its peers.
// Backups are RocksDB's for now: the one other place Documents names RocksDB types.

public import BSON
internal import Foundation
internal import Storage
internal import Synchronization

extension DocumentStore {
    /// Backs the store up into the backup directory `directory` (created if missing) while
    /// writes go on, and returns the new backup with its record.
    ///
    /// A checkpoint (hard links inside the data directory, after a memtable flush) fixes a
    /// consistent point: a prefix of the commit order. Its change log's newest entry is the
    /// backup's exact point. RocksDB's backup engine then copies the checkpoint, sharing SST
    /// files that earlier backups in `directory` already hold, so a backup copies only what
    /// changed since. One backup runs at a time per process; a second waits.
    ///
    /// `interrupt` (killOp, shutdown, maxTimeMS) stops the backup at any point, the copy
    /// included: a watcher polls it and stops RocksDB's copy loop, which deletes what it wrote,
    /// so an interrupted backup is never listed.
    ///
    /// - Parameters:
    ///   - incremental: add to the backups already in `directory`. Without it the directory
    ///     must hold none, so a full backup never silently becomes a partial copy.
    ///   - rateLimit: the most bytes per second the copy writes (0: no limit).
    /// - Throws: `InvalidOptions` (72) when `directory` already holds backups and
    ///   `incremental` is false; `InternalError` for storage failures (RocksDB's status kept);
    ///   `IllegalOperation` (20) on a storage engine other than RocksDB; the interrupt's error.
    public func backup(
        to directory: String, incremental: Bool, rateLimit: UInt64 = 0, interrupt: OperationInterrupt = .none
    ) throws(MongoError) -> BackupSummary {
        guard let storage = storage as? RocksDBStore else {
            throw MongoError(.illegalOperation, "backups need the RocksDB storage engine; \(path) uses another")
        }
        return try BackupStorage.serial.withLock { _ throws(MongoError) -> BackupSummary in
            // Checked after waiting for another backup, before the checkpoint and during the copy.
            try interrupt.check()
            let engine = try BackupStorage.engine(directory, rateLimit: rateLimit)
            let earlier = engine.backups()
            guard incremental || earlier.isEmpty else {
                throw MongoError(.invalidOptions,
                                 "\(directory) already holds \(earlier.count) backup(s); pass incremental: true to add one")
            }
            let before = BackupStorage.bytes(under: directory)
            let checkpoint = path + "/" + BackupStorage.checkpointName
            BackupStorage.remove(checkpoint)  // left by a backup that crashed
            defer { BackupStorage.remove(checkpoint) }
            do throws(StorageError) {
                try storage.createCheckpoint(at: checkpoint, logSizeForFlush: 0)
            } catch {
                throw .storage(error)
            }
            try interrupt.check()
            let (info, point) = try BackupStorage.backUp(checkpoint: checkpoint, options: storage.options, into: engine,
                                                         interrupt: interrupt)
            let copied = BackupStorage.bytes(under: directory) &- before
            let record = BackupRecord(id: info.id, point: point, bytesCopied: copied, incremental: !earlier.isEmpty,
                                      formatVersion: Self.formatVersion)
            try record.write(into: directory)
            return BackupSummary(id: info.id, createdAt: BSONDateTime(millisecondsSinceEpoch: info.timestamp * 1000),
                                 size: info.size, fileCount: info.fileCount, record: record)
        }
    }

    // MARK: Consistency check reads

    /// Whether the index `index` has the entry `key`.
    func indexEntryExists(_ key: [UInt8], in index: Catalog.OpenIndex) throws(MongoError) -> Bool {
        do {
            return try storage.get(key, in: index.keySpace) != nil
        } catch {
            throw .storage(error)
        }
    }

    /// How many entries the index `index` has.
    func indexEntryCount(_ index: Catalog.OpenIndex, interrupt: OperationInterrupt) throws(MongoError) -> Int {
        var count = 0
        var poll = interrupt.poll()
        var failure: MongoError?
        do {
            try storage.scan(.all, in: index.keySpace) { _, _ in
                count += 1
                do throws(MongoError) {
                    try poll.tick()
                } catch {
                    failure = error
                    return .stop
                }
                return .continue
            }
        } catch {
            throw .from(error)
        }
        if let failure { throw failure }
        return count
    }
}

/// The storage side of backup directories: RocksDB's backup engine, checkpoints, files.
enum BackupStorage {
    /// Serialises backups in this process (the checkpoint folder name is fixed).
    static let serial = Mutex(())
    /// The checkpoint's folder inside the data directory while a backup runs. RocksDB and
    /// the store's marker check ignore a sub-folder.
    static let checkpointName = "backup-checkpoint"

    /// One backup as the engine lists it.
    struct Listed: Sendable {
        let id: UInt32
        let createdAt: BSONDateTime
        let size: UInt64
        let fileCount: UInt32
    }

    /// The backup engine of `directory`, creating the directory when missing; a backup it
    /// takes copies at most `rateLimit` bytes per second (0: no limit).
    static func engine(_ directory: String, rateLimit: UInt64 = 0) throws(MongoError) -> BackupEngine {
        do {
            return try BackupEngine(directory: directory, rateLimit: rateLimit)
        } catch {
            throw .storage(error)
        }
    }

    /// Opens the checkpoint at `checkpoint` (no background compaction, so its files stay
    /// those the live store shares with earlier backups), reads its newest change, and backs
    /// it up into `engine`, stopping the copy when `interrupt` fires.
    static func backUp(
        checkpoint: String, options: StorageOptions, into engine: BackupEngine, interrupt: OperationInterrupt
    ) throws(MongoError) -> (BackupEngine.BackupInfo, BackupPoint) {
        var copyOptions = options
        copyOptions.createIfMissing = false
        copyOptions.errorIfExists = false
        copyOptions.disablesAutoCompactions = true
        let watch = BackupInterruptWatch(engine: engine, interrupt: interrupt)
        defer { watch.finish() }
        do {
            let copy = try RocksDBStore(path: checkpoint, options: copyOptions)
            let point = try newestChange(in: copy)
            let info = try engine.createBackup(of: copy, flushBeforeBackup: true)
            return (info, point)
        } catch {
            // A copy the watch stopped fails with RocksDB's "Backup stopped": report why.
            try interrupt.check()
            throw .from(error)
        }
    }

    /// The newest change log entry of `storage`: its sequence number and wall time.
    private static func newestChange(in storage: RocksDBStore) throws -> BackupPoint {
        guard let keySpace = storage.existingKeySpace(named: ChangeLog.keySpaceName),
              let newest = try storage.entries(.all, in: keySpace, direction: .reverse, limit: 1).first
        else { return BackupPoint(sequence: 0, wallTime: nil) }
        guard let sequence = CatalogKey.uint64(newest.key) else {
            throw MongoError(.internalError, "the checkpoint's change log has a malformed key")
        }
        var wallTime: BSONDateTime?
        if let stored = try? BSONDocument(bsonBytes: newest.value), case let .datetime(time)? = stored["wall"] {
            wallTime = time
        }
        return BackupPoint(sequence: sequence, wallTime: wallTime)
    }

    /// The backups in `directory`, oldest first.
    ///
    /// - Throws: `BadValue` (2) when `directory` does not exist.
    static func list(_ directory: String) throws(MongoError) -> [Listed] {
        try requireDirectory(directory)
        return try engine(directory).backups().map {
            Listed(id: $0.id, createdAt: BSONDateTime(millisecondsSinceEpoch: $0.timestamp * 1000), size: $0.size,
                   fileCount: $0.fileCount)
        }
    }

    /// Checks that backup `id`'s files are all present with their recorded sizes.
    static func verifyFiles(_ directory: String, id: UInt32) throws(MongoError) {
        try requireDirectory(directory)
        let engine = try engine(directory)
        do throws(StorageError) {
            try engine.verify(backupID: id)
        } catch {
            throw .storage(error)
        }
    }

    /// Copies backup `id` into `target` (an empty or missing directory), checking each
    /// file's checksum against the one recorded when it was backed up.
    static func restore(_ directory: String, id: UInt32, to target: String) throws(MongoError) {
        try requireDirectory(directory)
        let engine = try engine(directory)
        do throws(StorageError) {
            try engine.restore(backupID: id, to: target)
        } catch {
            throw .storage(error)
        }
    }

    /// Throws `BadValue` unless `path` is an existing directory (opening a backup engine
    /// would create it).
    private static func requireDirectory(_ path: String) throws(MongoError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MongoError(.badValue, "no backup directory at \(path)")
        }
    }

    /// Bytes of the regular files under `path` (0 when it is missing).
    static func bytes(under path: String) -> UInt64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: UInt64 = 0
        while let name = walker.nextObject() as? String {
            guard let attributes = walker.fileAttributes, attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = attributes[.size] as? NSNumber
            else { continue }
            total &+= size.uint64Value
            _ = name
        }
        return total
    }

    /// Deletes the tree at `path`, if any.
    static func remove(_ path: String) {
        if FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

/// Watches a running backup's interrupt from its own thread and stops RocksDB's copy when it
/// fires (the copy runs inside one C call that polls nothing of ours). Checks every 20 ms
/// until ``finish()``.
final class BackupInterruptWatch: Sendable {
    /// How often the interrupt is checked, in seconds.
    static let intervalSeconds = 0.02
    private let done = Atomic<Bool>(false)

    /// Starts watching `interrupt` for the backup running on `engine` (nothing to watch
    /// when it can never fire).
    init(engine: BackupEngine, interrupt: OperationInterrupt) {
        guard interrupt.isActive else { return }
        let thread = Thread { [self] in
            while !done.load(ordering: .acquiring) {
                do throws(MongoError) {
                    try interrupt.check()
                } catch {
                    engine.stop()
                    return
                }
                Thread.sleep(forTimeInterval: Self.intervalSeconds)
            }
        }
        thread.name = "backup-interrupt-watch"
        thread.start()
    }

    /// Stops watching (the backup ended).
    func finish() {
        done.store(true, ordering: .releasing)
    }
}
