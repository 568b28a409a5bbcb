// Shared fixtures for the Storage tests: a fresh temporary directory per test (removed
// afterwards), byte helpers, a deterministic noise generator and an Int64-add merge operator.
import Foundation
import Synchronization
@testable import Storage

/// Creates a new, empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("tessera-storage-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `body` with a new, empty directory and removes it (and everything in it) afterwards.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let url = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// `withTemporaryDirectory` for async test bodies.
func withTemporaryDirectoryAsync(_ body: (String) async throws -> Void) async throws {
    let url = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: url) }
    try await body(url.path)
}

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// The keys of `entries` as strings.
func keyStrings(_ entries: [KeyValuePair]) -> [String] {
    entries.map { String(decoding: $0.key, as: UTF8.self) }
}

/// SplitMix64: incompressible but reproducible bytes, so sizes on disk are predictable.
struct NoiseGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func nextWord() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count + 8)
        while result.count < count {
            withUnsafeBytes(of: nextWord().littleEndian) { result.append(contentsOf: $0) }
        }
        return Array(result.prefix(count))
    }
}

/// Counts merge-operator calls, which happen on RocksDB's threads.
final class MergeCallCounter: Sendable {
    let fullMerges = Atomic<Int>(0)
    let partialMerges = Atomic<Int>(0)
}

/// Adds little-endian Int64 operands onto a little-endian Int64 value (missing = 0).
struct Int64AddOperator: MergeOperator {
    let calls: MergeCallCounter

    var name: String { "tessera.test.int64-add" }

    static func encode(_ value: Int64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func decode(_ buffer: UnsafeRawBufferPointer) -> Int64? {
        guard buffer.count == 8 else { return nil }
        return Int64(littleEndian: buffer.loadUnaligned(as: Int64.self))
    }

    static func decode(_ bytes: [UInt8]?) -> Int64? {
        bytes.flatMap { value in value.withUnsafeBytes { decode($0) } }
    }

    func fullMerge(key: UnsafeRawBufferPointer, existingValue: UnsafeRawBufferPointer?, operands: MergeOperands) -> [UInt8]? {
        calls.fullMerges.add(1, ordering: .relaxed)
        var sum: Int64 = 0
        if let existingValue {
            guard let base = Int64AddOperator.decode(existingValue) else { return nil }
            sum = base
        }
        for operand in operands {
            guard let delta = Int64AddOperator.decode(operand) else { return nil }
            sum &+= delta
        }
        return Int64AddOperator.encode(sum)
    }

    func partialMerge(key: UnsafeRawBufferPointer, operands: MergeOperands) -> [UInt8]? {
        calls.partialMerges.add(1, ordering: .relaxed)
        var sum: Int64 = 0
        for operand in operands {
            guard let delta = Int64AddOperator.decode(operand) else { return nil }
            sum &+= delta
        }
        return Int64AddOperator.encode(sum)
    }
}
