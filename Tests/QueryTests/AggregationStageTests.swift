// Aggregation stages run end to end on a real store, with expected results taken from the
// examples in MongoDB's documentation of each stage.

import BSON
import Documents
@testable import Query
import Testing

@Suite struct AggregationStageTests {
    static let sales = [
        #"{_id: 1, item: "abc", price: 10, quantity: 2, date: {$date: "2014-03-01T08:00:00Z"}}"#,
        #"{_id: 2, item: "jkl", price: 20, quantity: 1, date: {$date: "2014-03-01T09:00:00Z"}}"#,
        #"{_id: 3, item: "xyz", price: 5, quantity: 10, date: {$date: "2014-03-15T09:00:00Z"}}"#,
        #"{_id: 4, item: "xyz", price: 5, quantity: 20, date: {$date: "2014-04-04T11:21:39.736Z"}}"#,
        #"{_id: 5, item: "abc", price: 10, quantity: 10, date: {$date: "2014-04-04T21:23:13.331Z"}}"#,
    ]

    @Test func groupSumsAndAveragesPerKey() throws {
        try withAggregationCollection(Self.sales) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$group: {_id: "$item", total: {$sum: {$multiply: ["$price", "$quantity"]}}, avgQty: {$avg: "$quantity"}, n: {$count: {}}}},
                 {$sort: {_id: 1}}]
                """#))
            #expect(result == documents(#"""
                [{_id: "abc", total: 120, avgQty: 6.0, n: 3 - 1},
                 {_id: "jkl", total: 20, avgQty: 1.0, n: 1},
                 {_id: "xyz", total: 150, avgQty: 15.0, n: 2}]
                """#.replacingOccurrences(of: "3 - 1", with: "2")))
        }
    }

    @Test func groupByNullCountsEverything() throws {
        try withAggregationCollection(Self.sales) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$group: {_id: null, count: {$sum: 1}, maxQ: {$max: "$quantity"}, minP: {$min: "$price"}}}]"#))
            #expect(result == documents(#"[{_id: null, count: 5, maxQ: 20, minP: 5}]"#))
        }
    }

    @Test func groupKeysCompareNumbersByValue() throws {
        // 1, 1.0 and NumberLong(1) are one group, as in MongoDB.
        try withAggregationCollection([#"{_id: 1, k: 1}"#, #"{_id: 2, k: 1.0}"#, #"{_id: 3, k: {$numberLong: "1"}}"#, #"{_id: 4, k: "1"}"#]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$group: {_id: "$k", n: {$sum: 1}}}, {$sort: {n: -1}}]"#))
            #expect(result.count == 2)
            #expect(result.first?["n"] == .int32(3))
        }
    }

    @Test func accumulatorsFirstLastPushAddToSet() throws {
        try withAggregationCollection(Self.sales) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$sort: {_id: 1}}, {$group: {_id: "$item", first: {$first: "$_id"}, last: {$last: "$_id"},
                  qs: {$push: "$quantity"}, prices: {$addToSet: "$price"}, missing: {$push: "$nothing"}, firstMissing: {$first: "$nothing"}}},
                 {$match: {_id: "abc"}}]
                """#))
            #expect(result == documents(#"[{_id: "abc", first: 1, last: 5, qs: [2, 10], prices: [10], missing: [], firstMissing: null}]"#))
        }
    }

    @Test func topBottomAndNAccumulators() throws {
        // MongoDB's $topN/$bottomN/$firstN/$maxN examples on game scores.
        let scores = [
            #"{_id: 1, playerId: "PlayerA", gameId: "G1", score: 31}"#,
            #"{_id: 2, playerId: "PlayerB", gameId: "G1", score: 33}"#,
            #"{_id: 3, playerId: "PlayerC", gameId: "G1", score: 99}"#,
            #"{_id: 4, playerId: "PlayerD", gameId: "G1", score: 1}"#,
        ]
        try withAggregationCollection(scores) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$group: {_id: "$gameId",
                  top: {$top: {output: ["$playerId", "$score"], sortBy: {score: -1}}},
                  bottom: {$bottom: {output: "$playerId", sortBy: {score: -1}}},
                  top3: {$topN: {output: "$score", sortBy: {score: -1}, n: 3}},
                  bottom2: {$bottomN: {output: "$score", sortBy: {score: -1}, n: 2}},
                  first2: {$firstN: {input: "$score", n: 2}},
                  last2: {$lastN: {input: "$score", n: 2}},
                  max2: {$maxN: {input: "$score", n: 2}},
                  min2: {$minN: {input: "$score", n: 2}},
                  median: {$median: {input: "$score", method: "approximate"}},
                  p: {$percentile: {input: "$score", p: [0.5, 0.9], method: "approximate"}},
                  sd: {$stdDevPop: "$score"}}}]
                """#))
            let row = try #require(result.first)
            #expect(row["top"] == doc(#"{v: ["PlayerC", 99]}"#)["v"])
            #expect(row["bottom"] == .string("PlayerD"))
            #expect(row["top3"] == doc("{v: [99, 33, 31]}")["v"])
            #expect(row["bottom2"] == doc("{v: [31, 1]}")["v"])
            #expect(row["first2"] == doc("{v: [31, 33]}")["v"])
            #expect(row["last2"] == doc("{v: [99, 1]}")["v"])
            #expect(row["max2"] == doc("{v: [99, 33]}")["v"])
            #expect(row["min2"] == doc("{v: [1, 31]}")["v"])
            #expect(row["median"] == .double(31))
            #expect(row["p"] == doc("{v: [31.0, 99.0]}")["v"])
            if case .double(let sd)? = row["sd"] { #expect(abs(sd - 35.8050) < 0.001) } else { Issue.record("no $stdDevPop") }
        }
    }

    @Test func projectIncludesExcludesAndComputes() throws {
        try withAggregationCollection([#"{_id: 1, title: "abc123", isbn: "0001122223334", author: {last: "zzz", first: "aaa"}, copies: 5}"#]) { (c: QueryCollection) throws -> Void in
            let included = try c.aggregate(pipeline(#"[{$project: {title: 1, "author.last": 1, lastName: "$author.last", copiesSold: {$multiply: ["$copies", 2]}}}]"#))
            #expect(included == documents(#"[{_id: 1, title: "abc123", author: {last: "zzz"}, lastName: "zzz", copiesSold: 10}]"#))
            let excluded = try c.aggregate(pipeline(#"[{$project: {"author.first": 0, isbn: 0, _id: 0}}]"#))
            #expect(excluded == documents(#"[{title: "abc123", author: {last: "zzz"}, copies: 5}]"#))
            let removed = try c.aggregate(pipeline(#"[{$project: {title: 1, x: "$$REMOVE", _id: 0}}]"#))
            #expect(removed == documents(#"[{title: "abc123"}]"#))
        }
    }

    @Test func addFieldsSetAndUnset() throws {
        try withAggregationCollection([#"{_id: 1, homework: [10, 5, 10], quiz: [10, 8], specs: {doors: 4}}"#]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$addFields: {totalHomework: {$sum: "$homework"}, "specs.fuel_type": "unleaded"}},
                 {$set: {totalQuiz: {$sum: "$quiz"}}}, {$unset: ["homework", "quiz"]}]
                """#))
            #expect(result == documents(#"[{_id: 1, specs: {doors: 4, fuel_type: "unleaded"}, totalHomework: 25, totalQuiz: 18}]"#))
        }
    }

    @Test func replaceRootAndReplaceWith() throws {
        try withAggregationCollection([#"{_id: 1, name: {first: "John", last: "Backus"}}"#]) { (c: QueryCollection) throws -> Void in
            #expect(try c.aggregate(pipeline(#"[{$replaceRoot: {newRoot: "$name"}}]"#)) == documents(#"[{first: "John", last: "Backus"}]"#))
            #expect(try c.aggregate(pipeline(#"[{$replaceWith: {$mergeObjects: [{_id: "$_id"}, "$name"]}}]"#))
                    == documents(#"[{_id: 1, first: "John", last: "Backus"}]"#))
            #expect(throws: MongoError.self) { try c.aggregate(pipeline(#"[{$replaceRoot: {newRoot: "$missing"}}]"#)) }
        }
    }

    @Test func unwindWithIndexAndPreserve() throws {
        let inventory = [
            #"{_id: 1, item: "ABC", sizes: ["S", "M", "L"]}"#,
            #"{_id: 2, item: "EFG", sizes: []}"#,
            #"{_id: 3, item: "IJK", sizes: "M"}"#,
            #"{_id: 4, item: "LMN"}"#,
            #"{_id: 5, item: "XYZ", sizes: null}"#,
        ]
        try withAggregationCollection(inventory) { (c: QueryCollection) throws -> Void in
            let plain = try c.aggregate(pipeline(#"[{$unwind: "$sizes"}, {$project: {_id: 1, sizes: 1}}]"#))
            #expect(plain == documents(#"[{_id: 1, sizes: "S"}, {_id: 1, sizes: "M"}, {_id: 1, sizes: "L"}, {_id: 3, sizes: "M"}]"#))
            let preserved = try c.aggregate(pipeline(#"[{$unwind: {path: "$sizes", includeArrayIndex: "idx", preserveNullAndEmptyArrays: true}}, {$project: {item: 0}}]"#))
            #expect(preserved == documents(#"""
                [{_id: 1, sizes: "S", idx: {$numberLong: "0"}}, {_id: 1, sizes: "M", idx: {$numberLong: "1"}}, {_id: 1, sizes: "L", idx: {$numberLong: "2"}},
                 {_id: 2, idx: null}, {_id: 3, sizes: "M", idx: null}, {_id: 4, idx: null}, {_id: 5, sizes: null, idx: null}]
                """#))
        }
    }

    @Test func countSkipLimitAndSortByCount() throws {
        try withAggregationCollection(Self.sales) { (c: QueryCollection) throws -> Void in
            #expect(try c.aggregate(pipeline(#"[{$match: {price: {$gte: 10}}}, {$count: "n"}]"#)) == documents(#"[{n: 3}]"#))
            #expect(try c.aggregate(pipeline(#"[{$match: {price: 1000}}, {$count: "n"}]"#)).isEmpty)
            #expect(ids(try c.aggregate(pipeline(#"[{$sort: {quantity: -1}}, {$skip: 1}, {$limit: 2}]"#))) == [3, 5])
            #expect(try c.aggregate(pipeline(#"[{$sortByCount: "$item"}, {$limit: 1}]"#)).first?["count"] == .int32(2))
        }
    }

    @Test func bucketGroupsByBoundariesWithDefault() throws {
        let artists = [
            #"{_id: 1, year_born: 1845}"#, #"{_id: 2, year_born: 1876}"#, #"{_id: 3, year_born: 1851}"#,
            #"{_id: 4, year_born: 1900}"#, #"{_id: 5, year_born: "unknown"}"#,
        ]
        try withAggregationCollection(artists) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$bucket: {groupBy: "$year_born", boundaries: [1840, 1850, 1860, 1870, 1880], default: "Other",
                  output: {count: {$sum: 1}, ids: {$push: "$_id"}}}}]
                """#))
            #expect(result == documents(#"""
                [{_id: 1840, count: 1, ids: [1]}, {_id: 1850, count: 1, ids: [3]}, {_id: 1870, count: 1, ids: [2]},
                 {_id: "Other", count: 2, ids: [4, 5]}]
                """#))
            #expect { try c.aggregate(pipeline(#"[{$bucket: {groupBy: "$year_born", boundaries: [1840, 1850]}}]"#)) } throws: { error in
                (error as? MongoError)?.code.rawValue == 40066
            }
        }
    }

    @Test func facetRunsEachSubPipelineOnTheSameInput() throws {
        try withAggregationCollection(Self.sales) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$facet: {byItem: [{$sortByCount: "$item"}, {$sort: {count: -1, _id: 1}}], total: [{$count: "n"}]}}]
                """#))
            #expect(result == documents(#"""
                [{byItem: [{_id: "abc", count: 2}, {_id: "xyz", count: 2}, {_id: "jkl", count: 1}], total: [{n: 5}]}]
                """#))
        }
    }

    @Test func lookupEqualityAndPipelineForms() throws {
        let orders = [#"{_id: 1, item: "almonds", price: 12, quantity: 2}"#, #"{_id: 2, item: "pecans", price: 20, quantity: 1}"#, #"{_id: 3}"#]
        let inventory = [
            #"{_id: 1, sku: "almonds", description: "product 1", instock: 120}"#,
            #"{_id: 2, sku: "bread", description: "product 2", instock: 80}"#,
            #"{_id: 3, sku: "cashews", description: "product 3", instock: 60}"#,
            #"{_id: 4, sku: "pecans", description: "product 4", instock: 70}"#,
            #"{_id: 5, sku: null, description: "Incomplete"}"#,
            #"{_id: 6}"#,
        ]
        try withAggregationCollection(orders, others: ["inventory": inventory]) { (c: QueryCollection) throws -> Void in
            let joined = try c.aggregate(pipeline(#"""
                [{$lookup: {from: "inventory", localField: "item", foreignField: "sku", as: "docs"}}, {$project: {ids: "$docs._id"}}]
                """#))
            // A missing local field matches foreign documents whose field is null or missing.
            #expect(joined == documents(#"[{_id: 1, ids: [1]}, {_id: 2, ids: [4]}, {_id: 3, ids: [5, 6]}]"#))
            let piped = try c.aggregate(pipeline(#"""
                [{$match: {_id: {$lte: 2}}},
                 {$lookup: {from: "inventory", let: {want: "$quantity", name: "$item"},
                   pipeline: [{$match: {$expr: {$and: [{$eq: ["$sku", "$$name"]}, {$gte: ["$instock", {$multiply: ["$$want", 60]}]}]}}},
                              {$project: {_id: 1}}],
                   as: "stock"}}, {$project: {stock: 1}}]
                """#))
            #expect(piped == documents(#"[{_id: 1, stock: [{_id: 1}]}, {_id: 2, stock: [{_id: 4}]}]"#))
        }
    }

    @Test func unionWithAndDocuments() throws {
        try withAggregationCollection([#"{_id: 1, a: 1}"#], others: ["other": [#"{_id: 10, a: 2}"#, #"{_id: 11, a: 3}"#]]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$unionWith: {coll: "other", pipeline: [{$match: {a: {$gt: 2}}}]}}, {$project: {_id: 1}}]"#))
            #expect(ids(result) == [1, 11])
            let literal = try c.aggregate(pipeline(#"[{$documents: [{x: 1}, {x: 2}]}, {$match: {x: 2}}]"#))
            #expect(literal == documents("[{x: 2}]"))
        }
    }

    @Test func sampleReturnsDistinctDocumentsOfTheCollection() throws {
        let many = (1...300).map { "{_id: \($0), v: \($0 % 7)}" }
        try withAggregationCollection(many) { (c: QueryCollection) throws -> Void in
            let picked = try c.aggregate(pipeline("[{$sample: {size: 5}}]"))
            #expect(picked.count == 5)
            #expect(Set(ids(picked)).count == 5)
            let explain = try c.explainAggregate(pipeline("[{$sample: {size: 5}}]"), verbosity: .executionStats)
            let first = try #require(explain["stages"]?.arrayValue?.first?.documentValue)
            let examined = try #require(first["docsExamined"]?.int64Value)
            // Random seeks, not a scan of the 300 documents.
            #expect(examined < 100)
            // Later in a pipeline, $sample keeps a uniform reservoir.
            #expect(try c.aggregate(pipeline("[{$match: {v: 3}}, {$sample: {size: 100}}]")).count == 43)
        }
    }
}
