// MergeOperator: the protocol the layers above implement to give `merge` its meaning
// (counters, appends, shape-tree updates). Pure Swift over byte views; the C bridging
// lives in MergeOperatorBridge and never leaks into implementations.

/// Combines merge operands into a value: called by RocksDB on reads, flushes and
/// compactions; by an engine without native merges when it applies the operand.
///
/// Implementations run on RocksDB's threads (readers and background compactions)
/// concurrently, so they must be `Sendable` and must not block. They must be
/// deterministic: the same inputs must always produce the same output. The byte views
/// passed in are valid only for the duration of the call.
public protocol MergeOperator: Sendable {
    /// A stable name, recorded in RocksDB's OPTIONS file. Changing it for existing data is
    /// a format change.
    var name: String { get }

    /// Folds `operands` (oldest first) onto `existingValue` (`nil` if the key had no value
    /// or was deleted). Returns the new value, or `nil` if the operands are invalid; a
    /// `nil` makes the read or compaction fail with a `.corruption` `StorageError`.
    func fullMerge(
        key: UnsafeRawBufferPointer,
        existingValue: UnsafeRawBufferPointer?,
        operands: MergeOperands
    ) -> [UInt8]?

    /// Combines two or more `operands` (oldest first) into one operand without a base
    /// value, letting compactions shrink operand stacks. Return `nil` when they cannot be
    /// combined; RocksDB then keeps them as they are. The default never combines.
    func partialMerge(key: UnsafeRawBufferPointer, operands: MergeOperands) -> [UInt8]?

    /// How many operands one key may collect before a write should fold them into a full
    /// value, bounding the work of every read of a hot key (RocksDB's
    /// `max_successive_merges`); the engine's configuration, when it sets a limit, wins.
    /// `nil`: no preference. Engines that fold every operand at once ignore it.
    var successiveMergeLimit: Int? { get }
}

extension MergeOperator {
    /// Never combines operands; RocksDB keeps them until a full merge.
    public func partialMerge(key: UnsafeRawBufferPointer, operands: MergeOperands) -> [UInt8]? {
        nil
    }

    /// No preference: the engine's configuration (or its default) decides.
    public var successiveMergeLimit: Int? {
        nil
    }
}
