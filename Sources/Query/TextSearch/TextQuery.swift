// TextQuery: a `$text` clause — found at the top level of a filter (or in its top-level
// `$and`), its arguments parsed (`$search`, `$language`, `$caseSensitive`,
// `$diacriticSensitive`) and its search string split as MongoDB's FTSQueryImpl does into
// terms, negated terms (`-word`), phrases (`"a b"`) and negated phrases (`-"a b"`).

import BSON
import Documents

/// A parsed `$text` query.
struct TextQuery {
    /// The search string as given.
    let search: String
    /// The language given by `$language` (else the index default applies).
    let languageName: String?
    /// `$caseSensitive`.
    let caseSensitive: Bool
    /// `$diacriticSensitive`.
    let diacriticSensitive: Bool

    /// Splits `filter` into its `$text` argument and the rest, or `nil` without `$text` at the
    /// top level (deeper `$text` is refused by the filter parser).
    ///
    /// - Throws: `BadValue` (2) for more than one `$text`.
    static func extract(from filter: BSONDocument) throws(MongoError) -> (text: BSONValue, rest: BSONDocument)? {
        var text: BSONValue?
        var rest = BSONDocument()
        func found(_ value: BSONValue) throws(MongoError) {
            guard text == nil else { throw MongoError(.badValue, "Too many text expressions") }
            text = value
        }
        for element in filter {
            if element.key == "$text" {
                try found(element.value)
            } else if element.key == "$and", case let .array(clauses) = element.value,
                      clauses.contains(where: { $0.documentValue?["$text"] != nil }) {
                var kept: [BSONValue] = []
                for clause in clauses {
                    if case var .document(object) = clause, let value = object.removeValue(forKey: "$text") {
                        try found(value)
                        if !object.isEmpty { kept.append(.document(object)) }
                    } else {
                        kept.append(clause)
                    }
                }
                if !kept.isEmpty { rest.append("$and", .array(kept)) }
            } else {
                rest.append(element.key, element.value)
            }
        }
        return text.map { ($0, rest) }
    }

    /// Parses a `$text` argument.
    ///
    /// - Throws: `BadValue` (2) with mongod's messages for a malformed argument.
    init(_ value: BSONValue) throws(MongoError) {
        guard case let .document(arguments) = value else { throw MongoError(.badValue, "$text expects an object") }
        var search: String?
        var language: String?
        var caseSensitive = false
        var diacriticSensitive = false
        for element in arguments {
            switch element.key {
            case "$search":
                search = try Self.string(element)
            case "$language":
                language = try Self.string(element)
            case "$caseSensitive":
                caseSensitive = try Self.flag(element)
            case "$diacriticSensitive":
                diacriticSensitive = try Self.flag(element)
            default:
                throw MongoError(.badValue, "extra fields in $text")
            }
        }
        guard let search else { throw MongoError(.badValue, "$search required") }
        self.search = search
        languageName = language
        self.caseSensitive = caseSensitive
        self.diacriticSensitive = diacriticSensitive
    }

    private static func string(_ element: BSONDocument.Element) throws(MongoError) -> String {
        guard case let .string(text) = element.value else {
            throw MongoError(.badValue, "\(element.key) requires a string value")
        }
        return text
    }

    private static func flag(_ element: BSONDocument.Element) throws(MongoError) -> Bool {
        guard case let .bool(flag) = element.value else {
            throw MongoError(.badValue, "\(element.key) requires a boolean value")
        }
        return flag
    }

    /// The language the search string is read in: `$language`, else `defaultLanguage`.
    ///
    /// - Throws: `BadValue` (2) for a language mongod does not support.
    func language(default defaultLanguage: TextLanguage) throws(MongoError) -> TextLanguage {
        guard let languageName else { return defaultLanguage }
        guard let language = TextLanguage(named: languageName) else {
            throw MongoError(.badValue, "unsupported language: \"\(languageName)\" for text index version 3")
        }
        return language
    }

    /// The tokenizer options of matching (case and diacritics as asked).
    var matchOptions: TextTokenizer.Options {
        var options: TextTokenizer.Options = []
        if caseSensitive { options.insert(.caseSensitive) }
        if diacriticSensitive { options.insert(.diacriticSensitive) }
        return options
    }
}

/// A search string split into what it asks for (MongoDB's FTSQueryImpl::parse).
struct ParsedTextSearch {
    /// Terms a document needs one of, as the query compares them (case/diacritics as asked).
    var terms: [String] = []
    /// Terms no matching document has.
    var negatedTerms: [String] = []
    /// Phrases every matching document contains.
    var phrases: [String] = []
    /// Phrases no matching document contains.
    var negatedPhrases: [String] = []
    /// The terms as the index stores them (lowercase, no diacritics): what is scanned.
    var indexTerms: [String] = []

    /// Splits `search`: `"` opens and closes a phrase; `-` after whitespace (or first) negates
    /// the next word or phrase until the next whitespace; words of a phrase are terms too
    /// (unless the phrase is negated); stop words are dropped.
    init(_ search: String, language: TextLanguage, query: TextQuery) {
        let tokenizer = TextTokenizer(language: language)
        let english = language == .english
        var inPhrase = false
        var inNegation = false
        var previousWhitespace = true
        var word: [Unicode.Scalar] = []
        var phraseStart: String.UnicodeScalarView.Index?
        let scalars = search.unicodeScalars
        var terms: [String] = []
        var negatedTerms: [String] = []
        var phrases: [String] = []
        var negatedPhrases: [String] = []
        var indexTerms: [String] = []
        var termSet: Set<String> = []
        var negatedSet: Set<String> = []
        var indexSet: Set<String> = []

        func flushWord() {
            guard !word.isEmpty else { return }
            defer { word = [] }
            if inPhrase && inNegation { return }
            let text = String(String.UnicodeScalarView(word))
            let sensitive = tokenizer.terms(text, options: query.matchOptions.union(.filterStopWords))
            if inNegation && !inPhrase {
                for term in sensitive where negatedSet.insert(term).inserted { negatedTerms.append(term) }
            } else {
                for term in sensitive where termSet.insert(term).inserted { terms.append(term) }
                for term in tokenizer.terms(text) where indexSet.insert(term).inserted { indexTerms.append(term) }
            }
        }

        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if TextTokenizer.isDelimiter(scalar, english: english) {
                flushWord()
                if scalar == "-" {
                    if !inPhrase && previousWhitespace { inNegation = true }
                } else if scalar == "\"" {
                    if inPhrase {
                        let phrase = String(scalars[(phraseStart ?? index) ..< index])
                        if inNegation { negatedPhrases.append(phrase) } else { phrases.append(phrase) }
                        inPhrase = false
                    } else {
                        inPhrase = true
                        phraseStart = scalars.index(after: index)
                    }
                }
                let whitespace = scalar.properties.isWhitespace
                if whitespace && !inPhrase { inNegation = false }
                previousWhitespace = whitespace
            } else {
                word.append(scalar)
                previousWhitespace = false
            }
            index = scalars.index(after: index)
        }
        flushWord()
        self.terms = terms
        self.negatedTerms = negatedTerms
        self.phrases = phrases
        self.negatedPhrases = negatedPhrases
        self.indexTerms = indexTerms
    }
}
