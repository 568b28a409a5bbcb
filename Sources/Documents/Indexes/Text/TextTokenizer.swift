// TextTokenizer: MongoDB's text index version 3 tokenizer (UnicodeFTSTokenizer). Words are runs
// of code points that are not delimiters (Unicode White_Space, Dash, Hyphen, Quotation_Mark,
// Terminal_Punctuation, Pattern_Syntax, Sentence_Terminal; the apostrophe is part of English
// words); each word is case-folded, dropped when a stop word, stemmed, then stripped of
// diacritics. Options keep case or diacritics for `$caseSensitive` / `$diacriticSensitive`.

internal import CICU

/// Turns text into MongoDB's text index terms for one language.
public final class TextTokenizer {
    /// What a tokenization keeps or drops.
    public struct Options: OptionSet, Sendable {
        public let rawValue: Int
        /// An option set from its bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Leave out the language's stop words.
        public static let filterStopWords = Options(rawValue: 1)
        /// Keep the words' case (after the stop word check, which is on the lowercased word).
        public static let caseSensitive = Options(rawValue: 2)
        /// Keep diacritics.
        public static let diacriticSensitive = Options(rawValue: 4)
    }

    /// The language whose stop words and stemmer apply.
    public let language: TextLanguage
    private let stemmer: TextStemmer?
    private let stopWords: Set<String>
    private let turkish: Bool

    /// A tokenizer for `language`.
    public init(language: TextLanguage) {
        self.language = language
        stemmer = TextStemmer(language)
        stopWords = language.stopWords
        turkish = language == .turkish
    }

    /// The terms of `text`, in order (repeats kept).
    public func terms(_ text: String, options: Options = [.filterStopWords]) -> [String] {
        var result: [String] = []
        for word in Self.words(text, language: language) {
            let lower = fold(word)
            if options.contains(.filterStopWords), stopWords.contains(lower) { continue }
            var term = options.contains(.caseSensitive) ? String(String.UnicodeScalarView(word)) : lower
            if let stemmer { term = stemmer.stem(term) }
            if !options.contains(.diacriticSensitive) { term = Self.stripDiacritics(term) }
            result.append(term)
        }
        return result
    }

    /// The words of `text`: maximal runs of non-delimiter code points.
    public static func words(_ text: String, language: TextLanguage) -> [[Unicode.Scalar]] {
        let english = language == .english
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars {
            if isDelimiter(scalar, english: english) {
                if !current.isEmpty { words.append(current); current = [] }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Whether `scalar` separates words (the apostrophe does not, in English).
    public static func isDelimiter(_ scalar: Unicode.Scalar, english: Bool) -> Bool {
        if scalar.value < 0x80 {
            if english && scalar == "'" { return false }
            return asciiDelimiters[Int(scalar.value)]
        }
        return tessera_text_is_delimiter(scalar.value) != 0
    }

    private static let asciiDelimiters: [Bool] = (0..<0x80).map { tessera_text_is_delimiter(UInt32($0)) != 0 }

    /// `word` case-folded (Turkish dotted and dotless i for Turkish).
    public func fold(_ word: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        for scalar in word {
            let folded = tessera_text_fold_case(scalar.value, turkish ? 1 : 0)
            view.append(Unicode.Scalar(folded) ?? scalar)
        }
        return String(view)
    }

    /// `text` case-folded (as ``fold(_:)``), for phrase matching.
    public func fold(_ text: String) -> String {
        fold(Array(text.unicodeScalars))
    }

    /// `text` without diacritics: marks dropped, precomposed letters replaced by their base.
    public static func stripDiacritics(_ text: String) -> String {
        var view = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value < 0x80 {
                view.append(scalar)
                continue
            }
            let stripped = tessera_text_strip_diacritics(scalar.value)
            guard stripped != 0 else { continue }
            view.append(Unicode.Scalar(stripped) ?? scalar)
        }
        return String(view)
    }
}
