// Codable conformances of the BSON model types, so Swift types holding them synthesize
// Codable. BSONEncoder and BSONDecoder move them as BSON values; any other coder (say
// JSONEncoder) sees their canonical Extended JSON shapes ({"$oid": ...}, {"$date": ...}).

import Foundation

/// Writes `value` natively when `encoder` is the BSON encoder; returns whether it did.
private func encodeNatively(_ value: some BSONNativeEncodable, to encoder: any Encoder) throws -> Bool {
    guard let bson = encoder as? BSONValueEncoder else { return false }
    try bson.storeNative(value, value: value)
    return true
}

/// Reads a `T` natively when `decoder` is the BSON decoder; `nil` for any other decoder.
private func decodeNatively<T: BSONNativeDecodable>(_ type: T.Type, from decoder: any Decoder) throws -> T? {
    guard let bson = decoder as? BSONValueDecoder else { return nil }
    return try bson.decodeNative(type)
}

/// The keyed container of an Extended JSON wrapper such as `{"$oid": ...}`.
private typealias WrapperContainer = KeyedDecodingContainer<BSONCodingKey>

extension ObjectId: Codable {
    /// Writes an ObjectId to ``BSONEncoder``, and `{"$oid": "<hex>"}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        try container.encode(hex, forKey: "$oid")
    }

    /// Reads an ObjectId from ``BSONDecoder``, and `{"$oid": "<hex>"}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let container = try decoder.container(keyedBy: BSONCodingKey.self)
        let hex = try container.decode(String.self, forKey: "$oid")
        guard let id = ObjectId(hex: hex) else {
            throw DecodingError.dataCorruptedError(forKey: "$oid", in: container, debugDescription: "\"\(hex)\" is not 24 hexadecimal digits")
        }
        self = id
    }
}

extension Decimal128: Codable {
    /// Writes a decimal128 to ``BSONEncoder``, and `{"$numberDecimal": "<text>"}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        try container.encode(description, forKey: "$numberDecimal")
    }

    /// Reads a decimal128 from ``BSONDecoder``, and `{"$numberDecimal": "<text>"}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let container = try decoder.container(keyedBy: BSONCodingKey.self)
        let text = try container.decode(String.self, forKey: "$numberDecimal")
        guard let value = Decimal128(text) else {
            throw DecodingError.dataCorruptedError(forKey: "$numberDecimal", in: container, debugDescription: "\"\(text)\" is not a decimal128")
        }
        self = value
    }
}

extension BSONDateTime: Codable {
    /// Writes a datetime to ``BSONEncoder``, and `{"$date": {"$numberLong": "<ms>"}}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        var date = container.nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$date")
        try date.encode(String(millisecondsSinceEpoch), forKey: "$numberLong")
    }

    /// Reads a datetime from ``BSONDecoder``, and `{"$date": {"$numberLong": "<ms>"}}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let date = try decoder.container(keyedBy: BSONCodingKey.self).nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$date")
        let text = try date.decode(String.self, forKey: "$numberLong")
        guard let milliseconds = Int64(text) else {
            throw DecodingError.dataCorruptedError(forKey: "$numberLong", in: date, debugDescription: "\"\(text)\" is not a 64-bit integer")
        }
        self.init(millisecondsSinceEpoch: milliseconds)
    }
}

extension BSONTimestamp: Codable {
    /// Writes a timestamp to ``BSONEncoder``, and `{"$timestamp": {"t": <s>, "i": <n>}}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        var parts = container.nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$timestamp")
        try parts.encode(timestamp, forKey: "t")
        try parts.encode(increment, forKey: "i")
    }

    /// Reads a timestamp from ``BSONDecoder``, and `{"$timestamp": {"t": <s>, "i": <n>}}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let parts = try decoder.container(keyedBy: BSONCodingKey.self).nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$timestamp")
        self.init(timestamp: try parts.decode(UInt32.self, forKey: "t"), increment: try parts.decode(UInt32.self, forKey: "i"))
    }
}

