// BSONValueHasher: MongoDB's 64-bit hash of a BSON value (`BSONElementHasher::hash64`, hash
// version 0, seed 0), the key of a hashed index. Equal to MongoDB's for the same value, so a
// hashed index built here orders and finds documents as a dump's hashed index does.
//
// The hash is MD5 over: the seed (int32), then per value its canonical type (int32, MongoDB's
// comparison type: all numbers alike, string and symbol alike), then for a number its value
// as an int64 (`safeNumberLongForHash`: truncated, NaN as 0, saturated), for a document or
// array each element as canonical type, field name and value, ended by an EOO element, and
// for anything else the value's BSON bytes. The result is the digest's first 8 bytes read
// little-endian.

public import BSON
internal import Crypto

/// MongoDB's hash of BSON values for hashed indexes.
public enum BSONValueHasher {
    /// MongoDB's default hashed-index seed.
    public static let defaultSeed: Int32 = 0

    /// The 64-bit hash MongoDB gives `value` (`BSONElementHasher::hash64(value, seed)`).
    public static func hash64(_ value: BSONValue, seed: Int32 = defaultSeed) -> Int64 {
        var input = HashInput()
        input.appendInt32(seed)
        input.append(value, fieldName: nil)
        let digest = Insecure.MD5.hash(data: input.bytes)
        var result: UInt64 = 0
        for (position, byte) in digest.prefix(8).enumerated() {
            result |= UInt64(byte) << (8 * UInt64(position))
        }
        return Int64(bitPattern: result)
    }

    /// MongoDB's `canonicalizeBSONType`: the type rank comparison uses, which the hash mixes in.
    static func canonicalType(_ value: BSONValue) -> Int32 {
        Int32(truncatingIfNeeded: value.type.canonicalRank)
    }

    /// MongoDB's `safeNumberLongForHash`: a number as the int64 the hash uses. Doubles
    /// truncate toward zero, NaN is 0, values beyond Int64 saturate, except that the double
    /// 2^63 is Int64.min (the historical overflow MongoDB keeps for on-disk compatibility).
    /// Decimals round half to even (`Decimal128::toLong`) and saturate. `nil` for non-numbers.
    static func hashInteger(_ value: BSONValue) -> Int64? {
        switch value {
        case let .int32(number): return Int64(number)
        case let .int64(number): return number
        case let .double(number):
            if number == ClientNumber.int64Bound { return .min }
            return number.isNaN ? 0 : ClientNumber.int64(saturating: number)
        case let .decimal128(number):
            if number.isNaN { return 0 }
            if let exact = number.int64Value { return exact }
            let double = number.doubleValue
            return ClientNumber.int64(saturating: double.rounded(.toNearestOrEven))
        default: return nil
        }
    }
}

/// The bytes MD5 runs over, built in one buffer.
private struct HashInput {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(64) }

    mutating func appendInt32(_ value: Int32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendInt64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendCString(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(0)
    }

    /// One element: canonical type, the field name (inside documents and arrays) and the value.
    mutating func append(_ value: BSONValue, fieldName: String?) {
        appendInt32(BSONValueHasher.canonicalType(value))
        if let fieldName { appendCString(fieldName) }
        if let integer = BSONValueHasher.hashInteger(value) {
            appendInt64(integer)
            return
        }
        switch value {
        case let .document(document):
            appendElements(document.lazy.map { ($0.key, $0.value) })
        case let .array(elements):
            appendElements(elements.enumerated().lazy.map { (String($0.offset), $0.element) })
        case let .javascriptWithScope(code):
            // The code's bytes and terminator (no length), then the scope's elements.
            appendCString(code.code)
            appendElements(code.scope.lazy.map { ($0.key, $0.value) })
        case .minKey, .maxKey, .null, .undefined:
            break
        default:
            appendValueBytes(of: value)
        }
    }

    /// A scalar's BSON value bytes (no type byte, no name), as MongoDB hashes them: encoded
    /// as the only element of a document under the empty name, then cut out. A value BSON
    /// cannot encode (a regex with a NUL, which no stored document holds) adds no bytes.
    private mutating func appendValueBytes(of value: BSONValue) {
        var holder = BSONDocument()
        holder.append("", value)
        guard let encoded = try? holder.bsonBytes(), encoded.count > 7 else { return }
        // int32 length, type byte, the empty name's NUL ... the document's final NUL.
        bytes.append(contentsOf: encoded[6..<(encoded.count - 1)])
    }

    /// Each element with its name, then the EOO element (canonical type 0, no name, no value).
    private mutating func appendElements<Elements: Sequence<(String, BSONValue)>>(_ elements: Elements) {
        for (name, value) in elements { append(value, fieldName: name) }
        appendInt32(0)
    }
}
