// IndexEntryCodec: the bytes of one secondary index entry. Key: the key fields' KeyEncoding
// (complemented for descending fields), then the KeyEncoding of the document's `_id`. Value:
// BSON `{k: [key values], i: _id}`, so scans can read the real values without the document.

internal import BSON

/// Encoding and decoding of index entries.
enum IndexEntryCodec {
    /// Appends `value`'s order-preserving encoding, every byte complemented when `descending`.
    ///
    /// KeyEncoding is prefix-free, so complementing reverses the order of encodings and keeps
    /// them prefix-free: concatenated fields still sort field by field.
    static func appendField(_ value: BSONValue, descending: Bool, to bytes: inout [UInt8]) {
        let start = bytes.count
        KeyEncoding.append(value, to: &bytes)
        if descending {
            for position in start ..< bytes.count { bytes[position] = ~bytes[position] }
        }
    }

    /// The entry key: the encoded key fields, then the encoded `_id`.
    static func entryKey(fields: [UInt8], id idKey: [UInt8]) -> [UInt8] {
        fields + idKey
    }

    /// The entry value: `{k: values, i: id}` as BSON.
    static func entryValue(values: [BSONValue], id: BSONValue) throws(MongoError) -> [UInt8] {
        try bson(["k": .array(values), "i": id])
    }

    /// The key values and `_id` stored in an entry value.
    static func decode(_ bytes: [UInt8]) throws(MongoError) -> (values: [BSONValue], id: BSONValue) {
        guard let document = try? BSONDocument(bsonBytes: bytes), case let .array(values)? = document["k"],
              let id = document["i"]
        else {
            throw MongoError(.internalError, "unreadable index entry")
        }
        return (values, id)
    }
}
