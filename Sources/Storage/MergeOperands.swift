// MergeOperands: a zero-copy view of the operand list RocksDB hands a merge callback.
// Owns nothing: it points into RocksDB's memory and is valid only during that callback.

/// The merge operands of one merge call, oldest first, as raw byte views.
///
/// Valid only inside the `MergeOperator` call that received it; do not store it or its
/// elements.
public struct MergeOperands: RandomAccessCollection {
    private let pointers: UnsafePointer<UnsafePointer<CChar>?>?
    private let lengths: UnsafePointer<Int>?

    /// The index of the first operand (always 0).
    public let startIndex: Int = 0
    /// One past the index of the last operand.
    public let endIndex: Int

    init(pointers: UnsafePointer<UnsafePointer<CChar>?>?, lengths: UnsafePointer<Int>?, count: Int) {
        self.pointers = pointers
        self.lengths = lengths
        self.endIndex = (pointers == nil || lengths == nil) ? 0 : Swift.max(count, 0)
    }

    /// The operand at `position`.
    public subscript(position: Int) -> UnsafeRawBufferPointer {
        guard let pointers, let lengths else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return CBytes.view(pointers[position], count: lengths[position])
    }
}
