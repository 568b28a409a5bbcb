// IndexSpec: an index's validated, parsed specification — key fields plus the options that
// change what is indexed (unique, sparse, partial filter, TTL, hidden). Owns MongoDB's
// createIndexes option rules and error codes; knows nothing of storage.

internal import BSON
internal import Collation

/// What an index indexes, parsed once from its key pattern and options.
struct IndexSpec: Sendable, Equatable {
    /// The key pattern as given.
    let key: BSONDocument
    /// The key pattern's fields, in order.
    let fields: [IndexKeyField]
    /// Whether two documents may not share a key.
    let isUnique: Bool
    /// Whether a write may not add a key another document has: a unique index, or one with
    /// `prepareUnique` (existing duplicates stay until collMod converts it to unique).
    let rejectsNewDuplicates: Bool
    /// Whether documents missing every key field are left out.
    let isSparse: Bool
    /// The filter a document must match to be indexed, if any.
    let partialFilter: BSONDocument?
    /// Seconds after an indexed date at which the document expires, if this is a TTL index.
    let expireAfterSeconds: Int?
    /// The index's collation (`nil`: simple): its keys hold comparison keys of strings.
    let collator: Collator?
    /// A text index's weights, languages and extra fields (`nil`: not a text index).
    let text: TextIndexSpec?
    /// A wildcard index's projection and direction (`nil`: not a wildcard index).
    let wildcard: WildcardIndexSpec?

    /// The spec of a stored description (validated when it was created).
    init(_ description: IndexDescription) {
        key = description.key
        wildcard = WildcardIndexSpec(description)
        fields = wildcard?.keyFields
            ?? TwoDIndexRules.withParameters(IndexKeyPattern.fields(of: description.key), options: description.options)
        isUnique = description.isUnique
        rejectsNewDuplicates = description.isUnique || description.options["prepareUnique"]?.boolValue == true
        isSparse = description.isSparse
        partialFilter = description.partialFilter
        expireAfterSeconds = description.expireAfterSeconds
        collator = description.collator
        text = TextIndexSpec(description)
    }

    /// Whether two specs index the same documents under the same keys with the same
    /// constraints (MongoDB's test for "an equivalent index already exists").
    func isEquivalent(to other: IndexSpec) -> Bool {
        BSONValue.compareDocuments(key, other.key) == 0 && isUnique == other.isUnique && isSparse == other.isSparse
            && partialFilter.map { BSONValue.document($0) } == other.partialFilter.map { BSONValue.document($0) }
            && collator == other.collator && wildcard == other.wildcard
    }

    /// The catalog's multikey fields for `names` (IndexKeyGenerator.Keys.multikeyNames): key
    /// pattern fields in pattern order; a wildcard index's array paths, sorted.
    func multikeyFields(_ names: Set<String>) -> [String] {
        wildcard == nil ? fields.map(\.path).filter(names.contains) : names.sorted()
    }
}

/// MongoDB's createIndexes validation of one index specification.
enum IndexSpecValidation {
    /// Options that are accepted and have no effect on a B-tree index.
    private static let ignoredOptions: Set<String> = [
        "background", "ns", "storageEngine", "dropDups", "prepareUnique", "default_language", "language_override",
        "textIndexVersion", "2dsphereIndexVersion", "bits", "min", "max", "bucketSize", "coarsestIndexedLevel",
        "finestIndexedLevel", "originalSpec",
    ]
    /// Options whose effect Tessera does not implement.
    private static let unsupportedOptions: Set<String> = [
        "weights", "columnstoreProjection", "columnstoreCompressor", "clustered",
    ]
    private static let understoodOptions: Set<String> = [
        "unique", "sparse", "partialFilterExpression", "expireAfterSeconds", "hidden", "v", "collation",
        "wildcardProjection",
    ]
    /// Fields an `_id` index specification may have.
    private static let idIndexOptions: Set<String> = ["v", "ns", "collation"]

