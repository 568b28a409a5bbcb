// KeyEncoding: BSON values as byte strings whose unsigned byte order is BSONValue.compare
// order, so `_id` lookups and scans are RocksDB key ranges. Values MongoDB considers equal
// (int32 1, int64 1, double 1.0, decimal 1.00) encode to the same bytes. Knows no storage.

public import BSON

/// Order-preserving, self-delimiting byte encoding of BSON values.
///
/// For any values `a` and `b`, `key(a) < key(b)` (unsigned, lexicographic) exactly when
/// `BSONValue.compare(a, b) < 0`, and the keys are equal exactly when `compare` is zero.
/// Every encoding is self-delimiting, so encodings can be concatenated (documents, arrays,
/// and later compound index keys) without losing the order.
///
/// Layout: one type-rank byte (`BSONType.canonicalRank + 2`, so never 0), then:
/// - numbers: a class byte (NaN, −∞, negative, zero, positive, +∞); finite nonzero values add
///   a 10-byte magnitude (binary exponent, 64 fraction bits; inverted when negative) and a
///   tie byte — decimals between two binary values add their own 18-byte decimal magnitude;
/// - strings, symbols, JavaScript: UTF-8 with `00` escaped as `00 FF`, ended by `00 00`;
/// - ObjectId: its 12 bytes; bool: one byte; date: sign-flipped big-endian Int64;
///   timestamp: seconds then increment, big-endian;
/// - documents: per element the value's rank byte, the escaped field name and the value,
///   ended by `00`; arrays: the values, ended by `00`;
/// - binary: big-endian length, subtype, bytes; regex: pattern then options (escaped);
///   DBPointer: big-endian name length, name, id; code with scope: code then scope document;
/// - MinKey, undefined, null, MaxKey: the rank byte alone.
public enum KeyEncoding {
    /// The encoding of `value`.
    public static func key(for value: BSONValue) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        append(value, to: &bytes)
        return bytes
    }

    /// Appends the encoding of `value` to `bytes`.
    public static func append(_ value: BSONValue, to bytes: inout [UInt8]) {
        bytes.append(rankByte(value.type))
        switch value {
        case .minKey, .maxKey, .null, .undefined:
            break
        case let .int32(x):
            NumberKey.appendInteger(Int64(x), to: &bytes)
        case let .int64(x):
            NumberKey.appendInteger(x, to: &bytes)
        case let .double(x):
            NumberKey.appendDouble(x, to: &bytes)
        case let .decimal128(x):
            NumberKey.appendDecimal(x, to: &bytes)
        case let .string(s), let .symbol(s), let .javascript(s):
            appendEscaped(s, to: &bytes)
        case let .document(document):
            appendDocument(document, to: &bytes)
        case let .array(values):
            for element in values { append(element, to: &bytes) }
            bytes.append(0)
        case let .binary(binary):
            appendBigEndian(UInt32(truncatingIfNeeded: binary.bytes.count), to: &bytes)
            bytes.append(binary.subtype.rawValue)
            bytes.append(contentsOf: binary.bytes)
        case let .objectId(id):
            withUnsafeBytes(of: id.bytes) { bytes.append(contentsOf: $0) }
        case let .bool(flag):
            bytes.append(flag ? 1 : 0)
        case let .datetime(date):
            appendBigEndian(UInt64(bitPattern: date.millisecondsSinceEpoch) ^ (1 << 63), to: &bytes)
        case let .timestamp(stamp):
            appendBigEndian(stamp.timestamp, to: &bytes)
            appendBigEndian(stamp.increment, to: &bytes)
        case let .regex(regex):
            appendEscaped(regex.pattern, to: &bytes)
            appendEscaped(regex.options, to: &bytes)
        case let .dbPointer(pointer):
            appendBigEndian(UInt32(truncatingIfNeeded: pointer.ref.utf8.count), to: &bytes)
            bytes.append(contentsOf: pointer.ref.utf8)
            withUnsafeBytes(of: pointer.id.bytes) { bytes.append(contentsOf: $0) }
        case let .javascriptWithScope(code):
            appendEscaped(code.code, to: &bytes)
            appendDocument(code.scope, to: &bytes)
        }
    }

    /// The first byte of every key of `type`; ranks sharing a value (all numbers; string and
    /// symbol) share it, and it is never 0 (0 ends documents and arrays).
    public static func rankByte(_ type: BSONType) -> UInt8 {
        UInt8(truncatingIfNeeded: type.canonicalRank + 2)
    }

    private static func appendDocument(_ document: BSONDocument, to bytes: inout [UInt8]) {
        for element in document {
            // Documents order by each element's type rank before its field name.
            bytes.append(rankByte(element.value.type))
            appendEscaped(element.key, to: &bytes)
            append(element.value, to: &bytes)
        }
        bytes.append(0)
    }

    /// UTF-8 bytes with `00` written as `00 FF`, then the terminator `00 00`; byte order of
    /// the result is byte order of the strings, shorter prefix first.
    private static func appendEscaped(_ string: String, to bytes: inout [UInt8]) {
        for byte in string.utf8 {
            bytes.append(byte)
            if byte == 0 { bytes.append(0xFF) }
        }
        bytes.append(0)
        bytes.append(0)
    }

    static func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
