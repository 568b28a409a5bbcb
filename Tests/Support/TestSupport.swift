// Fixtures shared by the test targets: fresh temporary directories removed afterwards and a
// small seeded random generator, so every property test is reproducible.

import Foundation

/// Runs `body` with the path of a directory that does not exist yet, inside a fresh
/// temporary directory that is removed afterwards.
public func withTemporaryStorePath<Result>(_ body: (String) throws -> Result) throws -> Result {
    let parent = FileManager.default.temporaryDirectory
        .appendingPathComponent("tessera-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    return try body(parent.appendingPathComponent("data").path)
}

/// SplitMix64: a tiny reproducible generator for property tests.
public struct TestRandom: RandomNumberGenerator {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
