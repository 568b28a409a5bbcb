// BSONSize: the encoded size of a document computed from the value model, without encoding
// it — for the 16 MiB document limit, the per-batch reply cap and collection statistics.

/// Encoded BSON sizes.
public enum BSONSize {
    /// The bytes `document` takes when encoded.
    public static func of(_ document: BSONDocument) -> Int {
        var size = 5
        for element in document {
            size += 2 + element.key.utf8.count + of(element.value)
        }
        return size
    }

    /// The bytes an array takes when encoded (keys "0", "1", ...).
    public static func of(array: [BSONValue]) -> Int {
        var size = 5
        for (index, value) in array.enumerated() {
            size += 2 + decimalDigits(index) + of(value)
        }
        return size
    }

    /// The bytes of one value's payload (without type byte and key).
    public static func of(_ value: BSONValue) -> Int {
        switch value {
        case .double, .datetime, .timestamp, .int64: 8
        case .int32: 4
        case .bool: 1
        case .decimal128: 16
        case .objectId: 12
        case .undefined, .null, .minKey, .maxKey: 0
        case let .string(string), let .javascript(string), let .symbol(string): 5 + string.utf8.count
        case let .document(document): of(document)
        case let .array(array): of(array: array)
        case let .binary(binary): 5 + binary.bytes.count + (binary.subtype == .binaryOld ? 4 : 0)
        case let .regex(regex): regex.pattern.utf8.count + regex.options.utf8.count + 2
        case let .dbPointer(pointer): 5 + pointer.ref.utf8.count + 12
        case let .javascriptWithScope(code): 4 + 5 + code.code.utf8.count + of(code.scope)
        }
    }

    private static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }
}
