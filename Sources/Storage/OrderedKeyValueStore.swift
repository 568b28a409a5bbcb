// OrderedKeyValueStore: the interface the Documents layer programs against. Byte-ordered
// keys in named key spaces, atomic batches with explicit durability, snapshots. RocksDB
// is one implementation (RocksDBStore); a SQL-backed one can implement the same protocol.

/// An ordered, byte-keyed store with named key spaces, atomic batches and snapshots.
///
/// Keys compare as unsigned byte strings. Reads on the store see the latest committed
/// state; reads on a `Snapshot` see the state when it was taken. Safe to share across
/// threads.
public protocol OrderedKeyValueStore: KeyValueReader, AnyObject, Sendable where KeySpace: Sendable {
    /// The backend's write batch.
    associatedtype Batch: KeyValueWriteBatch where Batch.KeySpace == KeySpace
    /// The backend's snapshot, a reader over the same key spaces.
    associatedtype StoreSnapshot: KeyValueReader where StoreSnapshot.KeySpace == KeySpace

    /// The key space that always exists.
    var defaultKeySpace: KeySpace { get }
    /// The names of all key spaces, sorted.
    var keySpaceNames: [String] { get }
    /// The key space called `name`, created if it does not exist.
    func keySpace(named name: String) throws(StorageError) -> KeySpace
    /// The key space called `name`, or `nil` if it does not exist.
    func existingKeySpace(named name: String) -> KeySpace?
    /// Deletes a key space and all its data. Later use of the handle throws.
    func dropKeySpace(_ keySpace: KeySpace) throws(StorageError)

    /// Sets `key` to `value` in `keySpace`.
    func put(_ key: [UInt8], _ value: [UInt8], in keySpace: KeySpace, durability: Durability) throws(StorageError)
    /// Removes `key` from `keySpace`.
    func delete(_ key: [UInt8], in keySpace: KeySpace, durability: Durability) throws(StorageError)
    /// A new, empty batch for this store.
    func makeWriteBatch() throws(StorageError) -> Batch
    /// Applies every write in `batch` atomically. The batch is left unchanged.
    func write(_ batch: Batch, durability: Durability) throws(StorageError)
    /// A consistent view of every key space as of now.
    func makeSnapshot() throws(StorageError) -> StoreSnapshot
}
