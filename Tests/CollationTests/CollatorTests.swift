// Collator against ICU and MongoDB's documentation: the documented examples (case-insensitive
// strength 2, numericOrdering, French backwards, shifted punctuation, caseFirst), comparison
// keys ordering exactly as ICU's own string comparison, the resolved specification, and
// MongoDB's errors for malformed and hostile collation documents.

import BSON
import Testing
@testable import Collation

@Suite("Collator")
struct CollatorTests {
    private func collator(_ document: BSONDocument) throws -> Collator {
        try #require(try Collator.make(document))
    }

    /// Strings sorted by the collator's comparison keys (BSON order of the keys).
    private func sortedByKeys(_ words: [String], _ collator: Collator) -> [String] {
        words.sorted { BSONValue.compare(collator.comparisonKey(.string($0)), collator.comparisonKey(.string($1))) < 0 }
    }

    @Test("the simple locale is no collator; other fields are still validated")
    func simpleLocale() throws {
        #expect(try Collator.make(["locale": "simple"]) == nil)
        #expect(throws: MongoError.self) { try Collator.make(["locale": "simple", "strength": 9]) }
    }

    @Test("strength 2 ignores case but not accents; strength 1 ignores both")
    func caseInsensitive() throws {
        let secondary = try collator(["locale": "en", "strength": 2])
        #expect(secondary.compare("cafe", "CAFE") == 0)
        #expect(secondary.compare("cafe", "café") != 0)
        let primary = try collator(["locale": "en", "strength": 1])
        #expect(primary.compare("cafe", "Café") == 0)
        let tertiary = try collator(["locale": "en"])
        #expect(tertiary.compare("cafe", "CAFE") != 0)
        #expect(secondary.comparisonKey("ABC") == secondary.comparisonKey("abc"))
    }

    @Test("numericOrdering compares digit runs as numbers")
    func numericOrdering() throws {
        let numeric = try collator(["locale": "en", "numericOrdering": true])
        #expect(sortedByKeys(["10", "2", "1", "100"], numeric) == ["1", "2", "10", "100"])
        let plain = try collator(["locale": "en"])
        #expect(sortedByKeys(["10", "2", "1", "100"], plain) == ["1", "10", "100", "2"])
    }

    @Test("French backwards compares accents from the end of the word")
    func frenchBackwards() throws {
        let words = ["côté", "cote", "côte", "coté"]
        #expect(sortedByKeys(words, try collator(["locale": "fr"])) == ["cote", "coté", "côte", "côté"])
        #expect(sortedByKeys(words, try collator(["locale": "fr", "backwards": true])) == ["cote", "côte", "coté", "côté"])
        // fr_CA has backwards on by default, and the resolved spec says so.
        #expect(try collator(["locale": "fr_CA"]).spec.backwards)
    }

    @Test("alternate shifted ignores punctuation and spaces; maxVariable space only spaces")
    func shifted() throws {
        let shifted = try collator(["locale": "en", "alternate": "shifted"])
        #expect(shifted.compare("black-bird", "blackbird") == 0)
        #expect(shifted.compare("black bird", "blackbird") == 0)
        let spaces = try collator(["locale": "en", "alternate": "shifted", "maxVariable": "space"])
        #expect(spaces.compare("black bird", "blackbird") == 0)
        #expect(spaces.compare("black-bird", "blackbird") != 0)
        let nonIgnorable = try collator(["locale": "en"])
        #expect(nonIgnorable.compare("black-bird", "blackbird") != 0)
    }

    @Test("caseFirst upper sorts capitals first")
    func caseFirst() throws {
        #expect(sortedByKeys(["a", "A", "b", "B"], try collator(["locale": "en", "caseFirst": "upper"])) == ["A", "a", "B", "b"])
        #expect(sortedByKeys(["A", "a", "B", "b"], try collator(["locale": "en", "caseFirst": "lower"])) == ["a", "A", "b", "B"])
    }

    @Test("comparison keys order exactly as ICU's string comparison")
    func keysAgreeWithICU() throws {
        let words = ["", "a", "A", "á", "Á", "ab", "a b", "a-b", "ä", "æ", "z", "Z", "ß", "ss", "10", "9", "١٠", "日本",
                     "にほん", "ﬁ", "fi", "Ω", "ω", "\u{0065}\u{0301}", "\u{00e9}", "x\u{0000}y", "😀", "émile", "Emile"]
        let specs: [BSONDocument] = [
            ["locale": "en"], ["locale": "en", "strength": 1], ["locale": "en", "strength": 2],
            ["locale": "de", "strength": 4], ["locale": "fr_CA"], ["locale": "en", "strength": 5],
            ["locale": "en", "numericOrdering": true, "alternate": "shifted"], ["locale": "sv", "caseLevel": true, "strength": 1],
        ]
        for spec in specs {
            let collator = try collator(spec)
            for a in words {
                for b in words {
                    let byICU = collator.compare(a, b)
                    let byKeys = BSONValue.compare(collator.comparisonKey(.string(a)), collator.comparisonKey(.string(b)))
                    #expect(byICU.signum() == byKeys.signum(), "\(spec): \(a) vs \(b)")
                }
            }
        }
    }

