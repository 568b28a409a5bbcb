// BSONEncoder: turns Encodable values into BSON documents, values and bytes. Owns the public
// entry points and `BSONValueEncoder`, the Encoder each nested value is written through;
// the keyed and unkeyed containers live in BSONEncodingContainers.swift.

/// Encodes `Encodable` values as BSON.
///
/// Swift values map to BSON as drivers map them: `Int8`, `Int16`, `Int32` to int32, `Int64`
/// to int64, `Int` and unsigned integers to int32 when they fit and int64 otherwise (a value
/// beyond int64 is an `EncodingError`); `Float` and `Double` to double; `Date` to a datetime
/// in whole milliseconds (rounded toward negative infinity); `Data` to binary subtype 0;
/// `UUID` to binary subtype 4; arrays and sets to arrays; `[String: T]` and every keyed
/// container to embedded documents, keys in the order they are encoded. `encodeIfPresent`
/// of `nil` (what synthesized conformances do for optionals) omits the key; `encodeNil`
/// writes null. The BSON model types (``BSONValue``, ``BSONDocument``, ``ObjectId``,
/// ``Decimal128``, ``BSONDateTime``, ``BSONBinary`` ...) are written as themselves.
public struct BSONEncoder: Sendable {
    /// Values made available to `encode(to:)` implementations as `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// An encoder with empty ``userInfo``.
    public init() {}

    /// Encodes `value` as a BSON document.
    ///
    /// Throws `EncodingError.invalidValue` when `value` does not encode as a keyed container
    /// (a top-level number, string or array is not a document).
    public func encode<T: Encodable>(_ value: T) throws -> BSONDocument {
        let encoded = try encodeValue(value)
        guard case .document(let document) = encoded else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [],
                debugDescription: "Top-level \(T.self) encoded as BSON \(encoded.type.alias), not as a document"))
        }
        return document
    }

    /// Encodes `value` as the bytes of a BSON document.
    ///
    /// Throws as ``encode(_:)`` does, and `EncodingError.invalidValue` wrapping a
    /// ``BSONError`` when the document cannot be serialized (a key holding a NUL byte).
    public func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let document = try encode(value)
        do {
            return try document.bsonBytes()
        } catch {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [], debugDescription: "Cannot serialize the BSON document: \(error)", underlyingError: error))
        }
    }

    /// Encodes `value` as a single BSON value of whatever type it maps to.
    public func encodeValue<T: Encodable>(_ value: T) throws -> BSONValue {
        let session = EncodingSession(userInfo: userInfo)
        let root = BSONValueEncoder(codingPath: [], session: session)
        if let native = value as? any BSONNativeEncodable {
            try root.storeNative(native, value: value)
        } else {
            try value.encode(to: root)
        }
        if let misuse = session.misuse { throw misuse }
        return root.storage?.finish() ?? .document(BSONDocument())
    }
}

/// What every encoder of one top-level `encode` call shares: the user info, and the first
/// misuse of the Encoder protocol (which Foundation's encoders trap on and this one reports).
final class EncodingSession {
    let userInfo: [CodingUserInfoKey: Any]
    private(set) var misuse: EncodingError?

    init(userInfo: [CodingUserInfoKey: any Sendable]) {
        self.userInfo = userInfo
    }

    /// Records a container requested or a value encoded where something else already was.
    func recordMisuse(at codingPath: [any CodingKey], _ description: String) {
        guard misuse == nil else { return }
        misuse = EncodingError.invalidValue(description, EncodingError.Context(codingPath: codingPath, debugDescription: description))
    }