    /// The description to create for `key`, `name` and `options`, after MongoDB's checks.
    ///
    /// `options` is the rest of a createIndexes specification; `key` and `name` may appear in
    /// it too (then they must agree with the arguments). The stored options are `options`
    /// without `key` and `name`.
    ///
    /// - Throws: `InvalidIndexSpecificationOption` (197) for an unknown option (or any option
    ///   on `{_id: 1}`), `TypeMismatch` (14) for an option of the wrong type, `CannotCreateIndex`
    ///   (67) for a bad key pattern or TTL, or mixing `sparse` with `partialFilterExpression`,
    ///   `BadValue` (2) for reserved or empty names.
    static func validate(
        key: BSONDocument, name requestedName: String?, options given: BSONDocument
    ) throws(MongoError) -> IndexDescription {
        var options = given
        var name = requestedName
        if let stated = options.removeValue(forKey: "name") {
            guard case let .string(text) = stated else {
                throw MongoError(.typeMismatch, "The field 'name' must be a string, but got \(stated.type.alias)")
            }
            if let requestedName, requestedName != text {
                throw MongoError(.badValue, "index name '\(text)' in the options differs from '\(requestedName)'")
            }
            name = text
        }
        if let stated = options.removeValue(forKey: "key") {
            guard case let .document(statedKey) = stated, BSONValue.compareDocuments(statedKey, key) == 0 else {
                throw MongoError(.badValue, "the key pattern in the options differs from \(IndexKeyPattern.describe(key))")
            }
        }
        let indexName = name ?? IndexDescription.defaultName(for: key)
        var specification: BSONDocument = ["key": .document(key), "name": .string(indexName)]
        for element in options { specification.append(element.key, element.value) }
        let spec = IndexKeyPattern.describe(specification)

        for element in options
        where !understoodOptions.contains(element.key) && !ignoredOptions.contains(element.key)
            && !unsupportedOptions.contains(element.key) {
            throw MongoError(.invalidIndexSpecificationOption,
                             "The field '\(element.key)' is not valid for an index specification. Specification: \(spec)")
        }
        _ = try IndexKeyPattern.validate(key)
        try WildcardIndexRules.validateCompoundProjectionPresence(key: key, options: options)
        try HashedIndexRules.validateOptions(key: key, options: options)
        for element in options { try checkType(element) }
        if let version = options["v"] {
            options["v"] = .int32(try indexVersion(version, spec: spec, hasCollation: options["collation"] != nil))
        }
        try WildcardIndexRules.validateOptions(key: key, options: options)
        if IndexKeyPattern.isIDPattern(key) {
            for element in options where !idIndexOptions.contains(element.key) {
                throw MongoError(.invalidIndexSpecificationOption,
                                 "The field '\(element.key)' is not valid for an _id index specification. Specification: \(spec)")
            }
        } else if indexName == IndexDescription.idIndex.name {
            throw MongoError(.badValue,
                             "The index name '_id_' is reserved for the _id index, which must have key pattern {_id: 1}, found \(IndexKeyPattern.describe(key))")
        }
        guard !indexName.isEmpty else { throw MongoError(.badValue, "index name must not be empty") }
        guard indexName != "*" else { throw MongoError(.badValue, "The index name '*' is not valid.") }
        let isText = TextIndexRules.isText(key)
        for unsupported in unsupportedOptions where options[unsupported] != nil && !(isText && unsupported == "weights") {
            throw MongoError(.cannotCreateIndex,
                             "Invalid index specification \(spec); the field '\(unsupported)' is not supported for this index type")
        }
        if let collation = options["collation"]?.documentValue {
            // Stored resolved, as MongoDB lists it; the simple collation is no collation.
            options["collation"] = try Collator.make(collation).map { .document($0.spec.document) }
        }
        if let seconds = options["expireAfterSeconds"] {
            try validateExpireAfterSeconds(seconds)
            guard key.count == 1 else {
                throw MongoError(.cannotCreateIndex,
                                 "TTL indexes are single-field indexes, compound indexes do not support TTL. Index spec: \(spec)")
            }
        }
        if options["partialFilterExpression"] != nil, options["sparse"].map(isTrue) == true {
            throw MongoError(.cannotCreateIndex, "cannot mix \"partialFilterExpression\" and \"sparse\" options")
        }
        if isText {
            let (textKey, textOptions) = try TextIndexRules.fix(key: key, options: options)
            return IndexDescription(name: indexName, key: textKey, options: textOptions)
        }
        options = try GeoIndexRules.storedOptions(key: key, options: options)
        return IndexDescription(name: indexName, key: key, options: options)
    }

