// KeyValueWriteBatch: a group of writes, across key spaces, applied all-or-nothing by
// `OrderedKeyValueStore.write(_:durability:)`. The protocol only.

/// Writes collected to be applied atomically: either all become visible, or none do.
public protocol KeyValueWriteBatch {
    /// The store's key space handle.
    associatedtype KeySpace

    /// Sets `key` to `value` in `keySpace`.
    mutating func put(_ key: [UInt8], _ value: [UInt8], in keySpace: KeySpace)
    /// Removes `key` from `keySpace`.
    mutating func delete(_ key: [UInt8], in keySpace: KeySpace)
    /// Removes every key `k` with `start <= k < end` from `keySpace`.
    mutating func deleteRange(from start: [UInt8], to end: [UInt8], in keySpace: KeySpace)
    /// Adds a merge operand for `key`, combined by the key space's `MergeOperator`.
    mutating func merge(_ key: [UInt8], _ operand: [UInt8], in keySpace: KeySpace)
    /// The number of writes collected.
    var count: Int { get }
    /// Removes every collected write.
    mutating func clear()
}