extension BSONBinary: Codable {
    /// Writes binary data to ``BSONEncoder``, and
    /// `{"$binary": {"base64": "<bytes>", "subType": "<hex>"}}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        var parts = container.nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$binary")
        try parts.encode(Data(bytes).base64EncodedString(), forKey: "base64")
        let hex = String(subtype.rawValue, radix: 16)
        try parts.encode(hex.count == 1 ? "0" + hex : hex, forKey: "subType")
    }

    /// Reads binary data from ``BSONDecoder``, and
    /// `{"$binary": {"base64": "<bytes>", "subType": "<hex>"}}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let parts = try decoder.container(keyedBy: BSONCodingKey.self).nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$binary")
        let base64 = try parts.decode(String.self, forKey: "base64")
        guard let bytes = Data(base64Encoded: base64) else {
            throw DecodingError.dataCorruptedError(forKey: "base64", in: parts, debugDescription: "Not valid base64")
        }
        let hex = try parts.decode(String.self, forKey: "subType")
        guard hex.utf8.count <= 2, let subtype = UInt8(hex, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: "subType", in: parts, debugDescription: "\"\(hex)\" is not a one-byte hex subtype")
        }
        self.init(subtype: Subtype(subtype), bytes: Array(bytes))
    }
}

extension BSONRegex: Codable {
    /// Writes a regex to ``BSONEncoder``, and
    /// `{"$regularExpression": {"pattern": ..., "options": ...}}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        var parts = container.nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$regularExpression")
        try parts.encode(pattern, forKey: "pattern")
        try parts.encode(options, forKey: "options")
    }

    /// Reads a regex from ``BSONDecoder``, and
    /// `{"$regularExpression": {"pattern": ..., "options": ...}}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let parts = try decoder.container(keyedBy: BSONCodingKey.self)
            .nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$regularExpression")
        self.init(pattern: try parts.decode(String.self, forKey: "pattern"), options: try parts.decode(String.self, forKey: "options"))
    }
}

extension BSONDBPointer: Codable {
    /// Writes a DBPointer to ``BSONEncoder``, and
    /// `{"$dbPointer": {"$ref": ..., "$id": {"$oid": ...}}}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        var parts = container.nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$dbPointer")
        try parts.encode(ref, forKey: "$ref")
        try parts.encode(id, forKey: "$id")
    }

    /// Reads a DBPointer from ``BSONDecoder``, and
    /// `{"$dbPointer": {"$ref": ..., "$id": {"$oid": ...}}}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let parts = try decoder.container(keyedBy: BSONCodingKey.self).nestedContainer(keyedBy: BSONCodingKey.self, forKey: "$dbPointer")
        self.init(ref: try parts.decode(String.self, forKey: "$ref"), id: try parts.decode(ObjectId.self, forKey: "$id"))
    }
}

extension BSONCodeWithScope: Codable {
    /// Writes code with scope to ``BSONEncoder``, and `{"$code": ..., "$scope": {...}}` to other encoders.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        try container.encode(code, forKey: "$code")
        try container.encode(scope, forKey: "$scope")
    }

    /// Reads code with scope from ``BSONDecoder``, and `{"$code": ..., "$scope": {...}}` from other decoders.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let container = try decoder.container(keyedBy: BSONCodingKey.self)
        self.init(code: try container.decode(String.self, forKey: "$code"), scope: try container.decode(BSONDocument.self, forKey: "$scope"))
    }
}

extension BSONDocument: Codable {
    /// Writes the document to ``BSONEncoder``; to other encoders, a keyed container with the
    /// document's keys in order (an encoder that keeps one value per key keeps the last).
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        for (key, value) in elements { try container.encode(value, forKey: BSONCodingKey(stringValue: key)) }
    }

    /// Reads a document from ``BSONDecoder``; from other decoders, every key of a keyed
    /// container, in the order that decoder lists them.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        let container = try decoder.container(keyedBy: BSONCodingKey.self)
        self.init()
        for key in container.allKeys { append(key.stringValue, try container.decode(BSONValue.self, forKey: key)) }
    }
}

