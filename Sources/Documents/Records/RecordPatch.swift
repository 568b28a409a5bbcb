// RecordPatch: the merge operand that changes a stored record without rewriting it — a short
// program of byte edits (overwrite, splice, re-encode integers, rewrite an offset table)
// computed at write time against the exact record it applies to. Owns the format and its
// interpreter; knows nothing of shapes, so RocksDB can fold patches before any catalog loads.

/// A record patch: byte edits at ascending offsets of the record it was computed against.
///
/// Encoding (integers little-endian, offsets and counts fixed at 4 bytes so an operand's size
/// never depends on the record's size):
/// ```
/// patch = 0x01 u32(base length) u32(result length) edit*
/// edit  = 0x01 u32(offset) u8(n) n bytes                       overwrite n bytes in place
///       | 0x02 u32(offset) u32(removed) u32(n) n bytes         replace `removed` bytes by n bytes
///       | 0x03 u32(offset) u32(count) u8(old) u8(new)          re-encode `count` sign-extended
///                                                              integers from `old` to `new` bytes each
///       | 0x04 u32(offset) u32(count) u8(old) u8(new) u32(k)   rewrite an offset table of `count`
///              k × (u32(from) i32(delta))                      entries from width `old` to `new`,
///                                                              adding every `delta` whose `from`
///                                                              is at most the entry's index
/// ```
/// Edits do not overlap and come in ascending offset order (an insertion may sit where the
/// previous edit ended). Applying a patch to a record of another length fails, so a patch
/// can never silently land on a record it was not made for.
struct RecordPatch: Sendable, Equatable {
    /// One byte edit.
    enum Edit: Sendable, Equatable {
        /// Overwrites `bytes.count` bytes at `offset`.
        case overwrite(offset: Int, bytes: [UInt8])
        /// Replaces `removed` bytes at `offset` with `bytes`.
        case splice(offset: Int, removed: Int, bytes: [UInt8])
        /// Re-encodes `count` consecutive integers at `offset` from `oldWidth` to `newWidth`
        /// bytes each, sign-extending.
        case integers(offset: Int, count: Int, oldWidth: Int, newWidth: Int)
        /// Rewrites the offset table of `count` entries at `offset` from `oldWidth` to
        /// `newWidth` bytes per entry, adding to entry `i` every delta whose `from <= i`.
        case table(offset: Int, count: Int, oldWidth: Int, newWidth: Int, shifts: [TableShift])

        /// Where the edit starts in the base record.
        var offset: Int {
            switch self {
            case let .overwrite(offset, _), let .splice(offset, _, _), let .integers(offset, _, _, _),
                 let .table(offset, _, _, _, _):
                offset
            }
        }

        /// How many base bytes the edit consumes.
        var removedCount: Int {
            switch self {
            case let .overwrite(_, bytes): bytes.count
            case let .splice(_, removed, _): removed
            case let .integers(_, count, oldWidth, _): count * oldWidth
            case let .table(_, count, oldWidth, _, _): count * oldWidth
            }
        }

        /// How many bytes the edit produces.
        var insertedCount: Int {
            switch self {
            case let .overwrite(_, bytes): bytes.count
            case let .splice(_, _, bytes): bytes.count
            case let .integers(_, count, _, newWidth): count * newWidth
            case let .table(_, count, _, newWidth, _): count * newWidth
            }
        }
    }

    /// A change of offset-table entries from index `from` on.
    struct TableShift: Sendable, Equatable {
        var from: Int
        var delta: Int
    }

    static let formatVersion: UInt8 = 1
    private static let overwriteTag: UInt8 = 1
    private static let spliceTag: UInt8 = 2
    private static let integersTag: UInt8 = 3
    private static let tableTag: UInt8 = 4

    /// The length of the record the patch applies to.
    var baseLength: Int
    /// The edits, in ascending offset order.
    var edits: [Edit]

    /// The length of the patched record.
    var resultLength: Int {
        edits.reduce(baseLength) { $0 - $1.removedCount + $1.insertedCount }
    }

