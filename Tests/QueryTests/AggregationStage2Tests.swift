// The later aggregation stages end to end on a real store — $bucketAuto, $graphLookup,
// $setWindowFields, $fill, $densify, $merge, $collStats, $indexStats, $redact — with expected
// values from the examples in MongoDB's documentation of each stage and its error codes.

import BSON
import Documents
@testable import Query
import Testing

/// The numbers at `field` of each document, as doubles (nil where absent or not a number).
private func numbers(_ documents: [BSONDocument], _ field: String) -> [Double?] {
    documents.map { document in
        guard let value = document[field], value.isNumeric else { return nil }
        return ExpressionArithmetic.doubleValue(value)
    }
}

private func close(_ a: [Double?], _ b: [Double?]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        switch (x, y) {
        case (nil, nil): true
        case (let x?, let y?): abs(x - y) < 1e-9 * max(1, abs(y))
        default: false
        }
    }
}

private func expectCode(_ code: Int32, _ body: () throws -> Void) {
    #expect {
        try body()
    } throws: { error in
        (error as? MongoError)?.code.rawValue == code
    }
}

private func other(_ c: QueryCollection, _ name: String) throws -> QueryCollection {
    QueryCollection(c.collection.store.collection(try Namespace(database: "db", collection: name)))
}

@Suite struct AggregationStage2Tests {
    // MARK: $bucketAuto

    static let artwork = [
        #"{_id: 1, title: "The Pillars of Society", price: {$numberDecimal: "199.99"}}"#,
        #"{_id: 2, title: "Melancholy III", price: {$numberDecimal: "280.00"}}"#,
        #"{_id: 3, title: "Dancer", price: {$numberDecimal: "76.04"}}"#,
        #"{_id: 4, title: "The Great Wave off Kanagawa", price: {$numberDecimal: "167.30"}}"#,
        #"{_id: 5, title: "The Persistence of Memory", price: {$numberDecimal: "483.00"}}"#,
        #"{_id: 6, title: "Composition VII", price: {$numberDecimal: "385.00"}}"#,
        #"{_id: 7, title: "The Scream", price: {$numberDecimal: "159.00"}}"#,
        #"{_id: 8, title: "Blue Flower", price: {$numberDecimal: "118.42"}}"#,
    ]

