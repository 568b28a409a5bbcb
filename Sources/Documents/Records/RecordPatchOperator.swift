// RecordPatchOperator: the merge operator of collection key spaces. Folds record
// patches (RecordPatch operands) onto the stored record on reads, flushes and compactions.
// Pure byte work: it needs no shape registry, so it is safe before the catalog is loaded.

internal import Storage

/// Folds ``RecordPatch`` operands, oldest first, onto a collection's stored record.
///
/// A patch only makes sense on the record it was computed against, and every patch is
/// computed inside the commit section against the latest folded record, so operands always
/// meet the base they expect. A patch with nothing to apply to (no base value), or one made
/// for a record of another length, fails the merge, which the engine reports as corruption.
struct RecordPatchOperator: MergeOperator {
    /// The name RocksDB records in its OPTIONS file.
    let name = "tessera.record-patch.v1"

    /// How many patches one document may collect before a write folds them into a full
    /// record (RocksDB's `max_successive_merges`): reads of a hot document then fold at most
    /// this many patches, and the memtable receives a full record once per this many updates.
    static let defaultMaxSuccessiveMerges = 8

    /// `defaultMaxSuccessiveMerges`, unless the engine's configuration sets its own limit.
    var successiveMergeLimit: Int? {
        Self.defaultMaxSuccessiveMerges
    }

    func fullMerge(key: UnsafeRawBufferPointer, existingValue: UnsafeRawBufferPointer?, operands: MergeOperands) -> [UInt8]? {
        guard let existingValue else { return nil }
        var record = [UInt8](existingValue)
        for operand in operands {
            guard RecordPatch.apply(operand, to: &record) else { return nil }
        }
        return record
    }
}
