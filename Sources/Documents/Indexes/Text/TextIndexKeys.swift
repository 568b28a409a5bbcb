// TextIndexKeys: what a document gives a text index — its weighted strings (MongoDB's
// FTSElementIterator: weighted paths, or every string under `$**`, through arrays and
// subdocuments, each subdocument's language field overriding), their term scores
// (FTSSpec::scoreDocument: weight × decaying term frequency × length coefficient, +10% when
// the term is the whole field), and one key per term: prefix fields, term, score, suffix fields.

public import BSON

/// One string of a document a text index reads: its text, language and field weight.
public struct TextIndexedString: Sendable {
    /// The string as stored.
    public let text: String
    /// The language it is tokenized in (the document's or subdocument's override, else the
    /// index default).
    public let language: TextLanguage
    /// Its field's weight.
    public let weight: Double
}

extension TextIndexSpec {
    /// The strings of `document` the index reads, in document order.
    ///
    /// - Throws: MongoError 17261 for a language field that is not a string, 17262 for a
    ///   language mongod does not support.
    public func indexedStrings(of document: BSONDocument) throws(MongoError) -> [TextIndexedString] {
        var result: [TextIndexedString] = []
        let language = try language(of: document, inheriting: defaultLanguage)
        try collect(document.map { ($0.key, $0.value) }, path: nil, isArray: false, language: language, into: &result)
        return result
    }

    /// The language of a (sub)document: its override field, else `inherited`.
    func language(of document: BSONDocument, inheriting inherited: TextLanguage) throws(MongoError) -> TextLanguage {
        guard let value = document[languageOverride] else { return inherited }
        guard case let .string(name) = value else {
            throw MongoError(MongoError.Code(17261, "Location17261"),
                             "found language override field in document with non-string type")
        }
        guard let language = TextLanguage(named: name) else {
            throw MongoError(MongoError.Code(17262, "Location17262"), "language override unsupported: \(name)")
        }
        return language
    }

    private func collect(
        _ elements: [(String, BSONValue)], path: String?, isArray: Bool, language: TextLanguage,
        into result: inout [TextIndexedString]
    ) throws(MongoError) {
        for (name, value) in elements {
            let fullPath = isArray ? (path ?? name) : (path.map { "\($0).\(name)" } ?? name)
            switch value {
            case let .string(text):
                if let weight = weights[fullPath] {
                    result.append(TextIndexedString(text: text, language: language, weight: weight))
                } else if isWildcard {
                    result.append(TextIndexedString(text: text, language: language, weight: wildcardWeight))
                }
            case let .document(object):
                guard isWildcard || reachesWeighted(fullPath) else { continue }
                let inner = try self.language(of: object, inheriting: language)
                try collect(object.map { ($0.key, $0.value) }, path: fullPath, isArray: false, language: inner, into: &result)
            case let .array(items):
                guard isWildcard || reachesWeighted(fullPath) else { continue }
                try collect(items.map { ("", $0) }, path: fullPath, isArray: true, language: language, into: &result)
            default:
                continue
            }
        }
    }

    private func reachesWeighted(_ path: String) -> Bool {
        weights[path] != nil || weights.keys.contains { $0.hasPrefix(path + ".") }
    }

    /// Each term of `document` with its score (summed over the document's strings).
    ///
    /// - Throws: the language errors of ``indexedStrings(of:)``.
    public func termScores(of document: BSONDocument) throws(MongoError) -> [String: Double] {
        var scores: [String: Double] = [:]
        var tokenizers: [TextLanguage: TextTokenizer] = [:]
        for string in try indexedStrings(of: document) {
            let tokenizer = tokenizers[string.language] ?? TextTokenizer(language: string.language)
            tokenizers[string.language] = tokenizer
            Self.score(string.text, terms: tokenizer.terms(string.text), weight: string.weight, into: &scores)
        }
        return scores
    }

    /// Adds the scores of one string's `terms` (MongoDB's `_scoreStringV2`): the n-th repeat
    /// of a term adds 1/2^(n-1) to its frequency; the score is weight × frequency × (0.5 ×
    /// count / tokens + 0.5), × 1.1 when the term equals the whole string ignoring ASCII case.
    static func score(_ raw: String, terms: [String], weight: Double, into scores: inout [String: Double]) {
        guard !terms.isEmpty else { return }
        var counts: [String: (count: Double, frequency: Double, exponent: Double)] = [:]
        for term in terms {
            var data = counts[term] ?? (0, 0, 0)
            data.exponent = data.exponent == 0 ? 1 : data.exponent * 2
            data.count += 1
            data.frequency += 1 / data.exponent
            counts[term] = data
        }
        let tokens = Double(terms.count)
        for (term, data) in counts {
            let coefficient = 0.5 * data.count / tokens + 0.5
            let adjustment = raw.utf8.count == term.utf8.count && equalIgnoringASCIICase(raw, term) ? 1.1 : 1
            scores[term, default: 0] += weight * data.frequency * coefficient * adjustment
        }
    }

    private static func equalIgnoringASCIICase(_ left: String, _ right: String) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
        return left.utf8.elementsEqual(right.utf8) { lower($0) == lower($1) }
    }
}

extension IndexKeyGenerator {
    /// A text index's keys of `document`: per term, the prefix fields' values, the term, its
    /// score, the suffix fields' values. A document without terms has none (text indexes are
    /// always sparse).
    ///
    /// - Throws: MongoError 16675 when a prefix or suffix field holds an array, and the
    ///   language errors of ``TextIndexSpec/indexedStrings(of:)``.
    func textKeys(for document: BSONDocument, spec: TextIndexSpec) throws(MongoError) -> Keys {
        let prefix = try spec.prefixPaths.map { (path) throws(MongoError) in try Self.extraValue(path, in: document) }
        let suffix = try spec.suffixPaths.map { (path) throws(MongoError) in try Self.extraValue(path, in: document) }
        var result = Keys()
        for (term, score) in try spec.termScores(of: document).sorted(by: { $0.key < $1.key }) {
            let values = prefix + [.string(term), .double(score)] + suffix
            var encoded: [UInt8] = []
            for (position, value) in values.enumerated() {
                IndexEntryCodec.appendField(value, descending: fields[position].isDescending, to: &encoded)
            }
            result.keys.append(Key(values: values, encoded: encoded))
        }
        return result
    }

    private static func extraValue(_ path: String, in document: BSONDocument) throws(MongoError) -> BSONValue {
        var current = BSONValue.document(document)
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case let .document(object) = current, let next = object[String(component)] else { return .null }
            current = next
        }
        if case .array = current {
            throw MongoError(MongoError.Code(16675, "Location16675"), "cannot have a multi-key as a prefix to a text index")
        }
        return current
    }
}
