// A reproducible random number generator for property and robustness tests: every
// failure names its seed, and the same seed replays the same inputs.

import BenchSupport

/// SplitMix64 (shared with the report programs): reproducible from a single seed.
typealias SeededGenerator = BenchSupport.SeededGenerator