extension BSONValue: Codable {
    /// Writes the value to ``BSONEncoder`` as itself. Other encoders get relaxed Extended JSON:
    /// Booleans, strings, finite doubles, int32 and int64 as plain values, null as nil,
    /// documents and arrays as containers, everything else in its `{"$type": ...}` wrapper.
    public func encode(to encoder: any Encoder) throws {
        guard try !encodeNatively(self, to: encoder) else { return }
        switch self {
        case .double(let v) where v.isFinite: try encodePlain(v, to: encoder)
        case .double(let v): try encodeWrapped(v.isNaN ? "NaN" : v < 0 ? "-Infinity" : "Infinity", key: "$numberDouble", to: encoder)
        case .string(let v): try encodePlain(v, to: encoder)
        case .document(let v): try v.encode(to: encoder)
        case .array(let v):
            var container = encoder.unkeyedContainer()
            for element in v { try container.encode(element) }
        case .binary(let v): try v.encode(to: encoder)
        case .undefined: try encodeWrapped(true, key: "$undefined", to: encoder)
        case .objectId(let v): try v.encode(to: encoder)
        case .bool(let v): try encodePlain(v, to: encoder)
        case .datetime(let v): try v.encode(to: encoder)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .regex(let v): try v.encode(to: encoder)
        case .dbPointer(let v): try v.encode(to: encoder)
        case .javascript(let v): try encodeWrapped(v, key: "$code", to: encoder)
        case .symbol(let v): try encodeWrapped(v, key: "$symbol", to: encoder)
        case .javascriptWithScope(let v): try v.encode(to: encoder)
        case .int32(let v): try encodePlain(v, to: encoder)
        case .timestamp(let v): try v.encode(to: encoder)
        case .int64(let v): try encodePlain(v, to: encoder)
        case .decimal128(let v): try v.encode(to: encoder)
        case .minKey: try encodeWrapped(1, key: "$minKey", to: encoder)
        case .maxKey: try encodeWrapped(1, key: "$maxKey", to: encoder)
        }
    }

    private func encodePlain(_ value: some Encodable, to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    private func encodeWrapped(_ value: some Encodable, key: BSONCodingKey, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        try container.encode(value, forKey: key)
    }

    /// Reads any value from ``BSONDecoder``. From other decoders, reads what ``encode(to:)``
    /// writes: nil, Booleans, integers (int32 when they fit, else int64), doubles, strings,
    /// arrays, and documents, recognising the Extended JSON wrappers by their keys.
    public init(from decoder: any Decoder) throws {
        if let native = try decodeNatively(Self.self, from: decoder) { self = native; return }
        if let keyed = try? decoder.container(keyedBy: BSONCodingKey.self) {
            self = try Self.wrapped(in: keyed, decoder: decoder) ?? .document(BSONDocument(from: decoder))
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var elements: [BSONValue] = []
            while !unkeyed.isAtEnd { elements.append(try unkeyed.decode(BSONValue.self)) }
            self = .array(elements)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Int32.self) {
            self = .int32(value)
        } else if let value = try? single.decode(Int64.self) {
            self = .int64(value)
        } else if let value = try? single.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    /// The value an Extended JSON wrapper such as `{"$oid": ...}` stands for; `nil` when the
    /// container is an ordinary document.
    private static func wrapped(in container: WrapperContainer, decoder: any Decoder) throws -> BSONValue? {
        let keys = container.allKeys.map(\.stringValue)
        guard let first = keys.first, first.hasPrefix("$") else { return nil }
        if keys.count == 2, Set(keys) == ["$code", "$scope"] {
            return .javascriptWithScope(try BSONCodeWithScope(from: decoder))
        }
        guard keys.count == 1 else { return nil }
        switch first {
        case "$oid": return .objectId(try ObjectId(from: decoder))
        case "$date": return .datetime(try BSONDateTime(from: decoder))
        case "$numberDecimal": return .decimal128(try Decimal128(from: decoder))
        case "$binary": return .binary(try BSONBinary(from: decoder))
        case "$timestamp": return .timestamp(try BSONTimestamp(from: decoder))
        case "$regularExpression": return .regex(try BSONRegex(from: decoder))
        case "$dbPointer": return .dbPointer(try BSONDBPointer(from: decoder))
        case "$code": return .javascript(try container.decode(String.self, forKey: "$code"))
        case "$symbol": return .symbol(try container.decode(String.self, forKey: "$symbol"))
        case "$undefined": return .undefined
        case "$minKey": return .minKey
        case "$maxKey": return .maxKey
        case "$numberDouble":
            let text = try container.decode(String.self, forKey: "$numberDouble")
            guard let value = Double(text) else {
                throw DecodingError.dataCorruptedError(forKey: "$numberDouble", in: container, debugDescription: "\"\(text)\" is not a double")
            }
            return .double(value)
        default: return nil
        }
    }
}
