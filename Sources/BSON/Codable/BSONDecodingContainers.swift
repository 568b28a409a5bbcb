// The keyed and unkeyed containers of BSONDecoder. Keyed lookup scans small documents and
// hashes large ones (KeyPositions) in BSONDecodingFields, one object every copy of a keyed
// container shares; scalars are read on the spot, other values through a nested decoder
// whose coding path ends at their key or index.

/// The fields of one document being decoded, shared by every copy of its keyed container:
/// unspecialised generic code copies the container on each call, which then costs one
/// retain, and key lookup is non-generic code over the document's elements.
final class BSONDecodingFields {
    let document: BSONDocument
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]
    private let positions: KeyPositions

    init(document: BSONDocument, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.document = document
        self.codingPath = codingPath
        self.userInfo = userInfo
        self.positions = KeyPositions(keys: document.elements.lazy.map(\.key))
    }

    /// The value of the first element named `key`.
    func value(named key: String) -> BSONValue? {
        positions.position(of: key, in: document.elements.lazy.map(\.key)).map { document.elements[$0].value }
    }
}

/// Reads the fields of one embedded document. With duplicate keys, the first one wins.
struct BSONKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    private let fields: BSONDecodingFields

    init(document: BSONDocument, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        fields = BSONDecodingFields(document: document, codingPath: codingPath, userInfo: userInfo)
    }

    var codingPath: [any CodingKey] { fields.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { fields.userInfo }
    var allKeys: [Key] { fields.document.elements.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { lookUp(key) != nil }

    private func lookUp(_ key: some CodingKey) -> BSONValue? { fields.value(named: key.stringValue) }

    private func value(forKey key: Key) throws -> BSONValue {
        guard let value = lookUp(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(
                codingPath: codingPath, debugDescription: "No value for key \"\(key.stringValue)\""))
        }
        return value
    }

    /// `value` as a `Native`; the coding path (and its existential key) is built only on failure.
    private func native<Native: BSONNativeDecodable>(_ type: Native.Type, from value: BSONValue, forKey key: Key) throws -> Native {
        do {
            return try Native(bsonValue: value)
        } catch {
            throw error.decodingError(for: Native.self, at: codingPath + [key])
        }
    }

    private func scalar<Native: BSONNativeDecodable>(_ type: Native.Type, forKey key: Key) throws -> Native {
        try native(type, from: value(forKey: key), forKey: key)
    }

    private func scalarIfPresent<Native: BSONNativeDecodable>(_ type: Native.Type, forKey key: Key) throws -> Native? {
        guard let value = lookUp(key), !value.isNullOrUndefined else { return nil }
        return try native(type, from: value, forKey: key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(forKey: key).isNullOrUndefined }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(type, forKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(type, forKey: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(type, forKey: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try scalar(type, forKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try scalar(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try scalar(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try scalar(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try scalar(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try scalar(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try scalar(type, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try scalar(type, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(type, forKey: key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try BSONValueDecoder.decode(type, from: value(forKey: key), at: codingPath, key: key, userInfo: userInfo)
    }

    // One lookup per optional field instead of the default contains + decodeNil + decode.
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try scalarIfPresent(type, forKey: key) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = lookUp(key), !value.isNullOrUndefined else { return nil }
        return try BSONValueDecoder.decode(type, from: value, at: codingPath, key: key, userInfo: userInfo)
    }

    private func nestedDecoder(forKey key: some CodingKey, value: BSONValue) -> BSONValueDecoder {
        BSONValueDecoder(value: value, codingPath: codingPath + [key], userInfo: userInfo)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try nestedDecoder(forKey: key, value: value(forKey: key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try nestedDecoder(forKey: key, value: value(forKey: key)).unkeyedContainer()
    }

    /// A decoder for the value at `super`; null when the key is absent, as Foundation does.
    func superDecoder() throws -> any Decoder {
        nestedDecoder(forKey: BSONCodingKey.superKey, value: lookUp(BSONCodingKey.superKey) ?? .null)
    }

    /// A decoder for the value at `key`; null when the key is absent, as Foundation does.
    func superDecoder(forKey key: Key) throws -> any Decoder {
        nestedDecoder(forKey: key, value: lookUp(key) ?? .null)
    }
}

/// Reads the elements of one array in order.
struct BSONUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let elements: [BSONValue]
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]
    private(set) var currentIndex = 0

    init(elements: [BSONValue], codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.elements = elements
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private var currentKey: BSONCodingKey { BSONCodingKey(intValue: currentIndex) }

    /// The current element; at the end, the `valueNotFound` error for `type`.
    private func current(_ type: Any.Type) throws -> BSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, DecodingError.Context(
                codingPath: codingPath + [currentKey], debugDescription: "Unkeyed container is at end"))
        }
        return elements[currentIndex]
    }

    private mutating func scalar<Native: BSONNativeDecodable>(_ type: Native.Type) throws -> Native {
        let decoded = try BSONValueDecoder.decodeScalar(type, from: current(type), at: codingPath, key: currentKey)
        currentIndex += 1
        return decoded
    }

    mutating func decodeNil() throws -> Bool {
        guard try current(Never?.self).isNullOrUndefined else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try scalar(type) }
    mutating func decode(_ type: String.Type) throws -> String { try scalar(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try scalar(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try scalar(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try scalar(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try scalar(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try scalar(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try scalar(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try scalar(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try scalar(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoded = try BSONValueDecoder.decode(type, from: current(type), at: codingPath, key: currentKey, userInfo: userInfo)
        currentIndex += 1
        return decoded
    }

    private mutating func nextDecoder(_ type: Any.Type) throws -> BSONValueDecoder {
        let decoder = BSONValueDecoder(value: try current(type), codingPath: codingPath + [currentKey], userInfo: userInfo)
        currentIndex += 1
        return decoder
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let decoder = try BSONValueDecoder(value: current(BSONDocument.self), codingPath: codingPath + [currentKey], userInfo: userInfo)
        let container = try decoder.container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let decoder = try BSONValueDecoder(value: current([BSONValue].self), codingPath: codingPath + [currentKey], userInfo: userInfo)
        let container = try decoder.unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder { try nextDecoder((any Decoder).self) }
}
