// The OP_COMPRESSED compressors (noop, snappy, zlib, zstd) over the system libraries. Each
// call is one whole buffer in, one whole buffer out; callers bound sizes before calling.

import CSnappy
import CZlib
import CZstd

/// A compressor MongoDB's OP_COMPRESSED can name, by its wire id.
public enum Compressor: UInt8, Sendable, CaseIterable {
    /// No compression: the bytes are copied.
    case noop = 0
    /// Snappy.
    case snappy = 1
    /// zlib (deflate with zlib framing).
    case zlib = 2
    /// Zstandard.
    case zstd = 3

    /// The name used in `hello`'s `compression` array and in connection strings.
    public var name: String {
        switch self {
        case .noop: "noop"
        case .snappy: "snappy"
        case .zlib: "zlib"
        case .zstd: "zstd"
        }
    }

    /// The compressor with `name`, if there is one.
    public init?(name: String) {
        guard let found = Compressor.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }

    /// The compressed form of `bytes`.
    public func compress(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> [UInt8] {
        let input = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)
        switch self {
        case .noop:
            return Array(bytes)
        case .snappy:
            let bound = snappy_max_compressed_length(bytes.count)
            var status = SNAPPY_OK
            let output = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                var length = bound
                status = snappy_compress(
                    input?.assumingMemoryBound(to: CChar.self), bytes.count,
                    UnsafeMutableRawPointer(out.baseAddress)?.assumingMemoryBound(to: CChar.self), &length)
                count = status == SNAPPY_OK ? length : 0
            }
            guard status == SNAPPY_OK else { throw .compressionFailed(compressor: name, reason: "status \(status.rawValue)") }
            return output
        case .zlib:
            let bound = Int(compressBound(uLong(bytes.count)))
            var status = Z_OK
            let output = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                var length = uLongf(bound)
                status = compress2(out.baseAddress, &length, input?.assumingMemoryBound(to: Bytef.self),
                                   uLong(bytes.count), 6)
                count = status == Z_OK ? Int(length) : 0
            }
            guard status == Z_OK else { throw .compressionFailed(compressor: name, reason: "zlib status \(status)") }
            return output
        case .zstd:
            let bound = ZSTD_compressBound(bytes.count)
            var result = 0
            let output = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                result = ZSTD_compress(out.baseAddress, bound, input, bytes.count, 3)
                count = ZSTD_isError(result) == 0 ? result : 0
            }
            guard ZSTD_isError(result) == 0 else {
                throw .compressionFailed(compressor: name, reason: String(cString: ZSTD_getErrorName(result)))
            }
            return output
        }
    }

    /// The compressed form of `bytes`.
    public func compress(_ bytes: [UInt8]) throws(WireError) -> [UInt8] {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try compress(raw) } }
        return try result.get()
    }

    /// Decompresses `bytes`, which must expand to exactly `uncompressedSize` bytes. Callers
    /// bound `uncompressedSize` (by ``maximumMessageSize``) before calling: this allocates it.
    public func decompress(_ bytes: UnsafeRawBufferPointer, uncompressedSize: Int) throws(WireError) -> [UInt8] {
        let input = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)
        var failure: String?
        let output: [UInt8]
        switch self {
        case .noop:
            guard bytes.count == uncompressedSize else {
                throw .decompressionFailed(compressor: name, reason: "size \(bytes.count), expected \(uncompressedSize)")
            }
            return Array(bytes)
        case .snappy:
            var stated = 0
            let lengthStatus = snappy_uncompressed_length(
                input?.assumingMemoryBound(to: CChar.self), bytes.count, &stated)
            guard lengthStatus == SNAPPY_OK else { throw .decompressionFailed(compressor: name, reason: "corrupt input") }
            guard stated == uncompressedSize else {
                throw .decompressionFailed(compressor: name, reason: "size \(stated), expected \(uncompressedSize)")
            }
            output = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { out, count in
                var length = uncompressedSize
                let status = snappy_uncompress(
                    input?.assumingMemoryBound(to: CChar.self), bytes.count,
                    UnsafeMutableRawPointer(out.baseAddress)?.assumingMemoryBound(to: CChar.self), &length)
                if status != SNAPPY_OK { failure = "corrupt input" } else if length != uncompressedSize {
                    failure = "size \(length), expected \(uncompressedSize)"
                }
                count = failure == nil ? length : 0
            }
        case .zlib:
            output = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { out, count in
                var length = uLongf(uncompressedSize)
                let status = uncompress(out.baseAddress, &length, input?.assumingMemoryBound(to: Bytef.self),
                                        uLong(bytes.count))
                if status == Z_BUF_ERROR {
                    failure = "output larger than \(uncompressedSize) bytes"
                } else if status != Z_OK {
                    failure = "zlib status \(status)"
                } else if Int(length) != uncompressedSize {
                    failure = "size \(length), expected \(uncompressedSize)"
                }
                count = failure == nil ? Int(length) : 0
            }
        case .zstd:
            output = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { out, count in
                let result = ZSTD_decompress(out.baseAddress, uncompressedSize, input, bytes.count)
                if ZSTD_isError(result) != 0 {
                    failure = String(cString: ZSTD_getErrorName(result))
                } else if result != uncompressedSize {
                    failure = "size \(result), expected \(uncompressedSize)"
                }
                count = failure == nil ? result : 0
            }
        }
        if let failure { throw .decompressionFailed(compressor: name, reason: failure) }
        return output
    }
}
