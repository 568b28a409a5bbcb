// The aggregation expression families added for pipelines — variables, conditionals,
// strings, arrays, objects, conversions and dates with time zones — with expected values
// from MongoDB's documentation (ExpressionCase as in ExpressionTests).

import BSON
import Documents
@testable import Query
import Testing

@Suite struct AggregationExpressionTests {
    static let cases: [ExpressionCase] = [
        // Variables and higher-order array operators.
        ExpressionCase(#"{$let: {vars: {total: {$add: ["$price", "$tax"]}, discounted: {$cond: ["$applyDiscount", 0.9, 1]}}, in: {$multiply: ["$$total", "$$discounted"]}}}"#,
                       on: "{price: 10, tax: 0.5, applyDiscount: true}", "9.450000000000001"),
        ExpressionCase(#"{$map: {input: "$quizzes", as: "grade", in: {$add: ["$$grade", 2]}}}"#, on: "{quizzes: [5, 6, 7]}", "[7, 8, 9]"),
        ExpressionCase(#"{$map: {input: "$missing", in: "$$this"}}"#, "null"),
        ExpressionCase(#"{$filter: {input: "$items", as: "item", cond: {$gte: ["$$item.price", 100]}}}"#,
                       on: "{items: [{item_id: 43, price: 110}, {item_id: 2, price: 1}]}", "[{item_id: 43, price: 110}]"),
        ExpressionCase(#"{$filter: {input: [1, 2, 3, 4], cond: {$gt: ["$$this", 1]}, limit: 2}}"#, "[2, 3]"),
        ExpressionCase(#"{$reduce: {input: ["a", "b", "c"], initialValue: "", in: {$concat: ["$$value", "$$this"]}}}"#, #""abc""#),
        ExpressionCase(#"{$reduce: {input: [[3, 4], [5, 6]], initialValue: [1, 2], in: {$concatArrays: ["$$value", "$$this"]}}}"#, "[1, 2, 3, 4, 5, 6]"),
        ExpressionCase(#"{$switch: {branches: [{case: {$gte: ["$s", 90]}, then: "A"}, {case: {$gte: ["$s", 80]}, then: "B"}], default: "F"}}"#, on: "{s: 85}", #""B""#),
        ExpressionCase(#""$$NOW""#, on: "{}", nil).withExpectation(.datetime),
        // Strings.
        ExpressionCase(#"{$substrCP: ["Hello World!", 6, 5]}"#, #""World""#),
        ExpressionCase(#"{$substrBytes: ["abcde", 1, 2]}"#, #""bc""#),
        ExpressionCase(#"{$strLenCP: "cafétéria"}"#, "9"),
        ExpressionCase(#"{$strLenBytes: "cafétéria"}"#, "11"),
        ExpressionCase(#"{$split: ["June-15-2013", "-"]}"#, #"["June", "15", "2013"]"#),
        ExpressionCase(#"{$trim: {input: "  ggg  "}}"#, #""ggg""#),
        ExpressionCase(#"{$ltrim: {input: "xxabcxx", chars: "x"}}"#, #""abcxx""#),
        ExpressionCase(#"{$replaceAll: {input: "blue paint with blue", find: "blue", replacement: "red"}}"#, #""red paint with red""#),
        ExpressionCase(#"{$replaceOne: {input: "blue paint with blue", find: "blue", replacement: "red"}}"#, #""red paint with blue""#),
        ExpressionCase(#"{$regexMatch: {input: "Cafe", regex: "^cafe$", options: "i"}}"#, "true"),
        ExpressionCase(#"{$regexFind: {input: "order 66 and 77", regex: "(\\d+)"}}"#, #"{match: "66", idx: 6, captures: ["66"]}"#),
        ExpressionCase(#"{$strcasecmp: ["ABC", "abc"]}"#, "0"),
        ExpressionCase(#"{$indexOfCP: ["cafeteria", "e"]}"#, "3"),
        // Arrays.
        ExpressionCase(#"{$slice: [[1, 2, 3], -2]}"#, "[2, 3]"),
        ExpressionCase(#"{$slice: [[1, 2, 3, 4], 1, 2]}"#, "[2, 3]"),
        ExpressionCase(#"{$range: [0, 10, 3]}"#, "[0, 3, 6, 9]"),
        ExpressionCase(#"{$zip: {inputs: [[1, 2], ["a"]], useLongestLength: true, defaults: [0, "z"]}}"#, #"[[1, "a"], [2, "z"]]"#),
        ExpressionCase(#"{$sortArray: {input: [{a: 3}, {a: 1}], sortBy: {a: 1}}}"#, "[{a: 1}, {a: 3}]"),
        ExpressionCase(#"{$sortArray: {input: [3, 1, 2], sortBy: -1}}"#, "[3, 2, 1]"),
        ExpressionCase(#"{$in: [2, [1, 2]]}"#, "true"),
        ExpressionCase(#"{$setUnion: [[1, 2], [2, 3]]}"#, "[1, 2, 3]"),
        ExpressionCase(#"{$sum: [1, "x", 2.5]}"#, "3.5"),
        ExpressionCase(#"{$avg: "$scores"}"#, on: "{scores: [1, 2, 3, 4]}", "2.5"),
        ExpressionCase(#"{$max: "$scores"}"#, on: "{scores: [1, null, 9]}", "9"),
        // Objects.
        ExpressionCase(#"{$mergeObjects: [{a: 1}, null, {a: 2, b: 3}]}"#, "{a: 2, b: 3}"),
        ExpressionCase(#"{$objectToArray: {a: 1}}"#, #"[{k: "a", v: 1}]"#),
        ExpressionCase(#"{$arrayToObject: [[["a", 1], ["b", 2]]]}"#, "{a: 1, b: 2}"),
        ExpressionCase(#"{$getField: "a.b"}"#, on: #"{"a.b": 5}"#, "5"),
        ExpressionCase(#"{$setField: {field: "x", input: {y: 1}, value: 2}}"#, "{y: 1, x: 2}"),
        ExpressionCase(#"{$unsetField: {field: "y", input: {y: 1, z: 2}}}"#, "{z: 2}"),
        // Conversions.
        ExpressionCase(#"{$toInt: "42"}"#, "42"),
        ExpressionCase(#"{$toInt: 3.9}"#, "3"),
        ExpressionCase(#"{$toLong: true}"#, #"{$numberLong: "1"}"#),
        ExpressionCase(#"{$toDouble: "2.5"}"#, "2.5"),
        ExpressionCase(#"{$toString: 25}"#, #""25""#),
        ExpressionCase(#"{$toBool: 0}"#, "false"),
        ExpressionCase(#"{$toBool: "false"}"#, "true"),
        ExpressionCase(#"{$toDecimal: 2.5}"#, #"{$numberDecimal: "2.50000000000000"}"#),
        ExpressionCase(#"{$toObjectId: "5ab9cbfa31c2ab715d42129e"}"#, #"{$oid: "5ab9cbfa31c2ab715d42129e"}"#),
        ExpressionCase(#"{$toDate: "2018-03-03T00:00:00Z"}"#, #"{$date: "2018-03-03T00:00:00Z"}"#),
        ExpressionCase(#"{$toInt: null}"#, "null"),
        ExpressionCase(#"{$convert: {input: "abc", to: "int", onError: -1}}"#, "-1"),
        ExpressionCase(#"{$convert: {input: null, to: "int", onNull: 0}}"#, "0"),
        ExpressionCase(#"{$convert: {input: 5, to: 2}}"#, #""5""#),
        ExpressionCase(#"{$type: {$toLong: 1}}"#, #""long""#),
        // Math.
        ExpressionCase(#"{$round: [2.5, 0]}"#, "2.0"),
        ExpressionCase(#"{$round: [3.5, 0]}"#, "4.0"),
        ExpressionCase(#"{$round: [1234, -2]}"#, "1200"),
        ExpressionCase(#"{$pow: [2, 10]}"#, "1024"),
        ExpressionCase(#"{$sqrt: 25}"#, "5.0"),
        // Dates (MongoDB's $year... example document, and time zones).
        ExpressionCase(#"{$year: "$d"}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "2014"),
        ExpressionCase(#"{$dayOfYear: "$d"}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "1"),
        ExpressionCase(#"{$dayOfWeek: "$d"}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "4"),
        ExpressionCase(#"{$week: "$d"}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "0"),
        ExpressionCase(#"{$millisecond: "$d"}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "736"),
        ExpressionCase(#"{$hour: {date: "$d", timezone: "America/New_York"}}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "3"),
        ExpressionCase(#"{$hour: {date: "$d", timezone: "+05:30"}}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "13"),
        ExpressionCase(#"{$minute: {date: "$d", timezone: "+05:30"}}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, "45"),
        ExpressionCase(#"{$dayOfMonth: {date: "$d", timezone: "Pacific/Auckland"}}"#, on: #"{d: {$date: "2014-01-01T12:00:00Z"}}"#, "2"),
        ExpressionCase(#"{$isoWeek: "$d"}"#, on: #"{d: {$date: "2016-01-01T00:00:00Z"}}"#, "53"),
        ExpressionCase(#"{$isoWeekYear: "$d"}"#, on: #"{d: {$date: "2016-01-01T00:00:00Z"}}"#, #"{$numberLong: "2015"}"#),
        ExpressionCase(#"{$dateToString: {format: "%Y-%m-%d", date: "$d"}}"#, on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, #""2014-01-01""#),
        ExpressionCase(#"{$dateToString: {format: "%H:%M:%S:%L%z", date: "$d", timezone: "America/New_York"}}"#,
                       on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, #""03:15:39:736-0500""#),
        ExpressionCase(#"{$dateToString: {format: "%Z", date: "$d", timezone: "America/New_York"}}"#,
                       on: #"{d: {$date: "2014-01-01T08:15:39.736Z"}}"#, #""-300""#),
        ExpressionCase(#"{$dateToString: {date: "$missing", onNull: "none"}}"#, #""none""#),
        ExpressionCase(#"{$dateFromString: {dateString: "2017-02-08T12:10:40.787", timezone: "America/New_York"}}"#,
                       #"{$date: "2017-02-08T17:10:40.787Z"}"#),
        ExpressionCase(#"{$dateFromString: {dateString: "15-06-2018", format: "%d-%m-%Y"}}"#, #"{$date: "2018-06-15T00:00:00Z"}"#),
        ExpressionCase(#"{$dateFromString: {dateString: "nope", onError: "bad"}}"#, #""bad""#),
        ExpressionCase(#"{$dateTrunc: {date: "$d", unit: "week"}}"#, on: #"{d: {$date: "2020-05-18T14:10:30Z"}}"#, #"{$date: "2020-05-17T00:00:00Z"}"#),
        ExpressionCase(#"{$dateTrunc: {date: "$d", unit: "hour", binSize: 6}}"#, on: #"{d: {$date: "2020-05-18T14:10:30Z"}}"#, #"{$date: "2020-05-18T12:00:00Z"}"#),
        ExpressionCase(#"{$dateTrunc: {date: "$d", unit: "day", timezone: "America/New_York"}}"#, on: #"{d: {$date: "2020-05-18T02:00:00Z"}}"#, #"{$date: "2020-05-17T04:00:00Z"}"#),
        ExpressionCase(#"{$dateTrunc: {date: "$d", unit: "quarter"}}"#, on: #"{d: {$date: "2020-05-18T14:10:30Z"}}"#, #"{$date: "2020-04-01T00:00:00Z"}"#),
        ExpressionCase(#"{$dateAdd: {startDate: "$d", unit: "month", amount: 1}}"#, on: #"{d: {$date: "2021-01-31T00:00:00Z"}}"#, #"{$date: "2021-02-28T00:00:00Z"}"#),
        ExpressionCase(#"{$dateSubtract: {startDate: "$d", unit: "hour", amount: 3}}"#, on: #"{d: {$date: "2021-01-31T00:00:00Z"}}"#, #"{$date: "2021-01-30T21:00:00Z"}"#),
        ExpressionCase(#"{$dateDiff: {startDate: "$a", endDate: "$b", unit: "month"}}"#,
                       on: #"{a: {$date: "2021-01-31T00:00:00Z"}, b: {$date: "2021-02-01T00:00:00Z"}}"#, #"{$numberLong: "1"}"#),
        ExpressionCase(#"{$dateDiff: {startDate: "$a", endDate: "$b", unit: "day"}}"#,
                       on: #"{a: {$date: "2021-01-01T23:00:00Z"}, b: {$date: "2021-01-03T01:00:00Z"}}"#, #"{$numberLong: "2"}"#),
        ExpressionCase(#"{$year: "$missing"}"#, "null"),
    ]

    @Test(arguments: cases)
    func expressionEvaluatesLikeMongoDB(_ expressionCase: ExpressionCase) throws {
        let parsed = try Expression.parse(doc("{e: \(expressionCase.expression)}")["e"] ?? .null)
        let value = try parsed.evaluate(root: .document(doc(expressionCase.document)))
        if let type = expressionCase.expectedType {
            #expect(value?.type == type)
        } else {
            #expect(value == expressionCase.expected, "\(expressionCase.expression) gave \(String(describing: value))")
        }
    }

    static let errors: [ExpressionErrorCase] = [
        ExpressionErrorCase(#"{$toInt: "abc"}"#, 241, "Failed to parse number 'abc' in $convert with no onError value: Bad digit or out of range"),
        ExpressionErrorCase(#"{$toInt: {$numberLong: "9223372036854775807"}}"#, 241, "Conversion would overflow target type in $convert with no onError value: 9223372036854775807"),
        ExpressionErrorCase(#"{$toObjectId: "x"}"#, 241, "Failed to parse objectId 'x' in $convert with no onError value: Invalid string length for parsing to OID, expected 24 but found 1"),
        ExpressionErrorCase(#"{$toDate: 1}"#, 241, "Unsupported conversion from int to date in $convert with no onError value"),
        ExpressionErrorCase(#"{$switch: {branches: [{case: false, then: 1}]}}"#, 40066, "$switch could not find a matching branch for an input, and no default was specified."),
        ExpressionErrorCase(#"{$map: {input: 1, in: "$$this"}}"#, 16883, "input to $map must be an array not int"),
        ExpressionErrorCase(#"{$filter: {input: "x", cond: true}}"#, 28651, "input to $filter must be an array not string"),
        ExpressionErrorCase(#"{$reduce: {input: 1, initialValue: 0, in: 1}}"#, 40080, "$reduce requires that 'input' be an array, found: int"),
        ExpressionErrorCase(#"{$year: "x"}"#, 16006, "can't convert from BSON type string to Date"),
        ExpressionErrorCase(#"{$hour: {date: {$date: "2020-01-01T00:00:00Z"}, timezone: "Mars/Base"}}"#, 40485, #"unrecognized time zone identifier: "Mars/Base""#),
        ExpressionErrorCase(#"{$concatArrays: [[1], 2]}"#, 28664, "$concatArrays only supports arrays, not int"),
        ExpressionErrorCase(#"{$split: [1, "-"]}"#, 40085, "$split requires an expression that evaluates to a string as a first argument, found: int"),
        ExpressionErrorCase(#"{$strLenCP: 1}"#, 34471, "$strLenCP requires a string argument, found: int"),
        ExpressionErrorCase(#"{$objectToArray: 1}"#, 40390, "$objectToArray requires a document input, found: int"),
        ExpressionErrorCase(#"{$mergeObjects: [1]}"#, 40400, "$mergeObjects requires object inputs, but input 1 is of type int"),
        ExpressionErrorCase(#"{$range: [0, 1, 0]}"#, 34449, "$range requires a non-zero step value"),
        ExpressionErrorCase(#"{$sqrt: -1}"#, 28714, "$sqrt's argument must be greater than or equal to 0"),
    ]

    @Test(arguments: errors)
    func runtimeErrorCarriesMongoDBCode(_ errorCase: ExpressionErrorCase) throws {
        let parsed = try Expression.parse(doc("{e: \(errorCase.expression)}")["e"] ?? .null)
        #expect {
            _ = try parsed.evaluate(root: .document(doc(errorCase.document)))
        } throws: { error in
            guard let error = error as? MongoError else { return false }
            return error.code.rawValue == errorCase.code && error.message == errorCase.message
        }
    }

    static let parseErrors: [(String, Int32)] = [
        (#"{$frobnicate: 1}"#, 168),
        (#""$$undefinedVar""#, 17276),
        (#"{$let: {vars: {Bad: 1}, in: 1}}"#, 16867),
        (#"{$let: {vars: {}}}"#, 16877),
        (#"{$map: {in: 1}}"#, 16880),
        (#"{$filter: {input: []}}"#, 28650),
        (#"{$switch: {branches: []}}"#, 40068),
        (#"{$let: {vars: {x: 1}, in: "$$y"}}"#, 17276),
    ]

    @Test(arguments: parseErrors)
    func parseErrorCarriesMongoDBCode(_ errorCase: (String, Int32)) throws {
        #expect {
            _ = try Expression.parse(doc("{e: \(errorCase.0)}")["e"] ?? .null)
        } throws: { error in
            (error as? MongoError)?.code.rawValue == errorCase.1
        }
    }

    @Test func randDrawsADoubleInTheUnitIntervalPerEvaluation() throws {
        let parsed = try Expression.parse(doc("{e: {$rand: {}}}")["e"] ?? .null)
        var seen: Set<Double> = []
        for _ in 0..<50 {
            guard case .double(let value)? = try parsed.evaluate(root: .document(BSONDocument())) else {
                Issue.record("$rand did not give a double"); return
            }
            #expect(value >= 0 && value < 1)
            seen.insert(value)
        }
        #expect(seen.count > 40)
        let bad = try Expression.parse(doc("{e: {$rand: 5}}")["e"] ?? .null)
        #expect(throws: MongoError.self) { try bad.evaluate(root: .document(BSONDocument())) }
    }

    @Test func variablesAreScopedToTheirBody() throws {
        // $$x inside $let's body only; the same name can be rebound by an inner $let.
        let parsed = try Expression.parse(doc(#"{e: {$let: {vars: {x: 1}, in: {$let: {vars: {x: {$add: ["$$x", 1]}}, in: ["$$x", 3]}}}}}"#)["e"] ?? .null)
        #expect(try parsed.evaluate(root: .document(BSONDocument())) == doc("{v: [2, 3]}")["v"])
    }
}

extension ExpressionCase {
    /// The BSON type a case with a time-dependent value must have.
    var expectedType: BSONType? {
        expected.flatMap { value in
            if case .string(let marker) = value, marker.hasPrefix("type:") { return BSONType.datetime }
            return nil
        }
    }

    /// This case, checked by type only (for `$$NOW`).
    func withExpectation(_ type: BSONType) -> ExpressionCase {
        ExpressionCase(expression, on: document, #""type:\#(type.alias)""#)
    }
}
