// Text index pieces on their own: the tokenizer (delimiters, English apostrophes, case folding,
// diacritics, stop words), Snowball stemming through libstemmer, MongoDB's term scores, the
// keys a document gets (prefix, term, score, suffix) and the pattern/option rules (fixSpec).

import BSON
import Testing
@testable import Documents

struct TextTokenizerTests {
    @Test func wordsSplitAtUnicodeDelimiters() {
        let none = TextTokenizer(language: .none)
        #expect(none.terms("Hello, world! foo-bar  baz.qux") == ["hello", "world", "foo", "bar", "baz", "qux"])
        #expect(none.terms("a\u{2014}b\u{00A0}c \u{201C}d\u{201D}") == ["a", "b", "c", "d"])
        #expect(none.terms("  ...  ").isEmpty)
    }

    @Test func theApostropheIsPartOfEnglishWordsOnly() {
        #expect(TextTokenizer(language: .english).terms("o'clock", options: []) == ["o'clock"])
        #expect(TextTokenizer(language: .none).terms("o'clock") == ["o", "clock"])
    }

    @Test func caseAndDiacriticsFoldUnlessAsked() {
        let none = TextTokenizer(language: .none)
        #expect(none.terms("CAFÉ Ñandú") == ["cafe", "nandu"])
        #expect(none.terms("CAFÉ", options: [.caseSensitive]) == ["CAFE"])
        #expect(none.terms("CAFÉ", options: [.diacriticSensitive]) == ["café"])
        #expect(none.terms("CAFÉ", options: [.caseSensitive, .diacriticSensitive]) == ["CAFÉ"])
        #expect(TextTokenizer(language: .turkish).fold("IİI") == "ıiı")
    }

    @Test func englishDropsStopWordsAndStems() {
        let english = TextTokenizer(language: .english)
        #expect(english.terms("The cats are running to the gardens") == ["cat", "run", "garden"])
        #expect(english.terms("The cats", options: []) == ["the", "cat"])
        #expect(english.terms("won't") == [])
    }

    @Test func otherLanguagesStemWithTheirSnowballStemmer() {
        #expect(TextTokenizer(language: .french).terms("continuellement") == ["continuel"])
        #expect(TextTokenizer(language: .german).terms("Häuser") == ["haus"])
        #expect(TextTokenizer(language: .spanish).terms("corriendo") == ["corr"])
        #expect(TextTokenizer(language: .none).terms("running") == ["running"])
    }

    @Test func everyStemmedLanguageDropsItsSnowballStopWords() {
        for language in TextLanguage.allCases {
            let words = language.stopWords
            // MongoDB ships no list for Romanian, and `none` never filters.
            #expect(words.isEmpty == (language == .none || language == .romanian), "\(language)")
            let tokenizer = TextTokenizer(language: language)
            for word in words {
                #expect(tokenizer.terms(word).isEmpty, "\(language): \(word)")
                // Case folds back to the listed word (not for "ß" → "SS", nor Turkish's dotted i).
                if word.uppercased().lowercased() == word, language != .turkish {
                    #expect(tokenizer.terms(word.uppercased()).isEmpty, "\(language): \(word)")
                }
            }
        }
        #expect(TextTokenizer(language: .french).terms("le chat et un chien") == ["chat", "chien"])
        #expect(TextTokenizer(language: .german).terms("die Katzen und der Hund") == ["katz", "hund"])
        #expect(TextTokenizer(language: .none).terms("les chats") == ["les", "chats"])
    }

    @Test func languagesByNameOrCode() {
        #expect(TextLanguage(named: "English") == .english)
        #expect(TextLanguage(named: "es") == .spanish)
        #expect(TextLanguage(named: "nb") == .norwegian)
        #expect(TextLanguage(named: "RO") == .romanian)
        #expect(TextLanguage(named: "klingon") == nil)
    }
}

struct TextScoreTests {
    private func spec(_ key: BSONDocument, _ options: BSONDocument = [:]) throws -> TextIndexSpec {
        let description = try IndexSpecValidation.validate(key: key, name: nil, options: options)
        return try #require(TextIndexSpec(description))
    }

    /// MongoDB's formula written out for one string of `count` tokens where the term occurs `n` times.
    private func formula(weight: Double, n: Int, tokens: Int, whole: Bool = false) -> Double {
        let frequency = (0..<n).reduce(0.0) { sum, k in sum + 1 / Double(1 << k) }
        return weight * frequency * (0.5 * Double(n) / Double(tokens) + 0.5) * (whole ? 1.1 : 1)
    }

