// HashedIndexKeys: hashed indexes (`{a: "hashed"}`, and compound ones with one hashed field
// since MongoDB 4.4) — the pattern and option rules, and key generation: the hashed field's
// key is MongoDB's int64 hash of its value (BSONValueHasher), other fields are ordinary keys.
// A hashed index holds one key per document and refuses arrays on any of its paths (16766).

internal import BSON
internal import Collation

/// MongoDB's rules for hashed index key patterns and options.
enum HashedIndexRules {
    /// The key pattern value naming a hashed field.
    static let plugin = "hashed"

    /// Whether a stored key pattern has a hashed field.
    static func isHashed(_ key: BSONDocument) -> Bool {
        key.contains { $0.value.stringValue == plugin }
    }

    /// Checks a hashed pattern (plugin names are validated by the caller).
    ///
    /// - Throws: MongoError 31303 when more than one field is hashed.
    static func validate(_ key: BSONDocument) throws(MongoError) {
        let hashed = key.filter { $0.value.stringValue == plugin }.count
        guard hashed <= 1 else {
            throw MongoError(MongoError.Code(31303, "Location31303"),
                             "A maximum of one index field is allowed to be hashed but found \(hashed) for 'key' "
                                 + IndexKeyPattern.describe(key))
        }
    }

    /// Checks the options of a hashed index.
    ///
    /// - Throws: MongoError 16764 for `unique` (a hash cannot guarantee uniqueness).
    static func validateOptions(key: BSONDocument, options: BSONDocument) throws(MongoError) {
        guard isHashed(key) else { return }
        if let unique = options["unique"], IndexSpecValidation.isTrue(unique) {
            throw MongoError(MongoError.Code(16764, "Location16764"),
                             "Currently hashed indexes cannot guarantee uniqueness. Use a regular index.")
        }
    }
}

extension IndexKeyGenerator {
    /// Whether the pattern has a hashed field (then keys come from `hashedKeys(for:)`).
    var isHashed: Bool { fields.contains { $0.isHashed } }

    /// The one key `document` has in a hashed index (none when sparse and every field is
    /// missing). MongoDB's `ExpressionKeysPrivate::getHashKeys`: each field's path is followed
    /// through documents; missing is null; an index collation applies before hashing.
    ///
    /// - Throws: MongoError 16766 when any field's path meets an array.
    func hashedKeys(for document: BSONDocument) throws(MongoError) -> Keys {
        var values: [BSONValue] = []
        values.reserveCapacity(fields.count)
        var hasValue = false
        for field in fields {
            var value = try Self.hashedPathValue(field, in: document)
            if let found = value {
                hasValue = true
                if let collator { value = collator.comparisonKey(found) }
            }
            let resolved = value ?? .null
            values.append(field.isHashed ? .int64(BSONValueHasher.hash64(resolved)) : resolved)
        }
        var result = Keys()
        if isSparse && !hasValue { return result }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(16 * values.count)
        for (position, value) in values.enumerated() {
            IndexEntryCodec.appendField(value, descending: fields[position].isDescending, to: &encoded)
        }
        result.keys.append(Key(values: values, encoded: encoded))
        return result
    }

    /// The value at `field`'s path through documents, `nil` when missing. MongoDB's
    /// `extractElementAtPathOrArrayAlongPath`, refusing any array it meets.
    private static func hashedPathValue(_ field: IndexKeyField, in document: BSONDocument) throws(MongoError) -> BSONValue? {
        var current = BSONValue.document(document)
        for (depth, component) in field.components.enumerated() {
            guard case let .document(object) = current, let next = object[component] else { return nil }
            if case .array = next {
                let path = field.components.prefix(depth + 1).joined(separator: ".")
                throw MongoError(MongoError.Code(16766, "Location16766"),
                                 "Error: hashed indexes do not currently support array values. Found array at path: \(path)")
            }
            current = next
        }
        return current
    }
}