    /// Whether every edit overwrites in place (the record keeps its length and layout).
    var isInPlace: Bool {
        edits.allSatisfy { if case .overwrite = $0 { true } else { false } }
    }

    // MARK: Encoding

    /// The operand bytes.
    func serialized() -> [UInt8] {
        var out: [UInt8] = [Self.formatVersion]
        out.reserveCapacity(9 + edits.count * 12)
        Self.appendU32(baseLength, to: &out)
        Self.appendU32(resultLength, to: &out)
        for edit in edits {
            switch edit {
            case let .overwrite(offset, bytes):
                out.append(Self.overwriteTag)
                Self.appendU32(offset, to: &out)
                out.append(UInt8(bytes.count))
                out.append(contentsOf: bytes)
            case let .splice(offset, removed, bytes):
                out.append(Self.spliceTag)
                Self.appendU32(offset, to: &out)
                Self.appendU32(removed, to: &out)
                Self.appendU32(bytes.count, to: &out)
                out.append(contentsOf: bytes)
            case let .integers(offset, count, oldWidth, newWidth):
                out.append(Self.integersTag)
                Self.appendU32(offset, to: &out)
                Self.appendU32(count, to: &out)
                out.append(UInt8(oldWidth))
                out.append(UInt8(newWidth))
            case let .table(offset, count, oldWidth, newWidth, shifts):
                out.append(Self.tableTag)
                Self.appendU32(offset, to: &out)
                Self.appendU32(count, to: &out)
                out.append(UInt8(oldWidth))
                out.append(UInt8(newWidth))
                Self.appendU32(shifts.count, to: &out)
                for shift in shifts {
                    Self.appendU32(shift.from, to: &out)
                    RecordBytes.appendLittleEndian(UInt64(UInt32(bitPattern: Int32(shift.delta))), width: 4, to: &out)
                }
            }
        }
        return out
    }

    @inline(__always)
    private static func appendU32(_ value: Int, to out: inout [UInt8]) {
        RecordBytes.appendLittleEndian(UInt64(UInt32(truncatingIfNeeded: value)), width: 4, to: &out)
    }

    // MARK: Applying

    /// Applies the patch in `operand` to `base`, returning the new record; `nil` when the
    /// operand is malformed or was made for a record of another length.
    ///
    /// Cost: one pass copying `base` (none when every edit overwrites in place and `base` is
    /// uniquely referenced) plus the edits themselves.
    static func apply(_ operand: UnsafeRawBufferPointer, to base: inout [UInt8]) -> Bool {
        guard operand.count >= 9, operand[0] == formatVersion else { return false }
        let baseLength = Int(RecordBytes.loadUnsigned(operand, at: 1, width: 4))
        let resultLength = Int(RecordBytes.loadUnsigned(operand, at: 5, width: 4))
        guard baseLength == base.count else { return false }
        if resultLength == baseLength, let done = overwriteInPlace(operand, base: &base) {
            return done
        }
        var out: [UInt8] = []
        // A damaged operand may claim any length: reserve what real patches need.
        out.reserveCapacity(min(resultLength, base.count + operand.count))
        let applied = base.withUnsafeBytes { raw in rewrite(operand, base: raw, limit: resultLength, into: &out) }
        guard applied, out.count == resultLength else { return false }
        base = out
        return true
    }

    /// Applies a patch made only of overwrites directly in `base`; `nil` (with `base`
    /// untouched) if the patch has other edits, `false` (also untouched) if it is malformed.
    private static func overwriteInPlace(_ operand: UnsafeRawBufferPointer, base: inout [UInt8]) -> Bool? {
        // Check everything first, so a bad operand leaves `base` as it was.
        var position = 9
        var cursor = 0
        while position < operand.count {
            guard operand[position] == overwriteTag else { return nil }
            guard position + 6 <= operand.count else { return false }
            let offset = Int(RecordBytes.loadUnsigned(operand, at: position + 1, width: 4))
            let count = Int(operand[position + 5])
            guard offset >= cursor, offset + count <= base.count, position + 6 + count <= operand.count else { return false }
            cursor = offset + count
            position += 6 + count
        }
        position = 9
        while position < operand.count {
            let offset = Int(RecordBytes.loadUnsigned(operand, at: position + 1, width: 4))
            let count = Int(operand[position + 5])
            for index in 0..<count { base[offset + index] = operand[position + 6 + index] }
            position += 6 + count
        }
        return true
    }

