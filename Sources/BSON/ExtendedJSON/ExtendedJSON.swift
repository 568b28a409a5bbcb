// The public face of MongoDB Extended JSON v2: the output modes and the parse and emit entry
// points on BSONDocument and BSONValue. The work is done by ExtendedJSONParser and
// ExtendedJSONWriter beside this file.

/// Which Extended JSON v2 dialect to emit.
public enum ExtendedJSONMode: Sendable {
    /// Every value keeps its BSON type: numbers as `{"$numberInt": "1"}`, dates as
    /// `{"$date": {"$numberLong": "..."}}`. Round-trips exactly (except NaN payloads).
    case canonical
    /// Plain JSON numbers for int32, int64 and finite doubles, and ISO-8601 strings for dates
    /// in years 1970–9999; other types as in canonical mode. Readable, but numeric types
    /// may not survive a round trip.
    case relaxed
}

extension BSONDocument {
    /// Parses an Extended JSON v2 object (canonical, relaxed, or the legacy forms the
    /// specification still accepts) into a document, keeping key order.
    ///
    /// Throws ``BSONError/invalidExtendedJSON(offset:reason:)`` for malformed JSON, for a type
    /// wrapper with the wrong shape (extra or missing keys, wrong value types), for a key or
    /// regular expression holding U+0000, for nesting deeper than 200 levels, and when the
    /// text is not a JSON object or is an object that denotes a non-document value.
    public init(extendedJSON: String) throws(BSONError) {
        guard case .document(let document) = try ExtendedJSONParser.parse(extendedJSON) else {
            throw .invalidExtendedJSON(offset: 0, reason: "the text is not an Extended JSON document")
        }
        self = document
    }

    /// This document as compact Extended JSON v2 text (no insignificant whitespace).
    public func extendedJSON(_ mode: ExtendedJSONMode = .relaxed) -> String {
        var writer = ExtendedJSONWriter(mode: mode, capacity: 128 + elements.count * 48)
        writer.write(self)
        return writer.text
    }
}

extension BSONValue {
    /// Parses any Extended JSON v2 value: an object (a document or a type wrapper), an array,
    /// a string, a number (relaxed: int32 if it fits, else int64, else double; a fraction or
    /// exponent makes a double), `true`, `false` or `null`.
    ///
    /// Throws ``BSONError/invalidExtendedJSON(offset:reason:)`` as
    /// ``BSONDocument/init(extendedJSON:)`` does.
    public init(extendedJSON: String) throws(BSONError) {
        self = try ExtendedJSONParser.parse(extendedJSON)
    }

    /// This value as compact Extended JSON v2 text (no insignificant whitespace).
    public func extendedJSON(_ mode: ExtendedJSONMode = .relaxed) -> String {
        var writer = ExtendedJSONWriter(mode: mode, capacity: 64)
        writer.write(self)
        return writer.text
    }
}