    @Test func scoresFollowMongoDBsFormula() throws {
        let text = try spec(["title": "text", "body": "text"], ["weights": ["title": 5], "default_language": "none"])
        let scores = try text.termScores(of: ["title": "alpha", "body": "alpha beta alpha alpha"])
        #expect(scores["alpha"] == formula(weight: 5, n: 1, tokens: 1, whole: true) + formula(weight: 1, n: 3, tokens: 4))
        #expect(scores["beta"] == formula(weight: 1, n: 1, tokens: 4))
        #expect(scores.count == 2)
    }

    @Test func weightedPathsReachThroughArraysAndSubdocuments() throws {
        let text = try spec(["a.b": "text"], ["default_language": "none"])
        let scores = try text.termScores(of: ["a": [["b": "x"], ["b": "x y"], ["c": "z"]]])
        #expect(scores["x"] == formula(weight: 1, n: 1, tokens: 1, whole: true) + formula(weight: 1, n: 1, tokens: 2))
        #expect(scores["z"] == nil)
    }

    @Test func wildcardStringsTakeTheWildcardsWeight() throws {
        let text = try spec(["$**": "text"], ["weights": ["$**": 3, "title": 5], "default_language": "none"])
        let scores = try text.termScores(of: ["title": "a b", "other": ["deep": "b c"]])
        #expect(scores["a"] == formula(weight: 5, n: 1, tokens: 2))
        #expect(scores["b"] == formula(weight: 5, n: 1, tokens: 2) + formula(weight: 3, n: 1, tokens: 2))
        #expect(scores["c"] == formula(weight: 3, n: 1, tokens: 2))
    }

    @Test func subdocumentsOverrideTheLanguage() throws {
        let text = try spec(["$**": "text"])
        let strings = try text.indexedStrings(of: ["t": "the", "sub": ["language": "fr", "u": "le"]])
        #expect(strings.map(\.language) == [.english, .french, .french])
        let error = expectMongoError(MongoError.Code(17262, "Location17262")) {
            _ = try text.indexedStrings(of: ["language": "klingon"])
        }
        #expect(error != nil)
    }

    @Test func keysHoldPrefixTermScoreAndSuffix() throws {
        let description = try IndexSpecValidation.validate(
            key: ["c": 1, "body": "text", "d": -1], name: nil, options: ["default_language": "none"])
        let generator = IndexKeyGenerator(IndexSpec(description))
        let keys = try generator.keys(for: ["c": "k", "body": "x y x", "d": 4]).keys.map(\.values)
        #expect(keys == [
            ["k", "x", .double(formula(weight: 1, n: 2, tokens: 3)), 4],
            ["k", "y", .double(formula(weight: 1, n: 1, tokens: 3)), 4],
        ])
        #expect(try generator.keys(for: ["c": "k", "d": 4]).keys.isEmpty)
        expectMongoError(MongoError.Code(16675, "Location16675")) { _ = try generator.keys(for: ["c": [1], "body": "x"]) }
    }
}

struct TextIndexRuleTests {
    @Test func theStoredSpecIsMongodsFixedSpec() throws {
        let description = try IndexSpecValidation.validate(
            key: ["a": 1, "title": "text", "body": "text"], name: nil, options: ["weights": ["title": 2.9]])
        #expect(description.name == "a_1_title_text_body_text")
        #expect(description.key == ["a": 1, "_fts": "text", "_ftsx": 1])
        #expect(description.options["weights"] == .document(["body": 1, "title": 2]))
        #expect(description.options["default_language"] == "english")
        #expect(description.options["language_override"] == "language")
        #expect(description.options["textIndexVersion"] == 3)
        // The stored form validates again unchanged (a dump's listIndexes output).
        let again = try IndexSpecValidation.validate(key: description.key, name: description.name, options: description.options)
        #expect(again.key == description.key && again.options["weights"] == description.options["weights"])
    }

    @Test func badPatternsAndOptionsAreRefused() {
        let cases: [(BSONDocument, BSONDocument)] = [
            (["a": "text", "b": 1, "c": "text"], [:]),
            (["a": "text", "b": 2], [:]),
            (["a": "text"], ["weights": ["a": 0]]),
            (["a": "text"], ["weights": ["a": 100_000]]),
            (["a": "text"], ["weights": ["a": "x"]]),
            (["a": "text"], ["weights": ["$x": 1]]),
            (["a": "text"], ["default_language": "klingon"]),
            (["a": "text"], ["language_override": "a.b"]),
            (["a": "text"], ["textIndexVersion": 1]),
        ]
        for (key, options) in cases {
            let error = expectMongoError(.cannotCreateIndex) {
                _ = try IndexSpecValidation.validate(key: key, name: nil, options: options)
            }
            #expect(error != nil, "\(key) \(options)")
        }
    }
}
