// MergeOperands: a zero-copy view of the operand list a merge callback receives (RocksDB's
// memory, or Swift arrays for engines that fold merges themselves). Owns nothing: it is
// valid only during that callback.

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

extension MergeOperands {
    /// Calls `body` with a view of `operands` (oldest first), valid only during the call:
    /// how an engine without native merges hands its operands to a `MergeOperator`.
    public static func withOperands<Result>(_ operands: [[UInt8]], _ body: (MergeOperands) throws -> Result) rethrows -> Result {
        let joined = operands.flatMap { $0 }
        let lengths = operands.map(\.count)
        return try joined.withUnsafeBufferPointer { bytes in
            try bytes.withMemoryRebound(to: CChar.self) { characters in
                var offset = 0
                var pointers: [UnsafePointer<CChar>?] = []
                pointers.reserveCapacity(lengths.count)
                for length in lengths {
                    pointers.append(characters.baseAddress.map { UnsafePointer($0 + offset) })
                    offset += length
                }
                return try pointers.withUnsafeBufferPointer { pointerBuffer in
                    try lengths.withUnsafeBufferPointer { lengthBuffer in
                        try body(MergeOperands(pointers: pointerBuffer.baseAddress, lengths: lengthBuffer.baseAddress,
                                               count: lengths.count))
                    }
                }
            }
        }
    }
}
