// StorageEngine: the interface the Documents layer programs against — byte-ordered keys in
// named key spaces, atomic batches with explicit durability, snapshots, merge operands.
// RocksDB is one engine (RocksDBStore); a SQL engine implements the same protocol with
// tables for key spaces, range queries for cursors and transactions for batches/snapshots.

/// An ordered, byte-keyed store with named key spaces, atomic batches, snapshots and merges.
///
/// Keys compare as unsigned byte strings. Reads on the engine see the latest committed
/// state; reads on a snapshot see the state when it was taken. Safe to share across
/// threads. Used through `any StorageEngine` the associated types erase to `any KeySpace`,
/// `any KeyValueCursor`, `any KeyValueSnapshot` and `any KeyValueWriteBatch`; generic code
/// (`<Engine: StorageEngine>`) sees the engine's own types.
///
/// What an engine needs beyond this (flushes, compaction, statistics, checkpoints) is an
/// optional capability: see `StorageMaintenance`, `StorageFigures`, `StorageCheckpoints`.
public protocol StorageEngine: KeyValueReader, Sendable {
    /// The engine's key space handle.
    associatedtype Space: KeySpace
    /// The engine's snapshot.
    associatedtype StoreSnapshot: KeyValueSnapshot
    /// The engine's write batch.
    associatedtype Batch: KeyValueWriteBatch

    /// Where the data lives, for messages (a directory, a connection string without secrets).
    var location: String { get }

    /// The names of all key spaces, sorted.
    var keySpaceNames: [String] { get throws(StorageError) }
    /// The key space called `name`, created (empty) if it does not exist. Names are
    /// non-empty, without NUL bytes.
    func keySpace(named name: String) throws(StorageError) -> Space
    /// The key space called `name`, or `nil` if it does not exist.
    func existingKeySpace(named name: String) throws(StorageError) -> Space?
    /// Deletes a key space and all its data. Later use of the handle throws
    /// `.keySpaceDropped`; snapshots and cursors already reading it may go on reading.
    func dropKeySpace(_ keySpace: any KeySpace) throws(StorageError)

    /// Sets `key` to `value` in `keySpace`.
    func put(_ key: [UInt8], _ value: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError)
    /// Removes `key` from `keySpace`.
    func delete(_ key: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError)
    /// Adds a merge operand for `key` in `keySpace`, folded by the key space's `MergeOperator`
    /// (given when the engine was opened). Engines may fold at once or on later reads.
    func merge(_ key: [UInt8], _ operand: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError)

    /// A new, empty batch for this engine.
    func makeWriteBatch() throws(StorageError) -> Batch
    /// Applies every write in `batch` (made by this engine) atomically: all of them become
    /// visible together, or none do. The batch is left unchanged.
    func write(_ batch: any KeyValueWriteBatch, durability: Durability) throws(StorageError)
    /// A consistent view of every key space as of now.
    func makeSnapshot() throws(StorageError) -> StoreSnapshot

    /// Makes every `.buffered` write that has returned so far as durable as a `.journaled`
    /// one (RocksDB: one WAL fsync). Group commit calls it once for many writers.
    func syncJournal() throws(StorageError)
    /// Bytes the engine's data occupies on disk (every file of a RocksDB directory).
    func diskUsage() throws(StorageError) -> UInt64
}

/// How to open one storage engine: which engine, where its data lives and its settings.
/// `DocumentStore` opens the engine it is given with the merge operators its key spaces need.
public protocol StorageEngineConfiguration: Sendable {
    /// Where the data lives, for messages.
    var location: String { get }

    /// Opens the engine, creating its store if there is none yet (as the configuration
    /// allows). `mergeOperators` maps a key space name prefix to the operator that folds
    /// merge operands in every key space whose name starts with it (the longest prefix wins).
    func open(mergeOperators: [String: any MergeOperator]) throws(StorageError) -> any StorageEngine
}
