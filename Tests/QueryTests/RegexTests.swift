// Regular expressions through PCRE2 (issue 14): the syntax MongoDB accepts, its option letters
// and error codes, the NUL byte, the match limit on a catastrophic pattern, and $regexFind's
// captures and code-point offsets on multibyte text.

import BSON
import Documents
@testable import Query
import Testing
import TestSupport

@Suite struct RegexTests {
    /// `pattern` with `options` searched in `text` through the query path.
    private func queryMatches(_ pattern: String, _ options: String = "", _ text: String) throws -> Bool {
        try FilterRegex(pattern: pattern, options: options).matches(.string(text))
    }

    /// `expression` evaluated on an empty document.
    private func evaluate(_ expression: BSONDocument) throws -> BSONValue? {
        try Expression.parse(.document(expression)).evaluate(root: .document([:]))
    }


    static let pcreSyntax: [(pattern: String, text: String, matches: Bool)] = [
        ("(?i)tessera", "TESSERA", true),
        (#"\Qa.b*c\E"#, "xa.b*cx", true),
        (#"\Qa.b*c\E"#, "aXbbc", false),
        ("a++b", "aaab", true),
        ("a++a", "aaaa", false),
        ("(?<year>\\d{4})-(?<month>\\d{2})", "on 2024-05", true),
        (#"\p{L}+"#, "日本", true),
        (#"^\p{Lu}"#, "émile", false),
        ("(?>a+)b", "aab", true),
        (#"\d+$"#, "line 42\n", true),
        (#"^\w+$"#, "héllo", false),
        ("(?x) a b c # comment", "abc", true),
        ("a(?=b)", "ab", true),
        ("(?<!x)y", "zy", true),
    ]

    @Test(arguments: pcreSyntax)
    func acceptsPCRESyntaxMongoDBAccepts(_ example: (pattern: String, text: String, matches: Bool)) throws {
        #expect(try queryMatches(example.pattern, "", example.text) == example.matches, "\(example.pattern) on \(example.text)")
        let result = try evaluate(["$regexMatch": ["input": .string(example.text), "regex": .string(example.pattern)]])
        #expect(result == .bool(example.matches))
    }

    @Test func optionLettersChangeMatching() throws {
        #expect(try queryMatches("^abc$", "i", "ABC"))
        #expect(try !queryMatches("^abc$", "", "ABC"))
        #expect(try queryMatches("^b$", "m", "a\nb\nc"))
        #expect(try !queryMatches("^b$", "", "a\nb\nc"))
        #expect(try queryMatches("a.b", "s", "a\nb"))
        #expect(try !queryMatches("a.b", "", "a\nb"))
        #expect(try queryMatches("a b c", "x", "abc"))
        #expect(try queryMatches("é", "u", "café"))
        #expect(mongoErrorCode { _ = try FilterRegex(pattern: "a", options: "g") } == 51108)
        #expect(mongoErrorCode { _ = try evaluate(["$regexMatch": ["input": "a", "regex": "a", "options": "q"]]) } == 51108)
    }

    static let invalidPatterns = ["(", "a)", "[z-a]", "a{2,1}", "a{99999999}", "(?<n>a)(?<n>b)", #"\"#, "*a",
                                  String(repeating: "(", count: 10_000) + String(repeating: ")", count: 10_000),
                                  String(repeating: "a", count: 40_000)]

    @Test(arguments: invalidPatterns)
    func invalidPatternsAnswerMongoDBCodes(_ pattern: String) {
        #expect(mongoErrorCode { _ = try FilterRegex(pattern: pattern, options: "") } == 51091)
        #expect(mongoErrorCode { _ = try evaluate(["$regexMatch": ["input": "a", "regex": .string(pattern)]]) } == 51111)
        #expect(mongoErrorCode { _ = try evaluate(["$regexFind": ["input": "$x", "regex": .string(pattern)]]) } == 51111)
    }

    @Test func invalidPatternMessageIsPCREs() {
        do {
            _ = try FilterRegex(pattern: "(a", options: "")
            Issue.record("compiled")
        } catch {
            #expect(error.message == "Regular expression is invalid: missing closing parenthesis")
        }
    }

    @Test func nulByteIsRefused() {
        #expect(mongoErrorCode { _ = try FilterRegex(pattern: "a\u{0}b", options: "") } == MongoError(.badValue, "").code.rawValue)
        #expect(mongoErrorCode { _ = try evaluate(["$regexMatch": ["input": "a", "regex": "a\u{0}b"]]) } == 51109)
        #expect(mongoErrorCode { _ = try evaluate(["$regexMatch": ["input": "a", "regex": "a", "options": "i\u{0}"]]) } == 51110)
    }

    static let catastrophicPattern = "^(a+)+$"
    static let catastrophicText = String(repeating: "a", count: 30) + "b"

    @Test func catastrophicPatternStopsAtTheMatchLimit() throws {
        let clock = ContinuousClock()
        let start = clock.now
        // The query path counts a limited match as no match, as mongod does.
        #expect(try !queryMatches(Self.catastrophicPattern, "", Self.catastrophicText))
        // Expressions answer 51156, as mongod does.
        #expect(mongoErrorCode {
            _ = try evaluate(["$regexMatch": ["input": .string(Self.catastrophicText), "regex": .string(Self.catastrophicPattern)]])
        } == 51156)
        let compiled = try CompiledRegex(pattern: Self.catastrophicPattern, options: 0)
        #expect(throws: CompiledRegex.MatchError.self) { _ = try compiled.matches(Self.catastrophicText) }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func findReportsCodePointIndexAndNullForUnmatchedGroups() throws {
        let found = try evaluate(["$regexFind": ["input": "日本語 café x", "regex": "(caf)(é)(z)?"]])
        #expect(found == .document(["match": "café", "idx": .int32(4), "captures": ["caf", "é", .null]]))
    }

    @Test func findAllStepsPastMatchesAndEmptyMatches() throws {
        let all = try evaluate(["$regexFindAll": ["input": "éa éb", "regex": #"é(\w)"#]])
        #expect(all == .array([
            .document(["match": "éa", "idx": .int32(0), "captures": ["a"]]),
            .document(["match": "éb", "idx": .int32(3), "captures": ["b"]]),
        ]))
        let empty = try evaluate(["$regexFindAll": ["input": "日本", "regex": "x*"]])
        #expect(empty == .array([
            .document(["match": "", "idx": .int32(0), "captures": []]),
            .document(["match": "", "idx": .int32(1), "captures": []]),
        ]))
    }

    @Test func namedGroupsAreCaptures() throws {
        let found = try evaluate(["$regexFind": ["input": "on 2024-05", "regex": #"(?<year>\d{4})-(?<month>\d{2})"#]])
        #expect(found == .document(["match": "2024-05", "idx": .int32(3), "captures": ["2024", "05"]]))
    }

    @Test func constantPatternIsCompiledAtParseTime() throws {
        let parsed = try Expression.parse(.document(["$regexMatch": ["input": "$s", "regex": "^a", "options": "i"]]))
        guard case .named(.regex(_, _, _, _, let precompiled)) = parsed else {
            Issue.record("not a regex expression: \(parsed)")
            return
        }
        #expect(precompiled?.compiled != nil)
        let perDocument = try Expression.parse(.document(["$regexMatch": ["input": "$s", "regex": "$r"]]))
        guard case .named(.regex(_, _, _, _, let none)) = perDocument else {
            Issue.record("not a regex expression")
            return
        }
        #expect(none == nil)
        // An invalid constant pattern fails at parse time, before any document.
        #expect(mongoErrorCode { _ = try Expression.parse(.document(["$regexMatch": ["input": "$s", "regex": "("]])) } == 51111)
    }

    @Test func regexOptionsInBothPlacesAreRefused() {
        #expect(mongoErrorCode {
            _ = try evaluate(["$regexMatch": ["input": "a", "regex": .regex(BSONRegex(pattern: "a", options: "i")), "options": "m"]])
        } == 51107)
    }

    @Test func compiledRegexIsSharedAcrossTasks() async throws {
        let compiled = try CompiledRegex(pattern: #"(\d+)-(\d+)"#, options: 0)
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask { (try? compiled.firstMatch(in: "x \(index)-\(index * 7)", from: 0))??.groups.count == 3 }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(results)
    }
}
