// BenchSupport: the seeded random generator `tessera bench`'s workloads draw their documents
// from, so every run builds the same data. It has no dependencies, so the report programs
// (Benchmarks/) and the property tests of every layer use the same generator.

/// SplitMix64: a tiny, fast, seedable generator so every run builds the same documents.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// A generator whose sequence follows from `seed` alone.
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
