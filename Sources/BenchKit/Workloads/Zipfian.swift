// YCSB's key choosers: the scrambled zipfian (zipfian over 10^10 items, theta 0.99, hashed
// with FNV-1a-64 onto the record count, so hot keys are spread over the key space) and the
// plain zipfian for "latest" reads. Same constants and algorithm as YCSB's generators.

public import BenchSupport
import Foundation

/// Gray et al.'s zipfian generator over `0..<items`, as YCSB implements it.
public struct ZipfianGenerator: Sendable {
    /// YCSB's skew.
    public static let theta = 0.99
    private let items: Double
    private let zetan: Double
    private let alpha: Double
    private let eta: Double
    private let halfPowTheta: Double

    /// A generator over `items` items; `zetan` is ζ(items, θ), computed when not given.
    public init(items: Int, zetan: Double? = nil) {
        let theta = Self.theta
        self.items = Double(items)
        let zeta = zetan ?? Self.zeta(items)
        self.zetan = zeta
        alpha = 1 / (1 - theta)
        let zeta2 = 1 + pow(0.5, theta)
        halfPowTheta = pow(0.5, theta)
        eta = (1 - pow(2 / Double(items), 1 - theta)) / (1 - zeta2 / zeta)
    }

    /// ζ(n, θ) = Σ 1/i^θ for i in 1...n.
    public static func zeta(_ count: Int) -> Double {
        var sum = 0.0
        for index in 0..<count { sum += 1 / pow(Double(index + 1), theta) }
        return sum
    }

    /// The next item, 0 the most popular.
    public func next(using random: inout SeededGenerator) -> Int {
        let u = Double.random(in: 0..<1, using: &random)
        let uz = u * zetan
        if uz < 1 { return 0 }
        if uz < 1 + halfPowTheta { return 1 }
        return min(Int(items * pow(eta * u - eta + 1, alpha)), Int(items) - 1)
    }
}

/// YCSB's scrambled zipfian: popular items spread over the key space by a hash.
public struct ScrambledZipfianGenerator: Sendable {
    /// YCSB's item space and its precomputed ζ(10^10, 0.99).
    static let itemSpace = 10_000_000_000
    static let itemSpaceZeta = 26.46902820178302
    private let base = ZipfianGenerator(items: itemSpace, zetan: itemSpaceZeta)
    private let count: UInt64

    /// Keys in `0..<count`.
    public init(count: Int) {
        self.count = UInt64(max(count, 1))
    }

    /// The next key number.
    public func next(using random: inout SeededGenerator) -> Int {
        Int(fnv64(UInt64(base.next(using: &random))) % count)
    }
}

/// YCSB's FNV-1a-64 over the eight bytes of `value`, least significant first, made positive.
public func fnv64(_ value: UInt64) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    var rest = value
    for _ in 0..<8 {
        hash ^= rest & 0xFF
        hash = hash &* 1_099_511_628_211
        rest >>= 8
    }
    let signed = Int64(bitPattern: hash)
    return signed == .min ? UInt64(Int64.max) : UInt64(abs(signed))
}
