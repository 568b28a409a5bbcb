// TextIndexRules: MongoDB's rules for text index key patterns and options (FTSSpec::fixSpec):
// `{title: "text", body: "text"}` is stored as `{_fts: "text", _ftsx: 1}` with the text
// fields in `weights`, equality prefix and suffix fields kept around it; `weights`,
// `default_language`, `language_override` and `textIndexVersion` (3) are filled in. Also the
// parsed form (TextIndexSpec) key generation and `$text` read.

public import BSON

/// MongoDB's text index pattern and option rules.
public enum TextIndexRules {
    /// The key pattern value naming a text field.
    static let plugin = "text"
    /// The weight of a field the weights leave out (and of `$**`'s fields).
    static let defaultWeight = 1.0
    /// Weights must lie in (0, this).
    static let maxWordWeight = 100_000

    /// Whether a key pattern (as given or as stored) is a text index's.
    public static func isText(_ key: BSONDocument) -> Bool {
        key.contains { $0.value.stringValue == plugin }
    }

    /// Checks the layout of a text pattern: prefix fields, adjacent text fields (or the stored
    /// `_fts`/`_ftsx` pair), suffix fields; non-text fields 1 or -1; no field named `_fts`/`_ftsx`.
    ///
    /// - Throws: `CannotCreateIndex` (67) with mongod's messages.
    static func validate(_ key: BSONDocument) throws(MongoError) {
        var phase = 0  // 0: prefix, 1: text fields, 2: suffix
        var previousWasFTS = false
        for element in key {
            let isText = element.value.stringValue == plugin
            if element.key == "_fts" {
                guard isText else { throw MongoError(.cannotCreateIndex, "expecting _fts:\"text\"") }
                phase = 1
                previousWasFTS = true
                continue
            }
            if element.key == "_ftsx" {
                guard previousWasFTS else { throw MongoError(.cannotCreateIndex, "expected _ftsx after _fts") }
                guard ClientNumber.truncatedInteger(element.value) == 1 else {
                    throw MongoError(.cannotCreateIndex, "expecting _ftsx:1")
                }
                previousWasFTS = false
                phase = 2
                continue
            }
            if previousWasFTS { throw MongoError(.cannotCreateIndex, "expected _ftsx after _fts") }
            if isText {
                if phase == 2 { throw MongoError(.cannotCreateIndex, "'text' fields in index must all be adjacent") }
                phase = 1
            } else {
                if phase == 1 { phase = 2 }
                let direction = ClientNumber.truncatedInteger(element.value)
                guard direction == 1 || direction == -1 else {
                    throw MongoError(.cannotCreateIndex, "expected value 1 or -1 for non-text key in compound index")
                }
            }
        }
        if previousWasFTS { throw MongoError(.cannotCreateIndex, "expected _ftsx after _fts") }
    }

