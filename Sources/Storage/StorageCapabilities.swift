// StorageCapabilities: what some storage engines can do beyond `StorageEngine` — flushes and
// compaction, size and statistics figures, checkpoints, file checksum verification. Callers ask with `as? any ...`; the
// layers above never need them to be correct, only to report or tidy up.

/// Engines whose writes pass through memory buffers and whose deleted data is reclaimed by
/// background compaction (RocksDB's memtables and LSM levels).
public protocol StorageMaintenance: StorageEngine {
    /// Writes the memory buffers of `keySpace` (of every key space when `nil`) to disk and waits.
    func flush(_ keySpace: (any KeySpace)?) throws(StorageError)
    /// Compacts `range` of `keySpace` fully and waits: folds merge operands and drops
    /// deleted data, so its files can be released.
    func compactRange(_ range: KeyRange, in keySpace: any KeySpace) throws(StorageError)
}

extension StorageMaintenance {
    /// Flushes every key space.
    public func flush() throws(StorageError) {
        try flush(nil)
    }

    /// Compacts all of `keySpace`.
    public func compactRange(in keySpace: any KeySpace) throws(StorageError) {
        try compactRange(.all, in: keySpace)
    }
}

/// Engines that report counters and per-key-space sizes.
public protocol StorageFigures: StorageEngine {
    /// The engine's counters, or `nil` unless it was opened to collect them.
    func statistics() -> StorageStatistics?
    /// Bytes of the files holding `keySpace`: `live` counts only files of the current
    /// version, otherwise also files kept for snapshots and cursors.
    func sizeOnDisk(of keySpace: any KeySpace, live: Bool) -> UInt64
    /// The engine's named figure of `keySpace` (of the engine's default key space when
    /// `nil`) as text, or `nil` if the engine does not know the name.
    func property(_ name: String, of keySpace: (any KeySpace)?) -> String?
    /// The engine's named integer figure, or `nil` if it does not know the name.
    func integerProperty(_ name: String, of keySpace: (any KeySpace)?) -> UInt64?
}

/// Engines that can write an openable, consistent copy of the whole store to a directory.
public protocol StorageCheckpoints: StorageEngine {
    /// Writes a consistent copy of every key space into `directory`, which must not exist.
    func createCheckpoint(at directory: String) throws(StorageError)
}

/// Engines that keep their data in files with checksums they can verify on demand.
public protocol StorageFileVerification: StorageEngine {
    /// Reads every data file of the store back from disk and checks every checksum in it,
    /// file by file, asking `isInterrupted` between files (then throws `.aborted`). Files that
    /// background work deletes meanwhile are skipped. A file that fails is reported, not thrown.
    func verifyFileChecksums(isInterrupted: () -> Bool) throws(StorageError) -> FileChecksumReport
}

/// What ``StorageFileVerification/verifyFileChecksums(isInterrupted:)`` found.
public struct FileChecksumReport: Sendable, Equatable {
    /// One file whose checksums did not verify.
    public struct Failure: Sendable, Equatable {
        /// The file's name in the store.
        public let file: String
        /// The engine's message.
        public let message: String
    }

    /// Files read and checked.
    public var filesChecked = 0
    /// Their bytes.
    public var bytesChecked: UInt64 = 0
    /// Each file that failed.
    public var failures: [Failure] = []

    /// An empty report.
    public init() {}
}

/// Engines whose data several Tessera servers share at once (a PostgreSQL-protocol
/// database): they allocate ids from the database and serialise every server's commits,
/// so ids are never given twice and read-check-write sequences (unique keys) stay atomic
/// across servers (docs/scale-out.md).
public protocol SharedStorage: StorageEngine {
    /// Blocks until this caller holds the database-wide commit lock, then returns it. Every
    /// commit that must not interleave with another server's runs while holding it; a
    /// server that dies loses it with its connection.
    func lockCommits() throws(StorageError) -> any SharedCommitLock
    /// Reserves `count` consecutive values of the database counter `name`, none below
    /// `floor`, atomically across servers; returns the first.
    func reserve(_ count: UInt64, of name: String, floor: UInt64) throws(StorageError) -> UInt64
}

/// The database-wide commit lock, held until ``release()``.
public protocol SharedCommitLock: AnyObject, Sendable {
    /// Gives the lock up (once; later calls do nothing).
    func release()
    /// Whether the lock may still be held: false once the connection holding it closed (the
    /// database server died or failed over), after which another server may hold it.
    var isHeld: Bool { get }
}
