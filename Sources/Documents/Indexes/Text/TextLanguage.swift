// TextLanguage: the languages MongoDB's text indexes know (text index version 3) — names and
// ISO codes as mongod accepts them, which Snowball stemmer each uses, and each one's stop
// words. `none` tokenizes only: no stemming, no stop words.

/// A language of MongoDB's text search.
public enum TextLanguage: String, Sendable, CaseIterable {
    case none, danish, dutch, english, finnish, french, german, hungarian, italian, norwegian, portuguese,
         romanian, russian, spanish, swedish, turkish

    /// The language MongoDB uses when an index names none.
    public static let defaultLanguage = TextLanguage.english

    /// The ISO 639-1 codes mongod accepts for each language (`nb` is Norwegian Bokmål).
    private static let codes: [String: TextLanguage] = [
        "da": .danish, "nl": .dutch, "en": .english, "fi": .finnish, "fr": .french, "de": .german, "hu": .hungarian,
        "it": .italian, "nb": .norwegian, "pt": .portuguese, "ro": .romanian, "ru": .russian, "es": .spanish,
        "sv": .swedish, "tr": .turkish,
    ]

    /// The language named `name` (a name or ISO code, any case), or `nil` when mongod has none.
    public init?(named name: String) {
        let lower = name.lowercased()
        if let language = TextLanguage(rawValue: lower) ?? Self.codes[lower] {
            self = language
        } else {
            return nil
        }
    }

    /// The libstemmer algorithm name, `nil` for `none`.
    var stemmerAlgorithm: String? {
        self == .none ? nil : rawValue
    }

    /// The words the index and `$text` leave out (compared lowercased, with diacritics): the
    /// Snowball project's list of each language (TextStopWordLists.swift); none for `none` and
    /// Romanian, which MongoDB ships no list for either.
    var stopWords: Set<String> {
        switch self {
        case .none, .romanian: []
        case .english: TextStopWords.english
        case .danish: TextStopWords.danish
        case .dutch: TextStopWords.dutch
        case .finnish: TextStopWords.finnish
        case .french: TextStopWords.french
        case .german: TextStopWords.german
        case .hungarian: TextStopWords.hungarian
        case .italian: TextStopWords.italian
        case .norwegian: TextStopWords.norwegian
        case .portuguese: TextStopWords.portuguese
        case .russian: TextStopWords.russian
        case .spanish: TextStopWords.spanish
        case .swedish: TextStopWords.swedish
        case .turkish: TextStopWords.turkish
        }
    }
}

/// Stop word lists: English here (the Snowball project's full list, apostrophe forms included),
/// the other languages in TextStopWordLists.swift (generated from Snowball's lists).
enum TextStopWords {
    /// English stop words.
    static let english: Set<String> = [
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren't", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can't", "cannot", "could",
        "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "few", "for",
        "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's",
        "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm",
        "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "let's", "me", "more", "most",
        "mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "ought", "our",
        "ours", "ourselves", "out", "over", "own", "same", "shan't", "she", "she'd", "she'll", "she's", "should",
        "shouldn't", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves",
        "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those",
        "through", "to", "too", "under", "until", "up", "very", "was", "wasn't", "we", "we'd", "we'll", "we're",
        "we've", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who",
        "who's", "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd", "you'll", "you're",
        "you've", "your", "yours", "yourself", "yourselves",
    ]
}
