// An open-addressing hash table from field-name bytes to slot, so finding a field by name
// costs the same for the first and the last field, and never makes a String.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps field names (as UTF-8 bytes) to the first slot with that name.
struct FieldNameIndex: Sendable {
    /// Slot + 1 per bucket; 0 marks an empty bucket.
    private let buckets: [Int32]
    private let mask: Int

    /// Indexes the names stored back to back in `names`, slot `i` at `starts[i]..<starts[i+1]`.
    init(names: [UInt8], starts: [Int]) {
        let count = starts.count - 1
        var capacity = 4
        while capacity < count * 2 { capacity <<= 1 }
        var buckets = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        names.withUnsafeBytes { raw in
            for slot in 0..<count {
                let name = UnsafeRawBufferPointer(rebasing: raw[starts[slot]..<starts[slot + 1]])
                var bucket = FieldNameIndex.hash(name) & mask
                while true {
                    let occupant = Int(buckets[bucket])
                    if occupant == 0 {
                        buckets[bucket] = Int32(slot + 1)
                        break
                    }
                    // A duplicate name keeps its first slot, as BSON lookups do.
                    let other = occupant - 1
                    if FieldNameIndex.equal(name, UnsafeRawBufferPointer(rebasing: raw[starts[other]..<starts[other + 1]])) {
                        break
                    }
                    bucket = (bucket + 1) & mask
                }
            }
        }
        self.buckets = buckets
        self.mask = mask
    }

    /// The first slot named `name`, comparing bytes against the names in `names`/`starts`.
    func slot(for name: UnsafeRawBufferPointer, names: UnsafeRawBufferPointer, starts: [Int]) -> Int? {
        var bucket = FieldNameIndex.hash(name) & mask
        while true {
            let occupant = Int(buckets[bucket])
            if occupant == 0 { return nil }
            let slot = occupant - 1
            if FieldNameIndex.equal(name, UnsafeRawBufferPointer(rebasing: names[starts[slot]..<starts[slot + 1]])) {
                return slot
            }
            bucket = (bucket + 1) & mask
        }
    }

    /// The hash of a field name's bytes (seeded per process, like `Hasher`).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return hasher.finalize()
    }

    /// Byte equality of two names.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        return memcmp(pa, pb, a.count) == 0
    }
}