    /// Writes the patched record into `out` in one pass over `base`, never past `limit` bytes.
    private static func rewrite(
        _ operand: UnsafeRawBufferPointer, base: UnsafeRawBufferPointer, limit: Int, into out: inout [UInt8]
    ) -> Bool {
        var position = 9
        var cursor = 0
        @inline(__always) func u32(_ at: Int) -> Int { Int(RecordBytes.loadUnsigned(operand, at: at, width: 4)) }
        while position < operand.count {
            let tag = operand[position]
            guard position + 5 <= operand.count else { return false }
            let offset = u32(position + 1)
            guard offset >= cursor, offset <= base.count, out.count + (offset - cursor) <= limit else { return false }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: base[cursor..<offset]))
            switch tag {
            case overwriteTag, spliceTag:
                let removed: Int, count: Int, start: Int
                if tag == overwriteTag {
                    guard position + 6 <= operand.count else { return false }
                    count = Int(operand[position + 5])
                    removed = count
                    start = position + 6
                } else {
                    guard position + 13 <= operand.count else { return false }
                    removed = u32(position + 5)
                    count = u32(position + 9)
                    start = position + 13
                }
                guard start + count <= operand.count, offset + removed <= base.count, out.count + count <= limit else {
                    return false
                }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: operand[start..<(start + count)]))
                cursor = offset + removed
                position = start + count
            case integersTag:
                guard position + 11 <= operand.count else { return false }
                let count = u32(position + 5)
                let oldWidth = Int(operand[position + 9]), newWidth = Int(operand[position + 10])
                guard oldWidth <= 8, newWidth <= 8, offset + count * oldWidth <= base.count,
                      out.count + count * newWidth <= limit else { return false }
                for index in 0..<count {
                    let value = RecordBytes.loadSigned(base, at: offset + index * oldWidth, width: oldWidth)
                    guard RecordBytes.signedWidth(value) <= newWidth else { return false }
                    RecordBytes.appendLittleEndian(UInt64(bitPattern: value), width: newWidth, to: &out)
                }
                cursor = offset + count * oldWidth
                position += 11
            case tableTag:
                guard position + 15 <= operand.count else { return false }
                let count = u32(position + 5)
                let oldWidth = Int(operand[position + 9]), newWidth = Int(operand[position + 10])
                let shiftCount = u32(position + 11)
                let shiftsStart = position + 15
                guard (1...4).contains(oldWidth), (1...4).contains(newWidth),
                      shiftCount <= (operand.count - shiftsStart) / 8,
                      offset + count * oldWidth <= base.count, out.count + count * newWidth <= limit else { return false }
                var nextShift = 0
                var adjustment = 0
                for index in 0..<count {
                    while nextShift < shiftCount, u32(shiftsStart + nextShift * 8) <= index {
                        adjustment += Int(Int32(bitPattern: UInt32(u32(shiftsStart + nextShift * 8 + 4))))
                        nextShift += 1
                    }
                    let entry = Int(RecordBytes.loadUnsigned(base, at: offset + index * oldWidth, width: oldWidth)) + adjustment
                    guard entry >= 0, RecordBytes.unsignedWidth(UInt64(entry)) <= newWidth else { return false }
                    RecordBytes.appendLittleEndian(UInt64(entry), width: newWidth, to: &out)
                }
                cursor = offset + count * oldWidth
                position = shiftsStart + shiftCount * 8
            default:
                return false
            }
        }
        guard position == operand.count else { return false }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: base[cursor...]))
        return true
    }
}
