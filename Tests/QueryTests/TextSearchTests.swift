// `$text` in the query layer on a real store: the search string's parse (terms, negated terms,
// phrases, negated phrases), the TEXT_MATCH plan and its scores against MongoDB's formula
// written out here, the refusal without a text index (27), and the ordinary planner leaving
// the text index alone.

import BSON
import Documents
import Testing
import TestSupport
@testable import Query

@Suite struct TextSearchTests {
    private func parse(_ search: String, language: TextLanguage = .none) throws -> ParsedTextSearch {
        let query = try TextQuery(.document(["$search": .string(search)]))
        return ParsedTextSearch(search, language: language, query: query)
    }

    /// One string's score of a term found `n` times among `tokens` (fts_spec.cpp's formula).
    private func formula(weight: Double, n: Int, tokens: Int) -> Double {
        let frequency = (0..<n).reduce(0.0) { sum, k in sum + 1 / Double(1 << k) }
        return weight * frequency * (0.5 * Double(n) / Double(tokens) + 0.5)
    }

    private func posts(_ engine: QueryEngine) throws -> QueryCollection {
        let posts = try engine.collection("posts", in: "text")
        try posts.collection.insert(contentsOf: [
            ["_id": 1, "title": "alpha beta", "body": "alpha gamma alpha"],
            ["_id": 2, "title": "gamma", "body": "delta"],
            ["_id": 3, "title": "epsilon", "body": "alpha-beta"],
        ])
        try engine.store.createIndex(on: posts.namespace, key: ["title": "text", "body": "text"],
                                     options: ["weights": ["title": 2], "default_language": "none"])
        return posts
    }

    @Test func theSearchStringSplitsAsMongodSplitsIt() throws {
        let parsed = try parse("alpha -beta \"gamma delta\" -\"eps zeta\" iota-kappa alpha")
        #expect(parsed.terms == ["alpha", "gamma", "delta", "iota", "kappa"])
        #expect(parsed.negatedTerms == ["beta"])
        #expect(parsed.phrases == ["gamma delta"])
        #expect(parsed.negatedPhrases == ["eps zeta"])
        let english = try parse("The Running cats", language: .english)
        #expect(english.indexTerms == ["run", "cat"])
    }

    @Test func scoresSumTheMatchedTermsOverTheWeightedFields() throws {
        try withEngine { engine in
            let posts = try posts(engine)
            let found = try posts.find(FindQuery(filter: ["$text": ["$search": "alpha gamma"]],
                                                 projection: ["score": ["$meta": "textScore"]],
                                                 sort: ["score": ["$meta": "textScore"]]))
            let first = 2 * formula(weight: 1, n: 1, tokens: 2) + formula(weight: 1, n: 2, tokens: 3) + formula(weight: 1, n: 1, tokens: 3)
            let second = 2 * formula(weight: 1, n: 1, tokens: 1) * 1.1
            let third = formula(weight: 1, n: 1, tokens: 2)
            #expect(ids(found) == [1, 2, 3])
            #expect(found.map { $0["score"]?.doubleValue } == [first, second, third])
        }
    }

    @Test func explainShowsTextMatchOverTextOr() throws {
        try withEngine { engine in
            let posts = try posts(engine)
            let explain = try posts.explain(FindQuery(filter: ["$text": ["$search": "delta"]]))
            let plan = try #require(explain.document(atPath: "queryPlanner.winningPlan"))
            #expect(plan.stageNames() == ["TEXT_MATCH", "FETCH", "TEXT_OR", "IXSCAN"])
            #expect(explain.document(atPath: "executionStats")?["nReturned"] == 1)
        }
    }

    @Test func aTextQueryNeedsATextIndexWhichOtherQueriesDoNotUse() throws {
        try withEngine { engine in
            let posts = try posts(engine)
            let plain = try posts.explain(FindQuery(filter: ["title": "gamma"]))
            #expect(plain.document(atPath: "queryPlanner.winningPlan")?.stageNames() == ["COLLSCAN"])
            let bare = try engine.collection("bare", in: "text")
            try bare.collection.insert(contentsOf: [["_id": 1, "title": "alpha"]])
            do throws(MongoError) {
                _ = try bare.find(FindQuery(filter: ["$text": ["$search": "alpha"]]))
                Issue.record("a $text query without a text index ran")
            } catch {
                #expect(error.code == .indexNotFound)
            }
        }
    }
}
