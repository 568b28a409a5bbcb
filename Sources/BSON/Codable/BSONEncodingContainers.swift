// The keyed and unkeyed containers of BSONEncoder. Each appends nodes to a pending document
// or array; scalars become BSON values on the spot, other values go through a nested encoder.

/// Writes the fields of one embedded document.
struct BSONKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let document: PendingDocument
    let codingPath: [any CodingKey]
    let session: EncodingSession

    private func set(_ value: BSONValue, forKey key: Key) {
        document.set(.value(value), forKey: key.stringValue)
    }

    private func setNative<T: BSONNativeEncodable>(_ value: T, forKey key: Key) throws {
        set(try session.nativeValue(value, at: codingPath, key: key), forKey: key)
    }

    func encodeNil(forKey key: Key) { set(.null, forKey: key) }
    func encode(_ value: Bool, forKey key: Key) { set(value.bsonValue(), forKey: key) }
    func encode(_ value: String, forKey key: Key) { set(value.bsonValue(), forKey: key) }
    func encode(_ value: Double, forKey key: Key) { set(value.bsonValue(), forKey: key) }
    func encode(_ value: Float, forKey key: Key) { set(value.bsonValue(), forKey: key) }
    func encode(_ value: Int, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: Int8, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: Int16, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: Int32, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: Int64, forKey key: Key) { set(value.bsonValue(), forKey: key) }
    func encode(_ value: UInt, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: UInt8, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: UInt16, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: UInt32, forKey key: Key) throws { try setNative(value, forKey: key) }
    func encode(_ value: UInt64, forKey key: Key) throws { try setNative(value, forKey: key) }

    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        document.set(try session.node(for: value, at: codingPath, key: key), forKey: key.stringValue)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested: PendingDocument
        if case .document(let existing)? = document.node(forKey: key.stringValue) {
            nested = existing
        } else {
            nested = PendingDocument()
            document.set(.document(nested), forKey: key.stringValue)
        }
        return KeyedEncodingContainer(
            BSONKeyedEncodingContainer<NestedKey>(document: nested, codingPath: codingPath + [key], session: session))
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested: PendingArray
        if case .array(let existing)? = document.node(forKey: key.stringValue) {
            nested = existing
        } else {
            nested = PendingArray()
            document.set(.array(nested), forKey: key.stringValue)
        }
        return BSONUnkeyedEncodingContainer(array: nested, codingPath: codingPath + [key], session: session)
    }

    func superEncoder() -> any Encoder { superEncoder(named: BSONCodingKey.superKey) }

    func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key) }

    private func superEncoder(named key: some CodingKey) -> any Encoder {
        let encoder = BSONValueEncoder(codingPath: codingPath + [key], session: session)
        document.set(.deferred(encoder), forKey: key.stringValue)
        return encoder
    }
}

/// Writes the elements of one array.
struct BSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let array: PendingArray
    let codingPath: [any CodingKey]
    let session: EncodingSession

    var count: Int { array.nodes.count }

    /// The key of the next element, for coding paths.
    private var nextKey: BSONCodingKey { BSONCodingKey(intValue: count) }

    private func append(_ value: BSONValue) { array.append(.value(value)) }

    private func appendNative<T: BSONNativeEncodable>(_ value: T) throws {
        append(try session.nativeValue(value, at: codingPath, key: nextKey))
    }

    func encodeNil() { append(.null) }
    func encode(_ value: Bool) { append(value.bsonValue()) }
    func encode(_ value: String) { append(value.bsonValue()) }
    func encode(_ value: Double) { append(value.bsonValue()) }
    func encode(_ value: Float) { append(value.bsonValue()) }
    func encode(_ value: Int) throws { try appendNative(value) }
    func encode(_ value: Int8) throws { try appendNative(value) }
    func encode(_ value: Int16) throws { try appendNative(value) }
    func encode(_ value: Int32) throws { try appendNative(value) }
    func encode(_ value: Int64) { append(value.bsonValue()) }
    func encode(_ value: UInt) throws { try appendNative(value) }
    func encode(_ value: UInt8) throws { try appendNative(value) }
    func encode(_ value: UInt16) throws { try appendNative(value) }
    func encode(_ value: UInt32) throws { try appendNative(value) }
    func encode(_ value: UInt64) throws { try appendNative(value) }

    func encode<T: Encodable>(_ value: T) throws {
        array.append(try session.node(for: value, at: codingPath, key: nextKey))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = PendingDocument()
        let path = codingPath + [nextKey]
        array.append(.document(nested))
        return KeyedEncodingContainer(BSONKeyedEncodingContainer<NestedKey>(document: nested, codingPath: path, session: session))
    }

    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = PendingArray()
        let path = codingPath + [nextKey]
        array.append(.array(nested))
        return BSONUnkeyedEncodingContainer(array: nested, codingPath: path, session: session)
    }

    func superEncoder() -> any Encoder {
        let encoder = BSONValueEncoder(codingPath: codingPath + [nextKey], session: session)
        array.append(.deferred(encoder))
        return encoder
    }
}
