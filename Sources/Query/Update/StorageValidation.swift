// StorageValidation: MongoDB's storage_validation for documents an update produces — no
// `$`-prefixed top-level field names (DBRef fields excepted), and an `_id` that is not an
// array, regex or undefined and has no `$`-prefixed fields of its own.

internal import BSON
internal import Documents

/// The checks mongod makes before storing an updated or upserted document.
enum StorageValidation {
    /// The error for a `$`-prefixed field where one is not allowed.
    static func dollarPrefixed(_ name: String, fullName: String) -> MongoError {
        MongoError(.dollarPrefixedFieldName, "The dollar ($) prefixed field '\(name)' in '\(fullName)' is not allowed "
                   + "in the context of an update's replacement document. Consider using an aggregation pipeline "
                   + "with $replaceWith.")
    }

    /// Validates a whole document: its `_id`, and (unless `allowTopLevelDollarPrefixes`) its
    /// top-level field names.
    static func validate(_ document: BSONDocument, allowTopLevelDollarPrefixes: Bool) throws(MongoError) {
        for (index, element) in document.elements.enumerated() {
            if element.key == "_id" {
                try validateId(element.value)
                continue
            }
            if !allowTopLevelDollarPrefixes && element.key.hasPrefix("$") {
                try validateDollarPrefixed(at: index, in: document, fullName: element.key)
            }
        }
    }

    /// `storageValidIdField`: the types `_id` may not have, and `$`-prefixed fields at the
    /// top of an `_id` document.
    static func validateId(_ value: BSONValue) throws(MongoError) {
        switch value {
        case .regex, .array, .undefined:
            throw MongoError(.invalidIdField, "The '_id' value cannot be of type \(value.type.alias)")
        case .document(let id):
            for (index, element) in id.elements.enumerated() where element.key.hasPrefix("$") {
                do {
                    try validateDollarPrefixed(at: index, in: id, fullName: "_id." + element.key)
                } catch {
                    throw MongoError(error.code, "_id fields may not contain '$'-prefixed fields: \(error.message)")
                }
            }
        default:
            break
        }
    }

    /// A `$`-prefixed field is only allowed as part of a DBRef: `$ref` then `$id` (then
    /// optionally `$db`).
    static func validateDollarPrefixed(at index: Int, in document: BSONDocument,
                                               fullName: String) throws(MongoError) {
        let elements = document.elements
        let name = elements[index].key
        func key(_ i: Int) -> String? { i >= 0 && i < elements.count ? elements[i].key : nil }
        switch name {
        case "$ref":
            guard case .string = elements[index].value else {
                throw MongoError(.invalidDBRef,
                                 "The DBRef $ref field must be a String, not a \(elements[index].value.type.alias)")
            }
            guard key(index + 1) == "$id" else {
                throw MongoError(.invalidDBRef, "The DBRef $ref field must be followed by a $id field")
            }
        case "$id":
            guard key(index - 1) == "$ref" else {
                throw MongoError(.invalidDBRef, "Found $id field without a $ref before it, which is invalid.")
            }
        case "$db":
            guard case .string = elements[index].value else {
                throw MongoError(.invalidDBRef,
                                 "The DBRef $db field must be a String, not a \(elements[index].value.type.alias)")
            }
            guard key(index - 1) == "$id" else {
                throw MongoError(.invalidDBRef, "Found $db field without a $id before it, which is invalid.")
            }
        default:
            throw dollarPrefixed(name, fullName: fullName)
        }
    }
}
