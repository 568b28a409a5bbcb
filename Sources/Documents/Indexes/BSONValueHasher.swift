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
        switch value {
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

    mutating func appendUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendCString(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(0)
    }

    /// A BSON string: int32 length (with the terminator), UTF-8 bytes, NUL.
    mutating func appendString(_ text: String) {
        appendInt32(Int32(truncatingIfNeeded: text.utf8.count + 1))
        appendCString(text)
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
        case let .string(text), let .symbol(text), let .javascript(text):
            appendString(text)
        case let .binary(binary):
            if binary.subtype == .binaryOld {
                appendInt32(Int32(truncatingIfNeeded: binary.bytes.count + 4))
                bytes.append(binary.subtype.rawValue)
                appendInt32(Int32(truncatingIfNeeded: binary.bytes.count))
            } else {
                appendInt32(Int32(truncatingIfNeeded: binary.bytes.count))
                bytes.append(binary.subtype.rawValue)
            }
            bytes.append(contentsOf: binary.bytes)
        case let .objectId(id):
            withUnsafeBytes(of: id.bytes) { bytes.append(contentsOf: $0) }
        case let .bool(flag):
            bytes.append(flag ? 1 : 0)
        case let .datetime(date):
            appendInt64(date.millisecondsSinceEpoch)
        case let .timestamp(stamp):
            appendUInt32(stamp.increment)
            appendUInt32(stamp.timestamp)
        case let .regex(regex):
            appendCString(regex.pattern)
            appendCString(regex.options)
        case let .dbPointer(pointer):
            appendString(pointer.ref)
            withUnsafeBytes(of: pointer.id.bytes) { bytes.append(contentsOf: $0) }
        case .minKey, .maxKey, .null, .undefined, .double, .int32, .int64, .decimal128:
            break
        }
    }

    /// Each element with its name, then the EOO element (canonical type 0, no name, no value).
    private mutating func appendElements<Elements: Sequence<(String, BSONValue)>>(_ elements: Elements) {
        for (name, value) in elements { append(value, fieldName: name) }
        appendInt32(0)
    }
}
