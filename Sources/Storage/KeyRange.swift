// KeyRange: a half-open interval of byte-string keys, the unit of every scan.
// Owns the byte-order rules (unsigned lexicographic, like RocksDB's bytewise comparator)
// and prefix ranges; knows nothing about iterators or backends.

/// The keys `k` with `lowerBound <= k < upperBound`, compared as unsigned byte strings.
///
/// A `nil` bound is unbounded on that side. Every index scan in the layers above is one
/// `KeyRange`, so this type is shared by all backends.
public struct KeyRange: Sendable, Hashable {
    /// The smallest key in the range (inclusive), or `nil` for no lower bound.
    public var lowerBound: [UInt8]?
    /// The first key past the range (exclusive), or `nil` for no upper bound.
    public var upperBound: [UInt8]?

    /// Creates the range `lowerBound ..< upperBound`; either side may be open.
    public init(lowerBound: [UInt8]? = nil, upperBound: [UInt8]? = nil) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Every key.
    public static let all = KeyRange()

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: [UInt8]) -> KeyRange {
        KeyRange(lowerBound: prefix, upperBound: KeyRange.successor(ofPrefix: prefix))
    }

    /// Whether `key` lies inside the range.
    public func contains(_ key: [UInt8]) -> Bool {
        if let lowerBound, key.lexicographicallyPrecedes(lowerBound) { return false }
        if let upperBound, !key.lexicographicallyPrecedes(upperBound) { return false }
        return true
    }

    /// The smallest key greater than every key starting with `prefix`, or `nil` when the
    /// prefix is empty or all `0xFF` bytes (then no such key exists).
    public static func successor(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }

    /// The part of the range a scan in `direction` has left after visiting `key` (the keys
    /// after it, or before it in reverse); `nil` when nothing is left. A `nil` key leaves the
    /// range whole. Resumable scans (a cursor's next batch) start from here.
    public func resumed(after key: [UInt8]?, direction: ScanDirection) -> KeyRange? {
        guard let key else { return self }
        var rest = self
        switch direction {
        case .forward:
            let next = key + [0]  // the smallest key greater than `key`
            if lowerBound.map({ $0.lexicographicallyPrecedes(next) }) ?? true { rest.lowerBound = next }
        case .reverse:
            if upperBound.map({ key.lexicographicallyPrecedes($0) }) ?? true { rest.upperBound = key }
        }
        if let lower = rest.lowerBound, let upper = rest.upperBound, !lower.lexicographicallyPrecedes(upper) { return nil }
        return rest
    }
}
