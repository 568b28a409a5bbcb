// The values the BSON coders move as BSON values without Codable containers: Swift's
// numbers, strings and Booleans, Foundation's Date, Data and UUID, and the BSON model types.
// Owns the Swift ↔ BSON type mapping; the containers add coding paths to its failures.

import Foundation

/// Why a native value could not become BSON; the encoding container adds the coding path.
struct BSONEncodingFailure: Error {
    let reason: String
}

/// Why a BSON value could not become a native value; the decoding container adds the path.
enum BSONDecodingFailure: Error {
    /// The BSON value has a type the Swift type is never read from.
    case unexpected(BSONType)
    /// The BSON type is usable but this value does not fit (2.5 for an `Int`, 5 bytes for a UUID).
    case inexact(String)
}

/// A type the BSON encoder writes directly as one BSON value.
protocol BSONNativeEncodable {
    /// The BSON value for `self`.
    func bsonValue() throws(BSONEncodingFailure) -> BSONValue
}

/// A type the BSON decoder reads directly from one BSON value.
protocol BSONNativeDecodable {
    /// Reads `bsonValue`, which is never wrapped in a container.
    init(bsonValue: BSONValue) throws(BSONDecodingFailure)
}

// MARK: - Swift scalars

extension Bool: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .bool(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .bool(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension String: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .string(self) }

    /// Reads a string, or a deprecated symbol (a string by another name).
    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        switch bsonValue {
        case .string(let value), .symbol(let value): self = value
        default: throw .unexpected(bsonValue.type)
        }
    }
}

extension Double: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .double(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) { self = try bsonValue.exactDouble() }
}

extension Float: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .double(Double(self)) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) { self = try bsonValue.nearestFloat() }
}

/// An integer type written as int32 when the value fits, else int64 (as drivers do), and
/// read from any BSON number that holds an integer it can represent exactly.
protocol BSONNativeInteger: FixedWidthInteger, BSONNativeEncodable, BSONNativeDecodable {}

extension BSONNativeInteger {
    func bsonValue() throws(BSONEncodingFailure) -> BSONValue {
        if let small = Int32(exactly: self) { return .int32(small) }
        if let large = Int64(exactly: self) { return .int64(large) }
        throw BSONEncodingFailure(reason: "\(Self.self) \(self) does not fit in a BSON int64")
    }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) { self = try bsonValue.exactInteger(Self.self) }
}

extension Int: BSONNativeInteger {}
extension Int8: BSONNativeInteger {}
extension Int16: BSONNativeInteger {}
extension Int32: BSONNativeInteger {}
extension UInt: BSONNativeInteger {}
extension UInt8: BSONNativeInteger {}
extension UInt16: BSONNativeInteger {}
extension UInt32: BSONNativeInteger {}
extension UInt64: BSONNativeInteger {}

extension Int64: BSONNativeInteger {
    /// Always int64: the Swift type says the value is 64-bit, so the BSON type does too.
    func bsonValue() -> BSONValue { .int64(self) }
}

// MARK: - Foundation

extension Date: BSONNativeEncodable, BSONNativeDecodable {
    /// The date for a BSON datetime.
    init(millisecondsSinceEpoch milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// The greatest millisecond whose date is not after `self`: floor division that stays
    /// exact across binary floating point, so every date read from BSON writes back unchanged.
    var millisecondsSinceEpoch: Int64? {
        let estimate = (timeIntervalSince1970 * 1000).rounded(.down)
        // Beyond 2^53 ms (about 285,000 years) milliseconds are no longer distinct dates.
        let exactLimit = Double(1 << Double.significandBitCount)
        guard estimate.isFinite else { return nil }
        guard abs(estimate) < exactLimit else { return ClientNumber.int64(truncating: estimate) }
        var milliseconds = Int64(estimate)  // checked: finite and below 2^53 in magnitude
        if Date(millisecondsSinceEpoch: milliseconds) > self { milliseconds -= 1 }
        if Date(millisecondsSinceEpoch: milliseconds + 1) <= self { milliseconds += 1 }
        return milliseconds
    }

    func bsonValue() throws(BSONEncodingFailure) -> BSONValue {
        guard let milliseconds = millisecondsSinceEpoch else {
            throw BSONEncodingFailure(reason: "Date \(timeIntervalSince1970) s since 1970 is outside a BSON datetime's range")
        }
        return .datetime(BSONDateTime(millisecondsSinceEpoch: milliseconds))
    }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .datetime(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self.init(millisecondsSinceEpoch: value.millisecondsSinceEpoch)
    }
}

extension Data: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .binary(BSONBinary(subtype: .generic, bytes: Array(self))) }

    /// Reads the bytes of binary data of any subtype.
    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .binary(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self.init(value.bytes)
    }
}

extension UUID: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue {
        .binary(BSONBinary(subtype: .uuid, bytes: withUnsafeBytes(of: uuid) { Array($0) }))
    }

    /// Reads binary subtype 4 holding exactly 16 bytes.
    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .binary(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        guard value.subtype == .uuid else {
            throw .inexact("BSON binary subtype 0x\(String(value.subtype.rawValue, radix: 16)) is not a UUID (subtype 0x4)")
        }
        guard value.bytes.count == 16 else {
            throw .inexact("BSON binary UUID holds \(value.bytes.count) bytes, not 16")
        }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: value.bytes) }
        self.init(uuid: raw)
    }
}

// MARK: - The BSON model

extension BSONValue: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { self }

    init(bsonValue: BSONValue) { self = bsonValue }
}

extension BSONDocument: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .document(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .document(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension ObjectId: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .objectId(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .objectId(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension Decimal128: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .decimal128(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .decimal128(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension BSONDateTime: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .datetime(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .datetime(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension BSONTimestamp: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .timestamp(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .timestamp(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension BSONBinary: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .binary(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .binary(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension BSONRegex: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .regex(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .regex(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension BSONDBPointer: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .dbPointer(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .dbPointer(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}

extension BSONCodeWithScope: BSONNativeEncodable, BSONNativeDecodable {
    func bsonValue() -> BSONValue { .javascriptWithScope(self) }

    init(bsonValue: BSONValue) throws(BSONDecodingFailure) {
        guard case .javascriptWithScope(let value) = bsonValue else { throw .unexpected(bsonValue.type) }
        self = value
    }
}
