// BSONDecoder: reads Decodable values from BSON documents, values and bytes. Owns the public
// entry points and `BSONValueDecoder`, the Decoder each nested value is read through; the
// keyed and unkeyed containers live in BSONDecodingContainers.swift.

/// Decodes `Decodable` values from BSON.
///
/// The mapping is the one ``BSONEncoder`` writes. Numbers are read from any BSON number
/// (int32, int64, double, decimal128) whose value the requested Swift type holds exactly:
/// int64 `7` decodes as `Int32`, double `2.0` as `Int`, but double `2.5` as `Int` is a
/// `DecodingError.dataCorrupted`. `Float` accepts any double in its range, rounded to the
/// nearest `Float`. A missing key is `DecodingError.keyNotFound`, null where a value is
/// required is `DecodingError.valueNotFound`, and a value of the wrong BSON type is
/// `DecodingError.typeMismatch`; every error carries the coding path to the value.
public struct BSONDecoder: Sendable {
    /// Values made available to `init(from:)` implementations as `Decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// A decoder with empty ``userInfo``.
    public init() {}

    /// Decodes a `T` from a BSON document.
    public func decode<T: Decodable>(_ type: T.Type, from document: BSONDocument) throws -> T {
        try decode(type, fromValue: .document(document))
    }

    /// ``userInfo`` as `Decoder` wants it; the empty case skips converting the dictionary.
    private var decoderUserInfo: [CodingUserInfoKey: Any] {
        if userInfo.isEmpty { return [:] }
        return userInfo
    }

    /// Decodes a `T` from the bytes of one BSON document.
    ///
    /// Invalid BSON is a `DecodingError.dataCorrupted` whose underlying error is the ``BSONError``.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let document: BSONDocument
        do {
            document = try BSONDocument(bsonBytes: bytes)
        } catch {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: [], debugDescription: "The bytes are not a valid BSON document: \(error)", underlyingError: error))
        }
        return try decode(type, from: document)
    }

    /// Decodes a `T` from a single BSON value of any type.
    public func decode<T: Decodable>(_ type: T.Type, fromValue value: BSONValue) throws -> T {
        try BSONValueDecoder.decode(type, from: value, at: [], key: nil, userInfo: decoderUserInfo)
    }
}

/// The Decoder one BSON value is read through. It is also that value's single-value container.
final class BSONValueDecoder: Decoder {
    let value: BSONValue
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    init(value: BSONValue, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.value = value
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    /// Decodes `type` from `value`, found at `key` below `codingPath` (or at `codingPath`
    /// itself when `key` is `nil`). Native types skip the Decoder machinery entirely.
    static func decode<T: Decodable>(
        _ type: T.Type, from value: BSONValue, at codingPath: [any CodingKey], key: (any CodingKey)?,
        userInfo: [CodingUserInfoKey: Any]
    ) throws -> T {
        if let native = T.self as? any BSONNativeDecodable.Type {
            return try decodeNative(native, as: type, from: value, at: codingPath, key: key)
        }
        let path = key.map { codingPath + [$0] } ?? codingPath
        return try T(from: BSONValueDecoder(value: value, codingPath: path, userInfo: userInfo))
    }

    private static func decodeNative<Native: BSONNativeDecodable, T>(
        _ native: Native.Type, as type: T.Type, from value: BSONValue, at codingPath: [any CodingKey], key: (any CodingKey)?
    ) throws -> T {
        let decoded = try decodeScalar(Native.self, from: value, at: codingPath, key: key)
        guard let typed = decoded as? T else {
            throw DecodingError.typeMismatch(T.self, DecodingError.Context(
                codingPath: key.map { codingPath + [$0] } ?? codingPath, debugDescription: "Decoded \(Native.self), not \(T.self)"))
        }
        return typed
    }

    /// Decodes a scalar, turning its failure into the `DecodingError` for that path.
    static func decodeScalar<Native: BSONNativeDecodable>(
        _ type: Native.Type, from value: BSONValue, at codingPath: [any CodingKey], key: (any CodingKey)?
    ) throws -> Native {
        do {
            return try Native(bsonValue: value)
        } catch {
            throw error.decodingError(for: Native.self, at: key.map { codingPath + [$0] } ?? codingPath)
        }
    }

    /// This decoder's value as a native type, for the model types' `init(from:)`.
    func decodeNative<Native: BSONNativeDecodable>(_ type: Native.Type) throws -> Native {
        try Self.decodeScalar(type, from: value, at: codingPath, key: nil)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .document(let document) = value else {
            throw BSONDecodingFailure.unexpected(value.type).decodingError(for: BSONDocument.self, at: codingPath)
        }
        return KeyedDecodingContainer(
            BSONKeyedDecodingContainer<Key>(document: document, codingPath: codingPath, userInfo: userInfo))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw BSONDecodingFailure.unexpected(value.type).decodingError(for: [BSONValue].self, at: codingPath)
        }
        return BSONUnkeyedDecodingContainer(elements: elements, codingPath: codingPath, userInfo: userInfo)
    }

    func singleValueContainer() -> any SingleValueDecodingContainer { self }
}

extension BSONValueDecoder: SingleValueDecodingContainer {
    private func scalar<Native: BSONNativeDecodable>(_ type: Native.Type) throws -> Native {
        try Self.decodeScalar(type, from: value, at: codingPath, key: nil)
    }

    func decodeNil() -> Bool { value.isNullOrUndefined }
    func decode(_ type: Bool.Type) throws -> Bool { try scalar(type) }
    func decode(_ type: String.Type) throws -> String { try scalar(type) }
    func decode(_ type: Double.Type) throws -> Double { try scalar(type) }
    func decode(_ type: Float.Type) throws -> Float { try scalar(type) }
    func decode(_ type: Int.Type) throws -> Int { try scalar(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try scalar(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try scalar(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try scalar(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try scalar(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try scalar(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let native = T.self as? any BSONNativeDecodable.Type {
            return try Self.decodeNative(native, as: type, from: value, at: codingPath, key: nil)
        }
        return try T(from: self)
    }
}

extension BSONValue {
    /// Whether this is null or the deprecated undefined, both of which decode as `nil`.
    var isNullOrUndefined: Bool {
        switch self {
        case .null, .undefined: true
        default: false
        }
    }
}

extension BSONDecodingFailure {
    /// The standard error for this failure while decoding `type` at `codingPath`.
    func decodingError(for type: Any.Type, at codingPath: [any CodingKey]) -> DecodingError {
        switch self {
        case .unexpected(let found) where found == .null || found == .undefined:
            DecodingError.valueNotFound(type, DecodingError.Context(
                codingPath: codingPath, debugDescription: "Expected \(type) but found BSON \(found.alias) instead"))
        case .unexpected(let found):
            DecodingError.typeMismatch(type, DecodingError.Context(
                codingPath: codingPath, debugDescription: "Expected \(type) but found BSON \(found.alias) instead"))
        case .inexact(let reason):
            DecodingError.dataCorrupted(DecodingError.Context(codingPath: codingPath, debugDescription: reason))
        }
    }
}
