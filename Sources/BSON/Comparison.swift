// MongoDB's comparison order over BSON values: the cross-type order of canonical type ranks,
// then the order within each type (numbers by value across types, strings by bytes,
// documents and arrays element by element). Used by sort, range queries and index keys.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BSONType {
    /// MongoDB's canonical rank of the type in the cross-type order. Types with the same
    /// rank (all numbers; string and symbol) compare by value with each other.
    ///
    /// MinKey < undefined < null < numbers < string/symbol < object < array < binData <
    /// objectId < bool < date < timestamp < regex < dbPointer < javascript <
    /// javascriptWithScope < MaxKey.
    public var canonicalRank: Int {
        switch self {
        case .minKey: -1
        case .undefined: 0
        case .null: 5
        case .double, .int32, .int64, .decimal128: 10
        case .string, .symbol: 15
        case .document: 20
        case .array: 25
        case .binary: 30
        case .objectId: 35
        case .bool: 40
        case .datetime: 45
        case .timestamp: 47
        case .regex: 50
        case .dbPointer: 55
        case .javascript: 60
        case .javascriptWithScope: 65
        case .maxKey: 127
        }
    }
}

extension BSONValue {
    /// Compares two values in MongoDB's order: negative when `lhs` sorts first, zero when
    /// they are equal for MongoDB (e.g. `int32(1)` and `double(1.0)`), positive otherwise.
    ///
    /// This is a total preorder: reflexive, antisymmetric up to zero, transitive; values
    /// that are structurally equal (`==`) always compare as zero.
    public static func compare(_ lhs: BSONValue, _ rhs: BSONValue) -> Int {
        let lhsRank = lhs.type.canonicalRank
        let rhsRank = rhs.type.canonicalRank
        if lhsRank != rhsRank { return lhsRank < rhsRank ? -1 : 1 }
        switch (lhs, rhs) {
        case (.minKey, _), (.maxKey, _), (.null, _), (.undefined, _):
            return 0
        case let (.string(a), .string(b)), let (.string(a), .symbol(b)),
             let (.symbol(a), .string(b)), let (.symbol(a), .symbol(b)):
            return compareBytes(a, b)
        case let (.document(a), .document(b)):
            return compareDocuments(a, b)
        case let (.array(a), .array(b)):
            return compareArrays(a, b)
        case let (.binary(a), .binary(b)):
            if a.bytes.count != b.bytes.count { return a.bytes.count < b.bytes.count ? -1 : 1 }
            if a.subtype.rawValue != b.subtype.rawValue { return a.subtype.rawValue < b.subtype.rawValue ? -1 : 1 }
            return compareBytes(a.bytes, b.bytes)
        case let (.objectId(a), .objectId(b)):
            return a == b ? 0 : (a < b ? -1 : 1)
        case let (.bool(a), .bool(b)):
            return a == b ? 0 : (!a ? -1 : 1)
        case let (.datetime(a), .datetime(b)):
            return a == b ? 0 : (a < b ? -1 : 1)
        case let (.timestamp(a), .timestamp(b)):
            return a == b ? 0 : (a < b ? -1 : 1)
        case let (.regex(a), .regex(b)):
            let byPattern = compareBytes(a.pattern, b.pattern)
            return byPattern != 0 ? byPattern : compareBytes(a.options, b.options)
        case let (.dbPointer(a), .dbPointer(b)):
            // MongoDB compares the raw values: size first, then bytes (namespace, then id).
            let (sizeA, sizeB) = (a.ref.utf8.count, b.ref.utf8.count)
            if sizeA != sizeB { return sizeA < sizeB ? -1 : 1 }
            let byRef = compareBytes(a.ref, b.ref)
            return byRef != 0 ? byRef : (a.id == b.id ? 0 : (a.id < b.id ? -1 : 1))
        case let (.javascript(a), .javascript(b)):
            return compareBytes(a, b)
        case let (.javascriptWithScope(a), .javascriptWithScope(b)):
            let byCode = compareBytes(a.code, b.code)
            return byCode != 0 ? byCode : compareDocuments(a.scope, b.scope)
        default:
            // Same rank and not handled above: both are numbers.
            return NumericComparison.compare(lhs, rhs) ?? 0
        }
    }

    /// Whether MongoDB considers the values equal (`compare` is zero).
    public func isEqualForQuery(_ other: BSONValue) -> Bool { BSONValue.compare(self, other) == 0 }

    /// Compares documents element by element: canonical type rank, then field name, then
    /// value; a document that is a prefix of the other sorts first.
    public static func compareDocuments(_ lhs: BSONDocument, _ rhs: BSONDocument) -> Int {
        for (a, b) in zip(lhs.elements, rhs.elements) {
            let (rankA, rankB) = (a.value.type.canonicalRank, b.value.type.canonicalRank)
            if rankA != rankB { return rankA < rankB ? -1 : 1 }
            let byKey = compareBytes(a.key, b.key)
            if byKey != 0 { return byKey }
            let byValue = compare(a.value, b.value)
            if byValue != 0 { return byValue }
        }
        return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
    }

    /// Compares arrays element by element; an array that is a prefix of the other sorts first.
    public static func compareArrays(_ lhs: [BSONValue], _ rhs: [BSONValue]) -> Int {
        for (a, b) in zip(lhs, rhs) {
            let byValue = compare(a, b)
            if byValue != 0 { return byValue }
        }
        return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
    }
}

/// Byte-wise comparison of UTF-8 encodings: the common prefix by `memcmp`, then length.
@inline(__always)
func compareBytes(_ lhs: String, _ rhs: String) -> Int {
    var (a, b) = (lhs, rhs)
    return a.withUTF8 { x in b.withUTF8 { y in compareBytes(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) } }
}

@inline(__always)
func compareBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
    lhs.withUnsafeBytes { x in rhs.withUnsafeBytes { y in compareBytes(x, y) } }
}

@inline(__always)
func compareBytes(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Int {
    let common = min(lhs.count, rhs.count)
    if common > 0, let a = lhs.baseAddress, let b = rhs.baseAddress {
        let result = memcmp(a, b, common)
        if result != 0 { return result < 0 ? -1 : 1 }
    }
    return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
}