    /// The stored key pattern and options of a text index (mongod's `fixSpec`).
    ///
    /// - Throws: `CannotCreateIndex` (67) for bad weights, languages or versions, and for a
    ///   non-simple collation.
    static func fix(key: BSONDocument, options given: BSONDocument) throws(MongoError) -> (BSONDocument, BSONDocument) {
        // Terms compare as bytes: a (resolved, so non-simple) collation, given or the
        // collection's default, is refused; `{locale: "simple"}` is not stored.
        if let collation = given["collation"]?.documentValue {
            throw MongoError(.cannotCreateIndex,
                             "Index type 'text' does not support collation: \(BSONValue.document(collation).extendedJSON())")
        }
        var weights: [String: Int64] = [:]
        var fixedKey = BSONDocument()
        var addedFTS = false
        for element in key {
            if element.key == "_fts" || element.key == "_ftsx" {
                fixedKey.append(element.key, element.value)
                addedFTS = true
            } else if element.value.stringValue == plugin {
                if !addedFTS {
                    fixedKey.append("_fts", .string(plugin))
                    fixedKey.append("_ftsx", .int32(1))
                    addedFTS = true
                }
                weights[element.key] = 1
            } else {
                fixedKey.append(element.key, element.value)
            }
        }
        var options = given
        switch options["weights"] {
        case let .document(given)?:
            for element in given {
                guard element.value.isNumeric, let weight = ClientNumber.saturatedInteger(element.value) else {
                    throw MongoError(.cannotCreateIndex, "weight for text index needs numeric type")
                }
                weights[element.key] = weight
            }
        case let .string(text)? where text == "$**":
            weights["$**"] = 1
        case nil:
            break
        case .some:
            throw MongoError(.cannotCreateIndex, "text index option 'weights' must be an object")
        }
        guard !weights.isEmpty else {
            throw MongoError(.cannotCreateIndex, "text index option 'weights' must specify fields or the wildcard")
        }
        var weightsDocument = BSONDocument()
        for (path, weight) in weights.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
            guard weight > 0, weight < maxWordWeight else {
                throw MongoError(.cannotCreateIndex,
                                 "text index weight must be in the exclusive interval (0,\(maxWordWeight)) but found: \(weight)")
            }
            if path != "$**" {
                let parts = path.split(separator: ".", omittingEmptySubsequences: false)
                if path.isEmpty { throw MongoError(.cannotCreateIndex, "weight cannot be on an empty field") }
                if parts.contains(where: \.isEmpty) {
                    throw MongoError(.cannotCreateIndex, "weight cannot have empty path component")
                }
                if parts.contains(where: { $0.hasPrefix("$") }) {
                    throw MongoError(.cannotCreateIndex, "weight cannot have path component with $ prefix")
                }
            }
            weightsDocument.append(path, .int32(Int32(clamping: weight)))
        }
        options["weights"] = .document(weightsDocument)
        switch options["default_language"] {
        case nil:
            options["default_language"] = .string(TextLanguage.defaultLanguage.rawValue)
        case let .string(name)?:
            guard TextLanguage(named: name) != nil else {
                throw MongoError(.cannotCreateIndex, "default_language is not valid")
            }
        case .some:
            throw MongoError(.cannotCreateIndex, "default_language needs a string type")
        }
        switch options["language_override"] {
        case nil:
            options["language_override"] = .string("language")
        case let .string(name)?:
            guard !name.isEmpty, !name.hasPrefix("$"), !name.contains(".") else {
                throw MongoError(.cannotCreateIndex, "language_override is not valid")
            }
        case .some:
            throw MongoError(.cannotCreateIndex, "language_override must be a string")
        }
        if let version = options["textIndexVersion"] {
            guard version.isNumeric else {
                throw MongoError(.cannotCreateIndex, "text index option 'textIndexVersion' must be a number")
            }
            let number = ClientNumber.truncatedInteger(version) ?? 0
            guard number == 3 else {
                // Version 2 (the older ASCII tokenizer) is not built by Tessera.
                throw MongoError(.cannotCreateIndex, "bad textIndexVersion: \(number)")
            }
        }
        options["textIndexVersion"] = .int32(3)
        return (fixedKey, options)
    }

    /// mongod's refusal of a second text index on a collection.
    static func checkOnlyTextIndex(existing: IndexDescription, requested: IndexDescription) throws(MongoError) {
        guard isText(existing.key), isText(requested.key), existing.name != requested.name else { return }
        throw MongoError(.cannotCreateIndex,
                         "only one text index per collection allowed, found existing text index \"\(existing.name)\"")
    }
}

/// A text index's parsed specification: which fields are searched with which weight, the
/// languages, and the equality prefix / suffix fields around the term and score.
public struct TextIndexSpec: Sendable, Equatable {
    /// Weighted field paths (without `$**`).
    public let weights: [String: Double]
    /// Whether every string field is indexed (`$**`).
    public let isWildcard: Bool
    /// The weight of the strings only `$**` reaches.
    public let wildcardWeight: Double
    /// The language of documents that name none.
    public let defaultLanguage: TextLanguage
    /// The field naming a (sub)document's language.
    public let languageOverride: String
    /// Key fields before the text fields (queries need equality on them).
    public let prefixPaths: [String]
    /// Key fields after the text fields.
    public let suffixPaths: [String]

    /// The spec of a stored text index; `nil` for any other index.
    public init?(_ description: IndexDescription) {
        guard TextIndexRules.isText(description.key) else { return nil }
        var weights: [String: Double] = [:]
        var wildcard: Double?
        for element in description.options["weights"]?.documentValue ?? BSONDocument() {
            let weight = element.value.doubleValue ?? element.value.int64Value.map(Double.init) ?? TextIndexRules.defaultWeight
            if element.key == "$**" {
                wildcard = weight
            } else {
                weights[element.key] = weight
            }
        }
        self.weights = weights
        isWildcard = wildcard != nil
        wildcardWeight = wildcard ?? TextIndexRules.defaultWeight
        defaultLanguage = description.options["default_language"]?.stringValue.flatMap(TextLanguage.init(named:)) ?? .english
        languageOverride = description.options["language_override"]?.stringValue ?? "language"
        var prefix: [String] = []
        var suffix: [String] = []
        var passed = false
        for element in description.key {
            if element.key == "_fts" || element.key == "_ftsx" {
                passed = true
            } else if passed {
                suffix.append(element.key)
            } else {
                prefix.append(element.key)
            }
        }
        prefixPaths = prefix
        suffixPaths = suffix
    }
}
