// ValueLimits: the largest string or array an expression may build — MongoDB's 16 MiB user
// object size — checked before the value is built, so `$concat`, `$replaceAll`,
// `$concatArrays` (and `$reduce` built from them) cannot grow memory without bound; and the
// same limit on the documents updates and upserts produce, checked before they are stored.

internal import BSON
internal import Documents

/// The bounds on values expressions build.
enum ValueLimits {
    /// MongoDB's `BSONObjMaxUserSize`: 16 MiB.
    static let maxBytes = 16 * 1024 * 1024

    /// Throws when a string of `byteCount` UTF-8 bytes built by `name` would exceed the limit.
    ///
    /// - Throws: `BSONObjectTooLarge` (10334).
    static func checkString(bytes byteCount: Int, _ name: String) throws(MongoError) {
        guard byteCount > maxBytes else { return }
        throw MongoError(.bsonObjectTooLarge,
                         "\(name) would produce a string of \(byteCount) bytes, over the maximum of \(maxBytes) bytes")
    }

    /// Throws when an array of about `byteCount` bytes built by `name` would exceed the limit.
    ///
    /// - Throws: `BSONObjectTooLarge` (10334).
    static func checkArray(bytes byteCount: Int, _ name: String) throws(MongoError) {
        guard byteCount > maxBytes else { return }
        throw MongoError(.bsonObjectTooLarge,
                         "\(name) would produce an array of about \(byteCount) bytes, over the maximum of \(maxBytes) bytes")
    }

    /// Throws when the document an update produced — `updated`, stored with `id` as its `_id`
    /// when the update left `_id` out — is over 16 MiB, as mongod's update stage does.
    ///
    /// - Throws: `BSONObjectTooLarge` (10334).
    static func checkUpdatedDocument(_ updated: BSONDocument, id: BSONValue) throws(MongoError) {
        let idBytes = updated["_id"] == nil ? 2 + "_id".utf8.count + BSONSize.of(id) : 0
        guard BSONSize.of(updated) + idBytes > maxBytes else { return }
        throw MongoError(.bsonObjectTooLarge, "Resulting document after update is larger than \(maxBytes)")
    }

    /// Throws when the document an upsert would insert is over 16 MiB, as mongod's upsert
    /// stage does.
    ///
    /// - Throws: `Location17420`.
    static func checkUpsertDocument(_ document: BSONDocument) throws(MongoError) {
        guard BSONSize.of(document) > maxBytes else { return }
        throw MongoError(MongoError.Code(17420, "Location17420"), "Document to upsert is larger than \(maxBytes)")
    }

    /// About the bytes `value` takes in BSON (the aggregation's memory estimate).
    static func size(of value: BSONValue) -> Int { MemoryBudget.size(of: value) }
}
