// BackupEngine: RocksDB's incremental backups of a store into a backup directory.
// Owns one `rocksdb_backup_engine_t` (closed once, in deinit), serialises calls on it,
// and translates backup listings into Swift values.
internal import CRocksDB
internal import CRocksDBExtras
internal import Synchronization

/// Incremental backups of `RocksDBStore`s: create, list, verify, restore, purge.
///
/// Backups share SST files, so each new backup copies only files the previous ones lack.
/// Calls are serialised internally, so an engine may be shared across threads.
///
/// `@unchecked Sendable` because: `engine` is immutable, every use of it happens while
/// holding `lock` (RocksDB's backup engine is not meant for unsynchronised concurrent
/// calls), and it is closed only from deinit.
public final class BackupEngine: @unchecked Sendable {
    /// One backup in the backup directory.
    public struct BackupInfo: Sendable, Hashable {
        /// The backup's id, increasing with each backup.
        public let id: UInt32
        /// When the backup was made, in seconds since the Unix epoch.
        public let timestamp: Int64
        /// Bytes of the files this backup references.
        public let size: UInt64
        /// Number of files this backup references.
        public let fileCount: UInt32
    }

    /// The backup directory.
    public let directory: String
    private let engine: OpaquePointer
    /// The environment the engine was opened with (it must outlive the engine).
    private let environment: OpaquePointer
    private let lock = Mutex(())

    /// Opens (creating if needed) the backup directory `directory`.
    ///
    /// - Parameter rateLimit: the most bytes per second a backup copies (0: no limit).
    public init(directory: String, rateLimit: UInt64 = 0) throws(StorageError) {
        guard !directory.isEmpty, !directory.utf8.contains(0) else {
            throw StorageError(.openBackupEngine, path: directory, status: "backup path must be non-empty and contain no NUL bytes",
                               code: .invalidArgument)
        }
        guard let options = rocksdb_backup_engine_options_create(directory) else {
            throw StorageError(.openBackupEngine, path: directory, status: "rocksdb_backup_engine_options_create failed",
                               code: .unknown)
        }
        defer { rocksdb_backup_engine_options_destroy(options) }
        if rateLimit > 0 { rocksdb_backup_engine_options_set_backup_rate_limit(options, rateLimit) }
        guard let environment = rocksdb_create_default_env() else {
            throw StorageError(.openBackupEngine, path: directory, status: "rocksdb_create_default_env failed", code: .unknown)
        }
        let engine: OpaquePointer?
        do throws(StorageError) {
            engine = try StorageError.check(.openBackupEngine, path: directory) { error in
                rocksdb_backup_engine_open_opts(options, environment, error)
            }
        } catch {
            rocksdb_env_destroy(environment)
            throw error
        }
        guard let engine else {
            rocksdb_env_destroy(environment)
            throw StorageError(.openBackupEngine, path: directory, status: "rocksdb_backup_engine_open returned NULL",
                               code: .unknown)
        }
        self.directory = directory
        self.engine = engine
        self.environment = environment
    }

    deinit {
        rocksdb_backup_engine_close(engine)
        rocksdb_env_destroy(environment)
    }

    /// Stops the backup running on this engine, from any thread: it fails at its next copy
    /// step and deletes what it wrote, so it is never listed. Later backups on this engine
    /// fail too (open a new engine for the next one).
    public func stop() {
        tessera_backup_engine_stop(engine)
    }

    /// Backs up `store` (every key space) and returns the new backup's details.
    ///
    /// - Parameter flushBeforeBackup: flush memtables first so the backup needs no WAL.
    @discardableResult
    public func createBackup(of store: RocksDBStore, flushBeforeBackup: Bool = true) throws(StorageError) -> BackupInfo {
        let database = store.database
        return try lock.withLock { _ throws(StorageError) -> BackupInfo in
            try StorageError.check(.createBackup, path: directory) { error in
                rocksdb_backup_engine_create_new_backup_flush(engine, database.pointer, flushBeforeBackup ? 1 : 0, error)
            }
            guard let newest = BackupEngine.backups(of: engine).max(by: { $0.id < $1.id }) else {
                throw StorageError(.createBackup, path: directory, status: "backup was created but is not listed",
                                   code: .unknown)
            }
            return newest
        }
    }

    /// Every backup in the directory, oldest first.
    public func backups() -> [BackupInfo] {
        lock.withLock { _ in BackupEngine.backups(of: engine) }
    }

    private static func backups(of engine: OpaquePointer) -> [BackupInfo] {
        guard let info = rocksdb_backup_engine_get_backup_info(engine) else { return [] }
        defer { rocksdb_backup_engine_info_destroy(info) }
        let count = rocksdb_backup_engine_info_count(info)
        guard count > 0 else { return [] }
        return (0 ..< count).map { index in
            BackupInfo(id: rocksdb_backup_engine_info_backup_id(info, index),
                       timestamp: rocksdb_backup_engine_info_timestamp(info, index),
                       size: rocksdb_backup_engine_info_size(info, index),
                       fileCount: rocksdb_backup_engine_info_number_files(info, index))
        }.sorted { $0.id < $1.id }
    }

    /// Checks that backup `id` exists and its files are present with the recorded sizes.
    public func verify(backupID id: UInt32) throws(StorageError) {
        try lock.withLock { _ throws(StorageError) in
            try StorageError.check(.verifyBackup, path: directory) { error in
                rocksdb_backup_engine_verify_backup(engine, id, error)
            }
        }
    }

    /// Restores backup `id` (the latest when `nil`) into `databaseDirectory`, which is
    /// then openable with `RocksDBStore(path:options:)`. Do not restore over an open store.
    ///
    /// - Parameters:
    ///   - walDirectory: where to put the WAL; defaults to `databaseDirectory`.
    ///   - keepLogFiles: keep WAL files already in the WAL directory.
    public func restore(
        backupID id: UInt32? = nil,
        to databaseDirectory: String,
        walDirectory: String? = nil,
        keepLogFiles: Bool = false
    ) throws(StorageError) {
        guard !databaseDirectory.isEmpty, !databaseDirectory.utf8.contains(0) else {
            throw StorageError(.restoreBackup, path: databaseDirectory, status: "restore path must be non-empty and contain no NUL bytes",
                               code: .invalidArgument)
        }
        guard let restoreOptions = rocksdb_restore_options_create() else {
            throw StorageError(.restoreBackup, path: databaseDirectory, status: "rocksdb_restore_options_create failed",
                               code: .unknown)
        }
        defer { rocksdb_restore_options_destroy(restoreOptions) }
        rocksdb_restore_options_set_keep_log_files(restoreOptions, keepLogFiles ? 1 : 0)
        let walDirectory = walDirectory ?? databaseDirectory
        try lock.withLock { _ throws(StorageError) in
            try StorageError.check(.restoreBackup, path: databaseDirectory) { error in
                if let id {
                    rocksdb_backup_engine_restore_db_from_backup(engine, databaseDirectory, walDirectory,
                                                                 restoreOptions, id, error)
                } else {
                    rocksdb_backup_engine_restore_db_from_latest_backup(engine, databaseDirectory, walDirectory,
                                                                        restoreOptions, error)
                }
            }
        }
    }

    /// Deletes all but the newest `count` backups and the files only they used.
    public func purge(keepingLatest count: UInt32) throws(StorageError) {
        try lock.withLock { _ throws(StorageError) in
            try StorageError.check(.purgeBackups, path: directory) { error in
                rocksdb_backup_engine_purge_old_backups(engine, count, error)
            }
        }
    }
}
