// KeyValueWriteBatch: a group of writes, across key spaces, applied all-or-nothing by
// `StorageEngine.write(_:durability:)` (RocksDB: one write batch; SQL: one transaction).
// The protocol only.

/// Writes collected to be applied atomically: either all become visible, or none do.
///
/// Collecting never fails: a key space the engine cannot use (another engine's, or a
/// dropped one) makes `StorageEngine.write(_:durability:)` refuse the whole batch. A batch
/// is built by one thread at a time.
public protocol KeyValueWriteBatch: AnyObject {
    /// Sets `key` to `value` in `keySpace`.
    func put(_ key: [UInt8], _ value: [UInt8], in keySpace: any KeySpace)
    /// Removes `key` from `keySpace`.
    func delete(_ key: [UInt8], in keySpace: any KeySpace)
    /// Removes every key `k` with `start <= k < end` from `keySpace`.
    func deleteRange(from start: [UInt8], to end: [UInt8], in keySpace: any KeySpace)
    /// Adds a merge operand for `key`, folded by the key space's `MergeOperator`.
    func merge(_ key: [UInt8], _ operand: [UInt8], in keySpace: any KeySpace)
    /// The number of writes collected.
    var count: Int { get }
    /// Removes every collected write.
    func clear()
}

extension KeyValueWriteBatch {
    /// Whether the batch holds no writes.
    public var isEmpty: Bool {
        count == 0
    }
}
