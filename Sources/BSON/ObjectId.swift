// ObjectId: the 12-byte identifier and its generation per the BSON ObjectId spec
// (4-byte big-endian seconds, 5 bytes random per process, 3-byte big-endian counter).

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 12-byte BSON ObjectId.
public struct ObjectId: Sendable, Hashable, Comparable {
    /// The 12 bytes, in wire order.
    public var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    /// A new, unique ObjectId for the current time.
    public init() {
        self = ObjectIdGenerator.shared.next()
    }

    /// An ObjectId from exactly 12 bytes; `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 12 else { return nil }
        var raw: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { target in
            for (offset, byte) in bytes.enumerated() { target[offset] = byte }
        }
        self.bytes = raw
    }

    /// An ObjectId from its 24-character hexadecimal form; `nil` if the string is not that.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 24 else { return nil }
        var raw = [UInt8](repeating: 0, count: 12)
        for index in 0..<12 {
            guard let high = hexDigitValue(utf8[2 * index]), let low = hexDigitValue(utf8[2 * index + 1]) else {
                return nil
            }
            raw[index] = high << 4 | low
        }
        self.init(uncheckedBytes: raw)
    }

    /// The 12 bytes as an array.
    public var byteArray: [UInt8] {
        withUnsafeBytes(of: bytes) { Array($0) }
    }

    /// The lowercase 24-character hexadecimal form.
    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: bytes) { raw in
            String(unsafeUninitializedCapacity: 24) { out in
                for (index, byte) in raw.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0x0F)]
                }
                return 24
            }
        }
    }

    /// The creation time in seconds since the epoch (the first four bytes, big-endian).
    public var timestampSeconds: UInt32 {
        UInt32(bytes.0) << 24 | UInt32(bytes.1) << 16 | UInt32(bytes.2) << 8 | UInt32(bytes.3)
    }

    /// Structural equality of the 12 bytes.
    public static func == (lhs: ObjectId, rhs: ObjectId) -> Bool {
        withUnsafeBytes(of: lhs.bytes) { a in withUnsafeBytes(of: rhs.bytes) { b in a.elementsEqual(b) } }
    }

    /// Hashes the 12 bytes.
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: bytes) { hasher.combine(bytes: $0) }
    }

    /// Orders ObjectIds by their bytes, as MongoDB does.
    public static func < (lhs: ObjectId, rhs: ObjectId) -> Bool {
        withUnsafeBytes(of: lhs.bytes) { a in
            withUnsafeBytes(of: rhs.bytes) { b in a.lexicographicallyPrecedes(b) }
        }
    }
}

extension ObjectId: CustomStringConvertible {
    /// The hexadecimal form.
    public var description: String { hex }
}

@inline(__always)
func hexDigitValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// Generates ObjectIds per the spec. Thread-safe: the counter is an atomic and the
/// per-process random value is immutable after initialisation.
final class ObjectIdGenerator: Sendable {
    static let shared = ObjectIdGenerator()

    private let processUnique: (UInt8, UInt8, UInt8, UInt8, UInt8)
    private let counter: Atomic<UInt32>

    private init() {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        processUnique = (
            UInt8(truncatingIfNeeded: random), UInt8(truncatingIfNeeded: random >> 8),
            UInt8(truncatingIfNeeded: random >> 16), UInt8(truncatingIfNeeded: random >> 24),
            UInt8(truncatingIfNeeded: random >> 32)
        )
        counter = Atomic(UInt32.random(in: 0...0x00FF_FFFF, using: &generator))
    }

    func next() -> ObjectId {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let seconds = UInt32(truncatingIfNeeded: now.tv_sec)
        let count = counter.wrappingAdd(1, ordering: .relaxed).oldValue & 0x00FF_FFFF
        let raw: [UInt8] = [
            UInt8(seconds >> 24), UInt8(truncatingIfNeeded: seconds >> 16),
            UInt8(truncatingIfNeeded: seconds >> 8), UInt8(truncatingIfNeeded: seconds),
            processUnique.0, processUnique.1, processUnique.2, processUnique.3, processUnique.4,
            UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8),
            UInt8(truncatingIfNeeded: count),
        ]
        return ObjectId(uncheckedBytes: raw)
    }
}

extension ObjectId {
    /// An ObjectId from a buffer known to hold at least 12 bytes at `offset`.
    @inline(__always)
    init(uncheckedBytes raw: some RandomAccessCollection<UInt8>, at offset: Int = 0) {
        let b = raw.index(raw.startIndex, offsetBy: offset)
        func at(_ i: Int) -> UInt8 { raw[raw.index(b, offsetBy: i)] }
        bytes = (at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8), at(9), at(10), at(11))
    }
}
