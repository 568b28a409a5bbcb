// DocumentCodec: a collection's values to and from BSON documents — BSONEncoder/BSONDecoder
// for Codable types, and no conversion at all when the type is BSONDocument itself. Failures
// become TesseraError (BadValue on encoding, TypeMismatch on decoding).

/// Converts a collection's values to documents and back.
enum DocumentCodec {
    /// `value` as a document.
    ///
    /// - Throws: `BadValue` (2) when it does not encode as a document.
    static func encode<T: Encodable>(_ value: T) throws(TesseraError) -> BSONDocument {
        if let document = value as? BSONDocument { return document }
        do {
            return try BSONEncoder().encode(value)
        } catch {
            throw .encoding(error)
        }
    }

    /// `document` as a `T`.
    ///
    /// - Throws: `TypeMismatch` (14) when it does not decode.
    static func decode<T: Decodable>(_ type: T.Type, from document: BSONDocument) throws(TesseraError) -> T {
        // Comparing the metadata first keeps the dynamic cast off the typed path.
        if T.self == BSONDocument.self, let value = document as? T { return value }
        do {
            return try BSONDecoder().decode(type, from: document)
        } catch {
            throw .decoding(error, type: type)
        }
    }
}