    /// The node for `value`, written at `key` below `codingPath`.
    func node<T: Encodable>(for value: T, at codingPath: [any CodingKey], key: some CodingKey) throws -> EncodedNode {
        if let native = value as? any BSONNativeEncodable {
            do {
                return .value(try native.bsonValue())
            } catch {
                throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: codingPath + [key], debugDescription: error.reason))
            }
        }
        let encoder = BSONValueEncoder(codingPath: codingPath + [key], session: self)
        try value.encode(to: encoder)
        return encoder.storage ?? .document(PendingDocument())
    }

    /// The BSON value of a scalar written at `key` below `codingPath`.
    func nativeValue<T: BSONNativeEncodable>(_ value: T, at codingPath: [any CodingKey], key: some CodingKey) throws -> BSONValue {
        do {
            return try value.bsonValue()
        } catch {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: codingPath + [key], debugDescription: error.reason))
        }
    }
}

/// The Encoder one value is written through. It is also that value's single-value container.
final class BSONValueEncoder: Encoder {
    let codingPath: [any CodingKey]
    let session: EncodingSession
    /// What was encoded here; `nil` until a container is requested or a value encoded.
    private(set) var storage: EncodedNode?

    var userInfo: [CodingUserInfoKey: Any] { session.userInfo }

    init(codingPath: [any CodingKey], session: EncodingSession) {
        self.codingPath = codingPath
        self.session = session
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let document: PendingDocument
        switch storage {
        case .document(let existing)?:
            document = existing
        case nil:
            document = PendingDocument()
            storage = .document(document)
        case .some:
            session.recordMisuse(at: codingPath, "A keyed container was requested where a value of another kind was already encoded")
            document = PendingDocument()
        }
        return KeyedEncodingContainer(BSONKeyedEncodingContainer(document: document, codingPath: codingPath, session: session))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: PendingArray
        switch storage {
        case .array(let existing)?:
            array = existing
        case nil:
            array = PendingArray()
            storage = .array(array)
        case .some:
            session.recordMisuse(at: codingPath, "An unkeyed container was requested where a value of another kind was already encoded")
            array = PendingArray()
        }
        return BSONUnkeyedEncodingContainer(array: array, codingPath: codingPath, session: session)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    /// Stores a finished value, reporting a second value at the same path as misuse.
    func store(_ value: BSONValue) {
        guard storage == nil else {
            session.recordMisuse(at: codingPath, "A single value was encoded where a value was already encoded")
            return
        }
        storage = .value(value)
    }

    /// Stores a scalar, wrapping its failure in an `EncodingError` for `value`.
    func storeNative(_ native: any BSONNativeEncodable, value: Any) throws {
        do {
            store(try native.bsonValue())
        } catch {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: codingPath, debugDescription: error.reason))
        }
    }
}

extension BSONValueEncoder: SingleValueEncodingContainer {
    func encodeNil() { store(.null) }
    func encode(_ value: Bool) { store(value.bsonValue()) }
    func encode(_ value: String) { store(value.bsonValue()) }
    func encode(_ value: Double) { store(value.bsonValue()) }
    func encode(_ value: Float) { store(value.bsonValue()) }
    func encode(_ value: Int) throws { try storeNative(value, value: value) }
    func encode(_ value: Int8) throws { try storeNative(value, value: value) }
    func encode(_ value: Int16) throws { try storeNative(value, value: value) }
    func encode(_ value: Int32) throws { try storeNative(value, value: value) }
    func encode(_ value: Int64) { store(value.bsonValue()) }
    func encode(_ value: UInt) throws { try storeNative(value, value: value) }
    func encode(_ value: UInt8) throws { try storeNative(value, value: value) }
    func encode(_ value: UInt16) throws { try storeNative(value, value: value) }
    func encode(_ value: UInt32) throws { try storeNative(value, value: value) }
    func encode(_ value: UInt64) throws { try storeNative(value, value: value) }

    func encode<T: Encodable>(_ value: T) throws {
        if let native = value as? any BSONNativeEncodable {
            try storeNative(native, value: value)
        } else if storage == nil {
            try value.encode(to: self)
        } else {
            session.recordMisuse(at: codingPath, "A single value was encoded where a value was already encoded")
        }
    }
}