    /// A requested index version (`v`, already known to be a number), as MongoDB checks it:
    /// an int32 (else `BadValue`, 2), 1 or 2 (else `CannotCreateIndex`, 67), and 2 when the
    /// index has a collation (67).
    private static func indexVersion(_ value: BSONValue, spec: String, hasCollation: Bool) throws(MongoError) -> Int32 {
        guard let version = ClientNumber.exactInteger(value).flatMap(ClientNumber.int32(exactly:)) else {
            throw MongoError(.badValue, "Index version must be representable as a 32-bit integer, but got \(value.extendedJSON())")
        }
        guard version == 1 || version == 2 else {
            throw MongoError(.cannotCreateIndex, "Invalid index specification \(spec); cannot create an index with v=\(version)")
        }
        if hasCollation && version < 2 {
            throw MongoError(.cannotCreateIndex,
                             "Invalid index specification \(spec); cannot create an index with the 'collation' option and v=\(version)")
        }
        return version
    }

    /// MongoDB's type rules for the options it checks while parsing a specification.
    private static func checkType(_ element: (key: String, value: BSONValue)) throws(MongoError) {
        switch element.key {
        case "unique", "sparse", "background", "dropDups", "prepareUnique":
            guard element.value.isNumeric || element.value.boolValue != nil else {
                throw MongoError(.typeMismatch,
                                 "The field '\(element.key) has value \(element.key): \(element.value.extendedJSON()), which is not convertible to bool")
            }
        case "hidden":
            guard element.value.boolValue != nil else {
                throw MongoError(.typeMismatch, "The field 'hidden' must be a bool, but got \(element.value.type.alias)")
            }
        case "partialFilterExpression", "collation", "storageEngine":
            guard element.value.documentValue != nil else {
                throw MongoError(.typeMismatch,
                                 "The field '\(element.key)' must be an object, but got \(element.value.type.alias)")
            }
        case "v":
            guard element.value.isNumeric else {
                throw MongoError(.typeMismatch, "The field 'v' must be a number, but got \(element.value.type.alias)")
            }
        default:
            break
        }
    }

    /// MongoDB's checks of a secondary index's `expireAfterSeconds`: a number, not NaN,
    /// within 32 bits, not negative. Fractions are truncated, as MongoDB does.
    private static func validateExpireAfterSeconds(_ value: BSONValue) throws(MongoError) {
        guard value.isNumeric else {
            throw MongoError(.cannotCreateIndex,
                             "TTL index 'expireAfterSeconds' option must be numeric, but received a type of '\(value.type.alias)'")
        }
        guard let seconds = truncatedSeconds(value) else {
            throw MongoError(.cannotCreateIndex, "TTL index 'expireAfterSeconds' option must not be NaN")
        }
        guard seconds >= Int64(Int32.min), seconds <= Int64(Int32.max) else {
            throw MongoError(.cannotCreateIndex, "TTL index 'expireAfterSeconds' must be within the range of a 32-bit integer")
        }
        guard seconds >= 0 else {
            throw MongoError(.cannotCreateIndex, "TTL index 'expireAfterSeconds' option cannot be less than 0")
        }
    }

    /// A number truncated toward zero and clamped to Int64; `nil` for NaN.
    static func truncatedSeconds(_ value: BSONValue) -> Int64? {
        ClientNumber.saturatedInteger(value)
    }

    /// MongoDB's truth of a flag: `true`, or any nonzero number.
    static func isTrue(_ value: BSONValue) -> Bool {
        switch value {
        case let .bool(flag): flag
        case .int32, .int64, .double, .decimal128: BSONValue.compare(value, .int32(0)) != 0
        case .null, .undefined: false
        default: true
        }
    }
}
