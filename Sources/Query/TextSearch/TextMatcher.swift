// TextMatcher: MongoDB's TEXT_MATCH check of a fetched document (FTSMatcher): with case or
// diacritic sensitivity it needs one query term among the document's own terms (the index
// found candidates by folded terms); no negated term; every phrase and no negated phrase
// (substring search, folded unless sensitive) in one of the document's indexed strings.

import BSON
import Documents

/// Re-checks candidates of a text index scan against the parsed query.
struct TextMatcher {
    let spec: TextIndexSpec
    let query: TextQuery
    let parsed: ParsedTextSearch

    /// Whether `document` matches the query.
    ///
    /// - Throws: the language errors of the document's override field.
    func matches(_ document: BSONDocument) throws(MongoError) -> Bool {
        // Plain terms only: the index scan found exactly the documents that match.
        if !query.caseSensitive, !query.diacriticSensitive, parsed.negatedTerms.isEmpty, parsed.phrases.isEmpty,
           parsed.negatedPhrases.isEmpty {
            return true
        }
        let strings = try spec.indexedStrings(of: document)
        var tokenizers: [TextLanguage: TextTokenizer] = [:]
        func terms(_ string: TextIndexedString) -> [String] {
            let tokenizer = tokenizers[string.language] ?? TextTokenizer(language: string.language)
            tokenizers[string.language] = tokenizer
            return tokenizer.terms(string.text, options: query.matchOptions)
        }
        if query.caseSensitive || query.diacriticSensitive {
            let wanted = Set(parsed.terms)
            guard strings.contains(where: { terms($0).contains(where: wanted.contains) }) else { return false }
        }
        if !parsed.negatedTerms.isEmpty {
            let unwanted = Set(parsed.negatedTerms)
            if strings.contains(where: { terms($0).contains(where: unwanted.contains) }) { return false }
        }
        for phrase in parsed.phrases where !strings.contains(where: { contains($0, phrase: phrase) }) {
            return false
        }
        for phrase in parsed.negatedPhrases where strings.contains(where: { contains($0, phrase: phrase) }) {
            return false
        }
        return true
    }

    private func contains(_ string: TextIndexedString, phrase: String) -> Bool {
        let tokenizer = TextTokenizer(language: string.language)
        var haystack = string.text
        var needle = phrase
        if !query.caseSensitive {
            haystack = tokenizer.fold(haystack)
            needle = tokenizer.fold(needle)
        }
        if !query.diacriticSensitive {
            haystack = TextTokenizer.stripDiacritics(haystack)
            needle = TextTokenizer.stripDiacritics(needle)
        }
        if needle.isEmpty { return true }
        return Array(haystack.utf8).firstRange(of: Array(needle.utf8)) != nil
    }
}
