// CBytes: the only place byte arrays are handed to RocksDB as `const char*` + length.
// Owns the empty-array case (RocksDB requires non-NULL pointers) and copies out of C memory.

/// Bridges Swift byte arrays and RocksDB's `(const char*, size_t)` slices.
enum CBytes {
    /// Calls `body` with a non-NULL pointer to `bytes` and their count, valid only inside `body`.
    @inline(__always)
    static func with<Result>(
        _ bytes: [UInt8],
        _ body: (UnsafePointer<CChar>, Int) -> Result
    ) -> Result {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                return withUnsafePointer(to: CChar(0)) { body($0, 0) }
            }
            return UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                body($0, buffer.count)
            }
        }
    }

    /// A raw view of `count` bytes at `pointer`, empty when the pointer is NULL.
    @inline(__always)
    static func view(_ pointer: UnsafePointer<CChar>?, count: Int) -> UnsafeRawBufferPointer {
        guard let pointer, count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: count)
    }

    /// Copies `count` bytes at `pointer` into a new array (one copy, no intermediate).
    @inline(__always)
    static func copy(_ pointer: UnsafePointer<CChar>?, count: Int) -> [UInt8] {
        [UInt8](view(pointer, count: count))
    }

}
