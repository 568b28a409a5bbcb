// DocumentCodec: a collection's values to and from BSON documents — BSONEncoder/BSONDecoder
// for Codable types, and no conversion at all when the type is BSONDocument itself. Failures
// become TesseraError (BadValue on encoding, TypeMismatch on decoding). A point read's stored
// document is decoded straight from its record when Documents' field decoder covers the type.

import Query

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

    /// The point read's `stored` document as a `T`: straight from its stored fields when
    /// that path covers `T`, else through a BSONDocument (which also reports a misfit).
    ///
    /// - Throws: `TypeMismatch` (14) when it does not decode; `InternalError` (1) for an
    ///   unreadable record.
    static func decode<T: Decodable>(_ type: T.Type, from stored: QueryCollection.StoredDocument) throws(TesseraError) -> T {
        if T.self != BSONDocument.self, let value = stored.decodeFields(as: type) { return value }
        let document: BSONDocument
        do throws(MongoError) {
            document = try stored.document()
        } catch {
            throw TesseraError(error)
        }
        return try decode(type, from: document)
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