    @Test("comparison keys reach strings inside documents and arrays and leave other values alone")
    func nestedKeys() throws {
        let collator = try collator(["locale": "en", "strength": 2])
        let a: BSONValue = .document(["x": "HELLO", "y": .array(["A", 1])])
        let b: BSONValue = .document(["x": "hello", "y": .array(["a", 1])])
        #expect(BSONValue.compare(collator.comparisonKey(a), collator.comparisonKey(b)) == 0)
        #expect(collator.comparisonKey(.int32(5)) == .int32(5))
        #expect(BSONValue.compare(collator.comparisonKey("b"), collator.comparisonKey(.int32(5))) > 0)
    }

    @Test("the resolved specification holds every field and ICU's version")
    func resolvedSpecification() throws {
        let spec = try collator(["locale": "en_US", "strength": 2]).spec
        #expect(spec.locale == "en_US")
        #expect(spec.strength == 2)
        #expect(spec.caseFirst == .off)
        #expect(spec.alternate == .nonIgnorable)
        #expect(spec.maxVariable == .punct)
        #expect(spec.document.keys == ["locale", "caseLevel", "caseFirst", "strength", "numericOrdering", "alternate",
                                       "maxVariable", "normalization", "backwards", "version"])
        // The resolved document opens the same collator.
        #expect(try Collator.make(spec.document)?.spec == spec)
    }

    private func code(_ document: BSONDocument) -> Int32? {
        do {
            _ = try Collator.make(document)
            return nil
        } catch {
            return error.code.rawValue
        }
    }

    @Test("malformed collation documents get MongoDB's codes")
    func malformed() {
        #expect(code([:]) == 40414)
        #expect(code(["locale": "en", "colour": 1]) == 40415)
        #expect(code(["locale": 1]) == 14)
        #expect(code(["locale": "en", "strength": "2"]) == 14)
        #expect(code(["locale": "en", "strength": 6]) == 51024)
        #expect(code(["locale": "en", "strength": -1]) == 51024)
        #expect(code(["locale": "en", "strength": 0]) == 2)
        #expect(code(["locale": "en", "strength": .double(.nan)]) == 2)
        #expect(code(["locale": "en", "strength": .double(.infinity)]) == 51024)
        #expect(code(["locale": "en", "strength": .double(2.9)]) == nil)
        #expect(code(["locale": "en", "caseLevel": 1]) == 14)
        #expect(code(["locale": "en", "caseFirst": "sideways"]) == 2)
        #expect(code(["locale": "en", "alternate": "ignorable"]) == 2)
        #expect(code(["locale": "en", "maxVariable": "all"]) == 2)
        #expect(code(["locale": "en", "backwards": .null]) == 14)
        #expect(code(["locale": "en", "version": "1.0"]) == 161)
        #expect(code(["locale": "en", "strength": 1, "backwards": true]) == 2)
        #expect(code(["locale": "en", "strength": 2, "caseFirst": "upper"]) == 2)
        #expect(code(["locale": "en", "strength": 2, "caseFirst": "upper", "caseLevel": true]) == nil)
    }

    @Test("unknown, empty, non-canonical and hostile locales are BadValue, never a crash")
    func hostileLocales() throws {
        #expect(code(["locale": ""]) == 2)
        #expect(code(["locale": "xx_NOPE"]) == 2)
        #expect(code(["locale": "en_us"]) == 2)
        #expect(code(["locale": "en\u{0000}"]) == 2)
        #expect(code(["locale": .string(String(repeating: "a", count: 1_000_000))]) == 2)
        #expect(code(["locale": .string(String(repeating: "en_", count: 60))]) == 2)
        #expect(code(["locale": "@@@@===;;;"]) == 2)
        #expect(code(["locale": "日本語"]) == 2)
        do {
            _ = try Collator.make(["locale": "en_us"])
        } catch {
            #expect(error.message.contains("Did you mean 'en_US'?"))
        }
    }

    @Test("MongoDB's supported locales open, keyword variants included")
    func supportedLocales() {
        for locale in ["en", "en_US", "fr", "fr_CA", "de", "de@collation=phonebook", "zh", "zh@collation=stroke", "zh_Hant", "ja", "ar",
                       "es@collation=search", "sv", "tr", "root"] {
            #expect(code(["locale": .string(locale)]) == nil, "\(locale)")
        }
        // Pinyin is Chinese's default: ICU reports plain "zh", so MongoDB's check names it.
        do {
            _ = try Collator.make(["locale": "zh@collation=pinyin"])
            Issue.record("zh@collation=pinyin opened")
        } catch {
            #expect(error.message.hasSuffix("Did you mean 'zh'?"))
        }
    }

    @Test("collators are cached per document, within the cache's bound")
    func cached() throws {
        let first = try collator(["locale": "en", "strength": 3])
        let second = try collator(["locale": "en", "strength": 3])
        #expect(first.icu === second.icu)
        let cache = CollatorCache(capacity: 2)
        for strength in 1...5 {
            let request = try CollationRequest(["locale": "en", "strength": .int32(Int32(strength))])
            cache[request] = try collator(["locale": "en", "strength": .int32(Int32(strength))])
        }
        #expect(cache.count == 2)
    }
}