    @Test func bucketAutoSplitsIntoEvenBucketsWhoseMaxIsTheNextMin() throws {
        try withAggregationCollection(Self.artwork) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$bucketAuto: {groupBy: "$price", buckets: 4}}]"#))
            #expect(result == documents(#"""
                [{_id: {min: {$numberDecimal: "76.04"}, max: {$numberDecimal: "159.00"}}, count: 2},
                 {_id: {min: {$numberDecimal: "159.00"}, max: {$numberDecimal: "199.99"}}, count: 2},
                 {_id: {min: {$numberDecimal: "199.99"}, max: {$numberDecimal: "385.00"}}, count: 2},
                 {_id: {min: {$numberDecimal: "385.00"}, max: {$numberDecimal: "483.00"}}, count: 2}]
                """#))
        }
    }

    @Test func bucketAutoKeepsEqualValuesTogetherAndComputesOutput() throws {
        // Five 1s cannot be split: the first bucket takes all of them.
        let rows = [1, 1, 1, 1, 1, 2, 3, 4].enumerated().map { "{_id: \($0.offset), v: \($0.element)}" }
        try withAggregationCollection(rows) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$bucketAuto: {groupBy: "$v", buckets: 2, output: {n: {$sum: 1}, ids: {$push: "$_id"}}}}]"#))
            #expect(result == documents(#"""
                [{_id: {min: 1, max: 2}, n: 5, ids: [0, 1, 2, 3, 4]},
                 {_id: {min: 2, max: 4}, n: 3, ids: [5, 6, 7]}]
                """#))
        }
    }

    @Test func bucketAutoGranularityRoundsBoundariesToTheSeries() throws {
        // MongoDB's documentation: _id 0...99, 5 buckets, granularity R20.
        let rows = (0..<100).map { "{_id: \($0)}" }
        try withAggregationCollection(rows) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$bucketAuto: {groupBy: "$_id", buckets: 5, granularity: "R20"}}]"#))
            let mins = result.map { $0.document(atPath: "_id")?["min"].map(ExpressionArithmetic.doubleValue) }
            let maxes = result.map { $0.document(atPath: "_id")?["max"].map(ExpressionArithmetic.doubleValue) }
            #expect(mins == [0, 20, 40, 63, 90])
            #expect(maxes == [20, 40, 63, 90, 100])
            #expect(numbers(result, "count") == [20, 20, 23, 27, 10])
        }
    }

    @Test func bucketAutoPowersOfTwoAndFewerDocumentsThanBuckets() throws {
        try withAggregationCollection(["{_id: 1, v: 3}", "{_id: 2, v: 9}"]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$bucketAuto: {groupBy: "$v", buckets: 5, granularity: "POWERSOF2"}}]"#))
            let bounds = result.map { document -> [Double] in
                let id = document.document(atPath: "_id")
                return [id?["min"], id?["max"]].compactMap { $0.map(ExpressionArithmetic.doubleValue) }
            }
            #expect(bounds == [[2, 4], [4, 16]])
        }
    }

    static let bucketAutoErrors: [(String, Int32)] = [
        (#"[{$bucketAuto: 1}]"#, 40240),
        (#"[{$bucketAuto: {groupBy: "$a"}}]"#, 40246),
        (#"[{$bucketAuto: {groupBy: "a", buckets: 2}}]"#, 40239),
        (#"[{$bucketAuto: {groupBy: "$a", buckets: "2"}}]"#, 40241),
        (#"[{$bucketAuto: {groupBy: "$a", buckets: 1.5}}]"#, 40242),
        (#"[{$bucketAuto: {groupBy: "$a", buckets: 0}}]"#, 40243),
        (#"[{$bucketAuto: {groupBy: "$a", buckets: 2, output: 1}}]"#, 40244),
        (#"[{$bucketAuto: {groupBy: "$a", buckets: 2, other: 1}}]"#, 40245),
        (#"[{$bucketAuto: {groupBy: "$a", buckets: 2, granularity: 5}}]"#, 40261),
        (#"[{$bucketAuto: {groupBy: "$s", buckets: 2, granularity: "R5"}}]"#, 40258),
        (#"[{$bucketAuto: {groupBy: "$n", buckets: 2, granularity: "R5"}}]"#, 40260),
    ]

    @Test(arguments: bucketAutoErrors)
    func bucketAutoRejectsMalformedSpecs(_ errorCase: (String, Int32)) throws {
        try withAggregationCollection([#"{_id: 1, a: 1, s: "x", n: -1}"#]) { (c: QueryCollection) throws -> Void in
            expectCode(errorCase.1) { _ = try c.aggregate(pipeline(errorCase.0)) }
        }
    }

    // MARK: $graphLookup

    static let employees = [
        #"{_id: 1, name: "Dev"}"#,
        #"{_id: 2, name: "Eliot", reportsTo: "Dev"}"#,
        #"{_id: 3, name: "Ron", reportsTo: "Eliot"}"#,
        #"{_id: 4, name: "Andrew", reportsTo: "Eliot"}"#,
        #"{_id: 5, name: "Asya", reportsTo: "Ron"}"#,
        #"{_id: 6, name: "Dan", reportsTo: "Andrew"}"#,
    ]

    @Test func graphLookupFollowsTheReportingChain() throws {
        try withAggregationCollection(Self.employees, others: ["employees": Self.employees]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$graphLookup: {from: "employees", startWith: "$reportsTo", connectFromField: "reportsTo",
                                 connectToField: "name", as: "reportingHierarchy", depthField: "depth"}},
                 {$sort: {_id: 1}}]
                """#))
            func chain(_ id: Int) -> [String: Int64] {
                let hierarchy = result[id - 1]["reportingHierarchy"]?.arrayValue ?? []
                var names: [String: Int64] = [:]
                for entry in hierarchy {
                    if case .string(let name)? = entry.documentValue?["name"], case .int64(let depth)? = entry.documentValue?["depth"] {
                        names[name] = depth
                    }
                }
                return names
            }
            #expect(chain(1).isEmpty)
            #expect(chain(5) == ["Ron": 0, "Eliot": 1, "Dev": 2])
            #expect(chain(6) == ["Andrew": 0, "Eliot": 1, "Dev": 2])
        }
    }

    @Test func graphLookupStopsAtMaxDepthAndAppliesTheRestriction() throws {
        let airports = [
            #"{_id: 0, airport: "JFK", connects: ["BOS", "ORD"]}"#,
            #"{_id: 1, airport: "BOS", connects: ["JFK", "PWM"]}"#,
            #"{_id: 2, airport: "ORD", connects: ["JFK"]}"#,
            #"{_id: 3, airport: "PWM", connects: ["BOS", "LHR"]}"#,
            #"{_id: 4, airport: "LHR", connects: ["PWM"]}"#,
        ]
        try withAggregationCollection([#"{_id: 1, name: "Dev", nearestAirport: "JFK"}"#], others: ["airports": airports]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$graphLookup: {from: "airports", startWith: "$nearestAirport", connectFromField: "connects",
                                 connectToField: "airport", maxDepth: 2, depthField: "numConnections", as: "destinations"}}]
                """#))
            let reached = Set((result.first?["destinations"]?.arrayValue ?? []).compactMap { $0.documentValue?["airport"]?.stringValue })
            #expect(reached == ["JFK", "BOS", "ORD", "PWM"])
            let restricted = try c.aggregate(pipeline(#"""
                [{$graphLookup: {from: "airports", startWith: "$nearestAirport", connectFromField: "connects",
                                 connectToField: "airport", as: "destinations", restrictSearchWithMatch: {airport: {$ne: "BOS"}}}}]
                """#))
            let restrictedNames = Set((restricted.first?["destinations"]?.arrayValue ?? []).compactMap { $0.documentValue?["airport"]?.stringValue })
            #expect(restrictedNames == ["JFK", "ORD"])
        }
    }

    static let graphLookupErrors: [(String, Int32)] = [
        (#"[{$graphLookup: {from: "e", startWith: "$a", connectFromField: "a", connectToField: "b"}}]"#, 40105),
        (#"[{$graphLookup: {from: "e", startWith: "$a", connectFromField: "a", connectToField: "b", as: "x", bogus: 1}}]"#, 40104),
        (#"[{$graphLookup: {from: "e", startWith: "$a", connectFromField: "a", connectToField: "b", as: 1}}]"#, 40103),
        (#"[{$graphLookup: {from: "e", startWith: "$a", connectFromField: "a", connectToField: "b", as: "x", maxDepth: "1"}}]"#, 40100),
        (#"[{$graphLookup: {from: "e", startWith: "$a", connectFromField: "a", connectToField: "b", as: "x", maxDepth: -1}}]"#, 40101),
        (#"[{$graphLookup: {from: "e", startWith: "$a", connectFromField: "a", connectToField: "b", as: "x", maxDepth: 1.5}}]"#, 40102),
        (#"[{$graphLookup: {from: "e", startWith: "$a", connectFromField: "a", connectToField: "b", as: "x", restrictSearchWithMatch: 1}}]"#, 40185),
    ]

    @Test(arguments: graphLookupErrors)
    func graphLookupRejectsMalformedSpecs(_ errorCase: (String, Int32)) throws {
        try withAggregationCollection(["{_id: 1, a: 1}"]) { (c: QueryCollection) throws -> Void in
            expectCode(errorCase.1) { _ = try c.aggregate(pipeline(errorCase.0)) }
        }
    }

    // MARK: $setWindowFields

    static let cakeSales = [
        #"{_id: 0, type: "chocolate", orderDate: {$date: "2020-05-18T14:10:30Z"}, state: "CA", price: 13, quantity: 120}"#,
        #"{_id: 1, type: "chocolate", orderDate: {$date: "2021-03-20T11:30:05Z"}, state: "WA", price: 14, quantity: 140}"#,
        #"{_id: 2, type: "vanilla", orderDate: {$date: "2021-01-11T06:31:15Z"}, state: "CA", price: 12, quantity: 145}"#,
        #"{_id: 3, type: "vanilla", orderDate: {$date: "2020-02-08T13:13:23Z"}, state: "WA", price: 13, quantity: 104}"#,
        #"{_id: 4, type: "strawberry", orderDate: {$date: "2019-05-18T16:09:01Z"}, state: "CA", price: 41, quantity: 162}"#,
        #"{_id: 5, type: "strawberry", orderDate: {$date: "2019-01-08T06:12:03Z"}, state: "WA", price: 43, quantity: 134}"#,
    ]

    @Test func windowCumulativeSumAndMovingAverageOverDocuments() throws {
        try withAggregationCollection(Self.cakeSales) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$setWindowFields: {partitionBy: "$state", sortBy: {orderDate: 1}, output: {
                    cumulativeQuantityForState: {$sum: "$quantity", window: {documents: ["unbounded", "current"]}},
                    averageQuantity: {$avg: "$quantity", window: {documents: [-1, 0]}},
                    total: {$sum: "$quantity"}}}}]
                """#))
            #expect(result.map { $0["_id"] } == [4, 0, 2, 5, 3, 1].map { BSONValue.int32(Int32($0)) })
            #expect(numbers(result, "cumulativeQuantityForState") == [162, 282, 427, 134, 238, 378])
            #expect(close(numbers(result, "averageQuantity"), [162, 141, 132.5, 134, 119, 122]))
            #expect(numbers(result, "total") == [427, 427, 427, 378, 378, 378])
        }
    }

    @Test func windowRangeSumsOrdersWithSimilarPrices() throws {
        try withAggregationCollection(Self.cakeSales) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$setWindowFields: {partitionBy: "$state", sortBy: {price: 1}, output: {
                    quantityFromSimilarOrders: {$sum: "$quantity", window: {range: [-10, 10]}},
                    cheaper: {$push: "$price", window: {range: ["unbounded", -1]}}}}}]
                """#))
            #expect(result.map { $0["_id"] } == [2, 0, 4, 3, 1, 5].map { BSONValue.int32(Int32($0)) })
            #expect(numbers(result, "quantityFromSimilarOrders") == [265, 265, 162, 244, 244, 134])
            #expect(result.map { $0["cheaper"] } == [[], [12], [12, 13], [], [13], [13, 14]].map { BSONValue.array($0.map { .int32($0) }) })
        }
    }

    @Test func windowRangeWithTimeUnit() throws {
        let rows = (1...5).map { #"{_id: \#($0), t: {$date: "2021-01-0\#($0)T00:00:00Z"}, v: \#($0)}"# }
        try withAggregationCollection(rows) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$setWindowFields: {sortBy: {t: 1}, output: {lastTwoDays: {$sum: "$v", window: {range: [-1, "current"], unit: "day"}},
                                                              firstV: {$first: "$v", window: {range: [-2, 0], unit: "day"}},
                                                              maxAhead: {$max: "$v", window: {documents: [0, 1]}}}}}]
                """#))
            #expect(numbers(result, "lastTwoDays") == [1, 3, 5, 7, 9])
            #expect(numbers(result, "firstV") == [1, 1, 1, 2, 3])
            #expect(numbers(result, "maxAhead") == [2, 3, 4, 5, 5])
        }
    }

    @Test func windowRankDenseRankDocumentNumberAndShift() throws {
        try withAggregationCollection(Self.cakeSales + [#"{_id: 6, state: "CA", quantity: 145, price: 1}"#]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$match: {state: "CA"}},
                 {$setWindowFields: {partitionBy: "$state", sortBy: {quantity: -1}, output: {
                    rank: {$rank: {}}, dense: {$denseRank: {}}, number: {$documentNumber: {}},
                    next: {$shift: {output: "$quantity", by: 1, default: "Not available"}},
                    previous: {$shift: {output: "$_id", by: -1}}}}}]
                """#))
            // Quantities in order: 162, 145, 145, 120.
            #expect(numbers(result, "rank") == [1, 2, 2, 4])
            #expect(numbers(result, "dense") == [1, 2, 2, 3])
            #expect(numbers(result, "number") == [1, 2, 3, 4])
            #expect(result.map { $0["next"] } == [.int32(145), .int32(145), .int32(120), "Not available"])
            #expect(result.map { $0["previous"] } == [.null, .int32(4), .int32(2), .int32(6)])
        }
    }

    @Test func windowDerivativeGivesAverageSpeed() throws {
        let fleet = [
            #"{truckID: "1", timeStamp: {$date: "2020-05-18T14:10:30Z"}, miles: 1295.1}"#,
            #"{truckID: "1", timeStamp: {$date: "2020-05-18T14:11:00Z"}, miles: 1295.63}"#,
            #"{truckID: "1", timeStamp: {$date: "2020-05-18T14:11:30Z"}, miles: 1296.25}"#,
            #"{truckID: "1", timeStamp: {$date: "2020-05-18T14:12:00Z"}, miles: 1296.76}"#,
            #"{truckID: "2", timeStamp: {$date: "2020-05-18T14:10:30Z"}, miles: 10234.1}"#,
            #"{truckID: "2", timeStamp: {$date: "2020-05-18T14:11:00Z"}, miles: 10234.33}"#,
            #"{truckID: "2", timeStamp: {$date: "2020-05-18T14:11:30Z"}, miles: 10234.73}"#,
            #"{truckID: "2", timeStamp: {$date: "2020-05-18T14:12:00Z"}, miles: 10235.13}"#,
        ]
        try withAggregationCollection(fleet) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$setWindowFields: {partitionBy: "$truckID", sortBy: {timeStamp: 1}, output: {
                    truckAverageSpeed: {$derivative: {input: "$miles", unit: "hour"}, window: {range: [-30, 0], unit: "second"}}}}},
                 {$match: {truckAverageSpeed: {$gt: 50}}}]
                """#))
            #expect(result.map { $0["truckID"] } == ["1", "1", "1"])
            // MongoDB's documentation shows 63.60000000002401, 74.3999999999869 and 61.199999999998909.
            #expect(numbers(result, "truckAverageSpeed").map { $0.map { ($0 * 1e6).rounded() / 1e6 } } == [63.6, 74.4, 61.2])
        }
    }

    @Test func windowIntegralGivesKilowattHours() throws {
        let power = [
            #"{powerMeterID: "1", timeStamp: {$date: "2020-05-18T14:10:30Z"}, kilowatts: 2.95}"#,
            #"{powerMeterID: "1", timeStamp: {$date: "2020-05-18T14:11:00Z"}, kilowatts: 2.7}"#,
            #"{powerMeterID: "1", timeStamp: {$date: "2020-05-18T14:11:30Z"}, kilowatts: 2.6}"#,
            #"{powerMeterID: "1", timeStamp: {$date: "2020-05-18T14:12:00Z"}, kilowatts: 2.98}"#,
        ]
        try withAggregationCollection(power) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$setWindowFields: {partitionBy: "$powerMeterID", sortBy: {timeStamp: 1}, output: {
                    powerMeterKilowattHours: {$integral: {input: "$kilowatts", unit: "hour"}, window: {range: ["unbounded", "current"], unit: "hour"}}}}}]
                """#))
            let values = numbers(result, "powerMeterKilowattHours").map { $0.map { ($0 * 1e9).rounded() / 1e9 } }
            #expect(values == [0, 0.023541667, 0.045625, 0.068875])
        }
    }

    @Test func windowExponentialMovingAverage() throws {
        let prices = [
            #"{stock: "ABC", date: {$date: "2020-05-18T20:00:00Z"}, price: 13}"#,
            #"{stock: "ABC", date: {$date: "2020-05-19T20:00:00Z"}, price: 15.4}"#,
            #"{stock: "ABC", date: {$date: "2020-05-20T20:00:00Z"}, price: 12}"#,
            #"{stock: "ABC", date: {$date: "2020-05-21T20:00:00Z"}, price: 11.7}"#,
        ]
        try withAggregationCollection(prices) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$setWindowFields: {partitionBy: "$stock", sortBy: {date: 1}, output: {expMovingAvgForStock: {$expMovingAvg: {input: "$price", N: 2}}}}}]
                """#))
            #expect(close(numbers(result, "expMovingAvgForStock"), [13, 14.6, 12.866666666666667, 12.088888888888889]))
        }
    }

    static let windowErrors: [(String, Int32)] = [
        (#"[{$setWindowFields: {sortBy: {a: 1}}}]"#, 40414),
        (#"[{$setWindowFields: {output: {}, other: 1}}]"#, 40415),
        (#"[{$setWindowFields: {output: {r: {$rank: {}}}}}]"#, 5_371_602),
        (#"[{$setWindowFields: {sortBy: {a: 1, b: 1}, output: {r: {$rank: {}}}}}]"#, 5_371_602),
        (#"[{$setWindowFields: {sortBy: {a: 1}, output: {r: {$rank: {}, window: {documents: [0, 1]}}}}}]"#, 5_371_601),
        (#"[{$setWindowFields: {output: {s: {$bogus: "$a"}}}}]"#, 9),
        (#"[{$setWindowFields: {sortBy: {a: 1, b: 1}, output: {s: {$sum: "$a", window: {range: [0, 1]}}}}}]"#, 9),
        (#"[{$setWindowFields: {output: {s: {$sum: "$a", window: {documents: [1, 0]}}}}}]"#, 9),
        (#"[{$setWindowFields: {sortBy: {s: 1}, output: {x: {$sum: "$a", window: {range: [-1, 0]}}}}}]"#, 5_429_414),
        (#"[{$setWindowFields: {sortBy: {a: 1}, output: {x: {$sum: "$a", window: {range: [-1, 0], unit: "day"}}}}}]"#, 5_429_513),
    ]

    @Test(arguments: windowErrors)
    func setWindowFieldsRejectsMalformedSpecs(_ errorCase: (String, Int32)) throws {
        try withAggregationCollection([#"{_id: 1, a: 1, s: "x"}"#]) { (c: QueryCollection) throws -> Void in
            expectCode(errorCase.1) { _ = try c.aggregate(pipeline(errorCase.0)) }
        }
    }

    @Test func windowOverMemoryLimitFailsWith292() throws {
        let rows = (0..<200).map { "{_id: \($0), pad: \"\(String(repeating: "x", count: 200))\"}" }
        try withAggregationCollection(rows) { (c: QueryCollection) throws -> Void in
            expectCode(292) {
                _ = try c.aggregate(pipeline(#"[{$setWindowFields: {output: {n: {$count: {}}}}}]"#),
                                    options: AggregateOptions(memoryLimitBytes: 10_000))
            }
        }
    }

    // MARK: $fill

    @Test func fillWithValueLocfAndLinear() throws {
        let rows = [
            #"{_id: 1, t: 1, g: "a", price: 500, qty: 1}"#,
            #"{_id: 2, t: 2, g: "a", qty: null}"#,
            #"{_id: 3, t: 3, g: "a", price: null}"#,
            #"{_id: 4, t: 4, g: "a", price: 515}"#,
            #"{_id: 5, t: 1, g: "b"}"#,
            #"{_id: 6, t: 2, g: "b", price: 7}"#,
        ]
        try withAggregationCollection(rows) { (c: QueryCollection) throws -> Void in
            let linear = try c.aggregate(pipeline(#"""
                [{$fill: {partitionByFields: ["g"], sortBy: {t: 1}, output: {price: {method: "linear"}, qty: {value: 0}}}}]
                """#))
            #expect(linear.map { $0["_id"] } == [1, 2, 3, 4, 5, 6].map { BSONValue.int32(Int32($0)) })
            #expect(numbers(linear, "price") == [500, 505, 510, 515, nil, 7])
            #expect(linear[4]["price"] == .null)
            #expect(numbers(linear, "qty") == [1, 0, 0, 0, 0, 0])
            let locf = try c.aggregate(pipeline(#"[{$fill: {partitionBy: "$g", sortBy: {t: 1}, output: {price: {method: "locf"}}}}]"#))
            #expect(numbers(locf, "price") == [500, 500, 500, 515, nil, 7])
        }
    }

    static let fillErrors: [(String, Int32)] = [
        (#"[{$fill: {sortBy: {t: 1}}}]"#, 40414),
        (#"[{$fill: {output: {}}}]"#, 6_050_203),
        (#"[{$fill: {output: {a: 1}}}]"#, 6_050_200),
        (#"[{$fill: {output: {a: {method: "locf", value: 1}}}}]"#, 6_050_201),
        (#"[{$fill: {output: {a: {method: "nearest"}}}}]"#, 6_050_202),
        (#"[{$fill: {partitionBy: "$g", partitionByFields: ["g"], output: {a: {value: 1}}}}]"#, 6_050_204),
    ]

    @Test(arguments: fillErrors)
    func fillRejectsMalformedSpecs(_ errorCase: (String, Int32)) throws {
        try withAggregationCollection(["{_id: 1, a: 1}"]) { (c: QueryCollection) throws -> Void in
            expectCode(errorCase.1) { _ = try c.aggregate(pipeline(errorCase.0)) }
        }
    }

    // MARK: $densify

    static let coffee = [
        #"{_id: 1, altitude: 600, variety: "Arabica Typica", score: 68.3}"#,
        #"{_id: 2, altitude: 750, variety: "Arabica Typica", score: 69.5}"#,
        #"{_id: 3, altitude: 950, variety: "Arabica Typica", score: 70.5}"#,
        #"{_id: 4, altitude: 1250, variety: "Gesha", score: 88.15}"#,
        #"{_id: 5, altitude: 1700, variety: "Gesha", score: 85.5}"#,
        #"{_id: 6, altitude: 1600, variety: "Gesha", score: 88.5}"#,
    ]

    private static func altitudes(_ result: [BSONDocument], _ variety: String) -> [Double] {
        result.filter { $0["variety"] == .string(variety) }.compactMap { $0["altitude"].map(ExpressionArithmetic.doubleValue) }.sorted()
    }

    @Test func densifyFullRangeAcrossPartitions() throws {
        try withAggregationCollection(Self.coffee) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$densify: {field: "altitude", partitionByFields: ["variety"], range: {bounds: "full", step: 200}}}]"#))
            #expect(Self.altitudes(result, "Arabica Typica") == [600, 750, 800, 950, 1000, 1200, 1400, 1600])
            #expect(Self.altitudes(result, "Gesha") == [600, 800, 1000, 1200, 1250, 1400, 1600, 1700])
            #expect(result.contains(["variety": "Gesha", "altitude": .int32(800)]))
        }
    }

    @Test func densifyEachPartitionOverItsOwnRange() throws {
        try withAggregationCollection(Self.coffee) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$densify: {field: "altitude", partitionByFields: ["variety"], range: {bounds: "partition", step: 200}}}]"#))
            #expect(Self.altitudes(result, "Arabica Typica") == [600, 750, 800, 950])
            #expect(Self.altitudes(result, "Gesha") == [1250, 1450, 1600, 1650, 1700])
        }
    }

    @Test func densifyHourlyWithinExplicitDateBounds() throws {
        let weather = [
            #"{_id: 1, timestamp: {$date: "2021-05-18T00:00:00Z"}, temp: 12}"#,
            #"{_id: 2, timestamp: {$date: "2021-05-18T04:00:00Z"}, temp: 11}"#,
            #"{_id: 3, timestamp: {$date: "2021-05-18T08:00:00Z"}, temp: 11}"#,
            #"{_id: 4, timestamp: {$date: "2021-05-18T12:00:00Z"}, temp: 12}"#,
            #"{_id: 5, temp: 3}"#,
        ]
        try withAggregationCollection(weather) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$densify: {field: "timestamp", range: {step: 1, unit: "hour",
                  bounds: [{$date: "2021-05-18T00:00:00Z"}, {$date: "2021-05-18T08:00:00Z"}]}}}]
                """#))
            let hours = result.compactMap { document -> Int64? in
                guard case .datetime(let date)? = document["timestamp"] else { return nil }
                return (date.millisecondsSinceEpoch - 1_621_296_000_000) / 3_600_000
            }
            #expect(hours == [0, 1, 2, 3, 4, 5, 6, 7, 8, 12])
            #expect(result.filter { $0["temp"] == nil }.count == 6)
            #expect(result.contains(["_id": 5, "temp": 3]))
        }
    }

    static let densifyErrors: [(String, Int32)] = [
        (#"[{$densify: {range: {step: 1, bounds: "full"}}}]"#, 40414),
        (#"[{$densify: {field: "a", range: {step: -1, bounds: "full"}}}]"#, 5_733_401),
        (#"[{$densify: {field: "a", range: {step: 1, bounds: [5, 1]}}}]"#, 5_733_402),
        (#"[{$densify: {field: "a", range: {step: 1, bounds: [1]}}}]"#, 5_733_403),
        (#"[{$densify: {field: "a", range: {step: 1, bounds: 7}}}]"#, 5_733_404),
        (#"[{$densify: {field: "a", range: {step: 1, bounds: "partition"}}}]"#, 5_733_408),
        (#"[{$densify: {field: "a", range: {step: 1, unit: "hour", bounds: [1, 5]}}}]"#, 5_733_409),
        (#"[{$densify: {field: "a", range: {step: 1, bounds: [{$date: "2021-01-01T00:00:00Z"}, {$date: "2021-01-02T00:00:00Z"}]}}}]"#, 5_733_410),
        (#"[{$densify: {field: "a", range: {step: 1, bounds: "sometimes"}}}]"#, 5_946_802),
        (#"[{$densify: {field: "$a", range: {step: 1, bounds: "full"}}}]"#, 16410),
    ]

    @Test(arguments: densifyErrors)
    func densifyRejectsMalformedSpecs(_ errorCase: (String, Int32)) throws {
        try withAggregationCollection(["{_id: 1, a: 1}"]) { (c: QueryCollection) throws -> Void in
            expectCode(errorCase.1) { _ = try c.aggregate(pipeline(errorCase.0)) }
        }
    }

    // MARK: $merge

    @Test func mergeInsertsIntoANewCollectionAndReturnsNothing() throws {
        try withAggregationCollection(AggregationStageTests.sales) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$group: {_id: "$item", qty: {$sum: "$quantity"}}}, {$merge: {into: "totals"}}]"#))
            #expect(result.isEmpty)
            let totals = try other(c, "totals").find(FindQuery(sort: ["_id": 1]))
            #expect(totals == documents(#"[{_id: "abc", qty: 12}, {_id: "jkl", qty: 1}, {_id: "xyz", qty: 30}]"#))
        }
    }

    @Test func mergeWhenMatchedModes() throws {
        let target = [#"{_id: 1, a: 1, keep: true}"#, #"{_id: 2, a: 2, keep: true}"#]
        let source = [#"{_id: 1, a: 10, b: 1}"#, #"{_id: 3, a: 30}"#]
        for (mode, expected) in [
            ("\"merge\"", #"[{_id: 1, a: 10, keep: true, b: 1}, {_id: 2, a: 2, keep: true}, {_id: 3, a: 30}]"#),
            ("\"replace\"", #"[{_id: 1, a: 10, b: 1}, {_id: 2, a: 2, keep: true}, {_id: 3, a: 30}]"#),
            ("\"keepExisting\"", #"[{_id: 1, a: 1, keep: true}, {_id: 2, a: 2, keep: true}, {_id: 3, a: 30}]"#),
            (#"[{$set: {a: {$add: ["$a", "$$new.a"]}, merged: true}}]"#, #"[{_id: 1, a: 11, keep: true, merged: true}, {_id: 2, a: 2, keep: true}, {_id: 3, a: 30}]"#),
        ] {
            try withAggregationCollection(source, others: ["t": target]) { (c: QueryCollection) throws -> Void in
                _ = try c.aggregate(pipeline("[{$merge: {into: \"t\", whenMatched: \(mode)}}]"))
                #expect(try other(c, "t").find(FindQuery(sort: ["_id": 1])) == documents(expected), "whenMatched \(mode)")
            }
        }
    }

    @Test func mergeWhenNotMatchedAndFailModes() throws {
        let target = [#"{_id: 1, a: 1}"#]
        let source = [#"{_id: 1, a: 10}"#, #"{_id: 3, a: 30}"#]
        try withAggregationCollection(source, others: ["t": target]) { (c: QueryCollection) throws -> Void in
            _ = try c.aggregate(pipeline(#"[{$merge: {into: "t", whenMatched: "replace", whenNotMatched: "discard"}}]"#))
            #expect(try other(c, "t").find(FindQuery()) == documents(#"[{_id: 1, a: 10}]"#))
            expectCode(13113) { _ = try c.aggregate(pipeline(#"[{$merge: {into: "t", whenNotMatched: "fail"}}]"#)) }
            expectCode(11000) { _ = try c.aggregate(pipeline(#"[{$match: {_id: 1}}, {$merge: {into: "t", whenMatched: "fail"}}]"#)) }
        }
    }

    @Test func mergeOnOtherFieldsNeedsAUniqueIndex() throws {
        try withAggregationCollection([#"{_id: 1, sku: "a", n: 5}"#, #"{_id: 2, sku: "b", n: 6}"#, #"{_id: 3, n: 7}"#],
                                      others: ["t": [#"{_id: 10, sku: "a", n: 0}"#]]) { (c: QueryCollection) throws -> Void in
            expectCode(51183) { _ = try c.aggregate(pipeline(#"[{$project: {_id: 0}}, {$merge: {into: "t", on: "sku"}}]"#)) }
            try c.collection.store.createIndex(on: try other(c, "t").namespace, key: ["sku": 1], options: ["unique": true])
            _ = try c.aggregate(pipeline(#"[{$match: {sku: {$exists: true}}}, {$project: {_id: 0}}, {$merge: {into: "t", on: "sku"}}]"#))
            let merged = try other(c, "t").find(FindQuery(sort: ["sku": 1]))
            #expect(merged.count == 2)
            #expect(merged.first == documents(#"[{_id: 10, sku: "a", n: 5}]"#).first)
            expectCode(51132) { _ = try c.aggregate(pipeline(#"[{$project: {_id: 0}}, {$merge: {into: "t", on: "sku"}}]"#)) }
        }
    }

    static let mergeErrors: [(String, Int32)] = [
        (#"[{$merge: "t"}, {$match: {}}]"#, 40601),
        (#"[{$merge: 1}]"#, 51182),
        (#"[{$merge: {whenMatched: "merge"}}]"#, 40414),
        (#"[{$merge: {into: 1}}]"#, 51178),
        (#"[{$merge: {into: "t", on: 1}}]"#, 51186),
        (#"[{$merge: {into: "t", on: []}}]"#, 51187),
        (#"[{$merge: {into: "t", whenMatched: "sometimes"}}]"#, 2),
        (#"[{$merge: {into: "t", whenNotMatched: "sometimes"}}]"#, 2),
        (#"[{$merge: {into: "t", let: {x: 1}, whenMatched: "merge"}}]"#, 51199),
        (#"[{$merge: {into: "t", bogus: 1}}]"#, 40415),
    ]

    @Test(arguments: mergeErrors)
    func mergeRejectsMalformedSpecs(_ errorCase: (String, Int32)) throws {
        try withAggregationCollection(["{_id: 1, a: 1}"]) { (c: QueryCollection) throws -> Void in
            expectCode(errorCase.1) { _ = try c.aggregate(pipeline(errorCase.0)) }
        }
    }

    // MARK: $collStats and $indexStats

    @Test func collStatsReportsCountAndStorageStats() throws {
        try withAggregationCollection(["{_id: 1, a: 1}", "{_id: 2, a: 2}", "{_id: 3}"], indexes: [["a": 1]]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$collStats: {count: {}, storageStats: {}}}]"#))
            #expect(result.count == 1)
            #expect(result.first?["ns"] == "db.c")
            #expect(result.first?["count"] == .int64(3))
            let storage = result.first?.document(atPath: "storageStats")
            #expect(storage?["count"] == .int64(3))
            #expect(storage?["nindexes"] == .int32(2))
            #expect((storage?["size"]?.int64Value ?? 0) > 0)
            expectCode(40602) { _ = try c.aggregate(pipeline(#"[{$match: {}}, {$collStats: {count: {}}}]"#)) }
            expectCode(26) { _ = try other(c, "missing").aggregate(pipeline(#"[{$collStats: {count: {}}}]"#)) }
            expectCode(40415) { _ = try c.aggregate(pipeline(#"[{$collStats: {bogus: {}}}]"#)) }
        }
    }

    @Test func indexStatsListsEachIndex() throws {
        try withAggregationCollection(["{_id: 1, a: 1}"], indexes: [["a": 1]]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"[{$indexStats: {}}, {$sort: {name: 1}}]"#))
            #expect(result.map { $0["name"] } == ["_id_", "a_1"])
            #expect(result.last?["key"] == .document(["a": .int32(1)]))
            #expect(result.last?.document(atPath: "accesses")?["ops"] == .int64(0))
            expectCode(28803) { _ = try c.aggregate(pipeline(#"[{$indexStats: {a: 1}}]"#)) }
        }
    }

    // MARK: $redact

    @Test func redactDescendsAndPrunesByTags() throws {
        let forecast = #"""
            {_id: 1, title: "123 Department Report", tags: ["G", "STLW"], year: 2014,
             subsections: [{subtitle: "Section 1: Overview", tags: ["SI", "G"], content: "Section 1: This is the content of section 1."},
                           {subtitle: "Section 2: Analysis", tags: ["STLW"], content: "Section 2: This is the content of section 2."},
                           {subtitle: "Section 3: Budgeting", tags: ["TK"], content: {text: "Section 3: This is the content of section 3.", tags: ["HCS"]}}]}
            """#
        try withAggregationCollection([forecast]) { (c: QueryCollection) throws -> Void in
            let result = try c.aggregate(pipeline(#"""
                [{$match: {year: 2014}},
                 {$redact: {$cond: {if: {$gt: [{$size: {$setIntersection: ["$tags", ["STLW", "G"]]}}, 0]}, then: "$$DESCEND", else: "$$PRUNE"}}}]
                """#))
            #expect(result == documents(#"""
                [{_id: 1, title: "123 Department Report", tags: ["G", "STLW"], year: 2014,
                  subsections: [{subtitle: "Section 1: Overview", tags: ["SI", "G"], content: "Section 1: This is the content of section 1."},
                                {subtitle: "Section 2: Analysis", tags: ["STLW"], content: "Section 2: This is the content of section 2."}]}]
                """#))
        }
    }

    @Test func redactPrunesSensitiveLevelsAndKeeps() throws {
        let account = #"""
            {_id: 1, level: 1, acct_id: "xyz123",
             cc: {level: 5, type: "yy", num: 0, exp_date: {$date: "2015-11-01T00:00:00Z"},
                  billing_addr: {level: 5, addr1: "123 ABC Street", city: "Some City"},
                  shipping_addr: [{level: 3, addr1: "987 XYZ Ave", city: "Some City"}, {level: 3, addr1: "PO Box 0123", city: "Some City"}]},
             status: "A"}
            """#
        try withAggregationCollection([account]) { (c: QueryCollection) throws -> Void in
            let pruned = try c.aggregate(pipeline(#"[{$match: {status: "A"}}, {$redact: {$cond: {if: {$eq: ["$level", 5]}, then: "$$PRUNE", else: "$$DESCEND"}}}]"#))
            #expect(pruned == documents(#"[{_id: 1, level: 1, acct_id: "xyz123", status: "A"}]"#))
            let kept = try c.aggregate(pipeline(#"[{$redact: {$cond: {if: {$eq: ["$level", 1]}, then: "$$KEEP", else: "$$PRUNE"}}}]"#))
            #expect(kept.first?["cc"] != nil)
            expectCode(17053) { _ = try c.aggregate(pipeline(#"[{$redact: "$level"}]"#)) }
        }
    }
}
