// OwnedBytes: a heap copy of a key that RocksDB keeps a pointer to (iterator bounds).
// Owns that allocation alone and frees it exactly once; never shared, never copied.

/// A uniquely owned heap copy of some optional bytes whose address stays fixed until it
/// is destroyed.
///
/// RocksDB's `rocksdb_readoptions_set_iterate_{lower,upper}_bound` keep the pointer they
/// are given rather than copying, so a bound's bytes must outlive the iterator.
struct OwnedBytes: ~Copyable {
    /// Start of the allocation, `nil` when constructed from `nil`. Never NULL for an
    /// empty but present byte string.
    private let base: UnsafeMutableRawPointer?
    /// Number of bytes copied in.
    let count: Int

    /// Copies `bytes` into a new allocation, or holds nothing when `bytes` is `nil`.
    init(copying bytes: [UInt8]?) {
        guard let bytes else {
            base = nil
            count = 0
            return
        }
        let allocation = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { source in
            if let address = source.baseAddress, source.count > 0 {
                allocation.copyMemory(from: address, byteCount: source.count)
            }
        }
        base = allocation
        count = bytes.count
    }

    /// The bytes as RocksDB's `const char*`, or `nil` when there are none.
    var cPointer: UnsafePointer<CChar>? {
        base.map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
    }

    /// Calls `body` with the bytes as RocksDB's `const char*` (`nil` when there are none)
    /// and their count; the allocation is guaranteed alive for the call.
    func withCPointer<Result>(_ body: (UnsafePointer<CChar>?, Int) -> Result) -> Result {
        body(cPointer, count)
    }

    deinit {
        base?.deallocate()
    }
}
