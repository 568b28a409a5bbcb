// RecordFieldsDecoder: decodes a Decodable type straight from a record's top-level fields,
// the typed point read's path — no BSONDocument is built: each field the type asks for is
// found by its slot (one probe of the shape's name index) and read as one value; scalars
// the type wants as Swift integers, strings, Booleans or doubles are read on the spot, any
// other value goes through BSONDecoder. Whatever it does not cover (unkeyed or single-value
// top levels, nested containers, super decoders) and every failure makes
// ``Record/decodeFields(as:)`` return nil: the caller then takes the document path, which
// gives the same value or reports the error with its full coding path. A type that swallows
// an error (`try?` in its init) cannot hide a step this path does not cover: every such step
// is noted on a shared signal, and a noted decode is discarded too.

internal import BSON

extension Record {
    /// The record decoded as `T` from its fields, or nil when this path does not cover `T`
    /// or the record does not fit it (decode the ``document(maximumDepth:)`` with
    /// BSONDecoder then: it reads the same mapping and reports why).
    public func decodeFields<T: Decodable>(as type: T.Type) -> T? {
        let signal = RecordFieldsDecoder.Signal()
        guard let value = try? T(from: RecordFieldsDecoder(record: self, signal: signal)), !signal.unsupported else {
            return nil
        }
        return value
    }
}

/// The Decoder of a whole record; only its keyed container is offered.
struct RecordFieldsDecoder: Decoder {
    /// What this decoder does not cover; the caller falls back to the document path.
    struct Unsupported: Error {}

    /// Set once a step threw ``Unsupported`` (whether or not the type let it through).
    final class Signal {
        var unsupported = false

        /// Notes the step and returns the error to throw.
        func unsupportedStep() -> Unsupported {
            unsupported = true
            return Unsupported()
        }
    }

    let record: Record
    let signal: Signal
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RecordKeyedDecodingContainer<Key>(record: record, signal: signal))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw signal.unsupportedStep() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw signal.unsupportedStep() }
}

/// The record's top-level fields by name; the first field of a name wins, as in BSONDecoder.
struct RecordKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let record: Record
    let signal: RecordFieldsDecoder.Signal
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { (0..<record.fieldCount).compactMap { Key(stringValue: record.name(ofSlot: $0)) } }

    func contains(_ key: Key) -> Bool { record.layout.slot(named: key.stringValue) != nil }

    /// The field named `key`; a missing one is left to the document path's keyNotFound.
    private func field(_ key: Key) throws -> RecordField {
        guard let field = try reading({ () throws(RecordError) in try record.field(named: key.stringValue) }) else {
            throw signal.unsupportedStep()
        }
        return field
    }

    /// `body`'s result; a record that cannot be read is left to the document path, which
    /// reports it.
    private func reading<R>(_ body: () throws(RecordError) -> R) throws -> R {
        do throws(RecordError) {
            return try body()
        } catch {
            throw signal.unsupportedStep()
        }
    }

    /// The value named `key` as `T`, through BSONDecoder's mapping.
    private func viaBSON<T: Decodable>(_ type: T.Type, _ field: RecordField) throws -> T {
        try BSONDecoder().decode(type, fromValue: try reading { () throws(RecordError) in try field.value() })
    }

    /// An integer stored as int32 or int64 read directly when `T` holds it exactly; any
    /// other value (a double, a decimal) converts through BSONDecoder, which checks exactness.
    private func integer<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let field = try field(key)
        if let value = field.int64 ?? field.int32.map(Int64.init), let exact = T(exactly: value) { return exact }
        return try viaBSON(type, field)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        let kind = try field(key).kind
        return kind == .null || kind == .undefined
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        let field = try field(key)
        switch field.kind {
        case .boolTrue: return true
        case .boolFalse: return false
        default: return try viaBSON(type, field)
        }
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        let field = try field(key)
        if let string = try reading({ () throws(RecordError) in try field.string() }) { return string }
        return try viaBSON(type, field)
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        let field = try field(key)
        if let double = field.double { return double }
        return try viaBSON(type, field)
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try viaBSON(type, field(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, forKey: key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try viaBSON(type, field(key)) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let field = try reading({ () throws(RecordError) in try record.field(named: key.stringValue) }),
              field.kind != .null, field.kind != .undefined else {
            return nil
        }
        return try viaBSON(type, field)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        throw signal.unsupportedStep()
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw signal.unsupportedStep()
    }

    func superDecoder() throws -> any Decoder { throw signal.unsupportedStep() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw signal.unsupportedStep() }
}
