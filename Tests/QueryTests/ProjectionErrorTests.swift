// Every projection error with MongoDB's code (and, where MongoDB's text is fixed, its
// message): mixing inclusion and exclusion, path collisions, misuse of $slice, $elemMatch and
// positional $, invalid field paths, and the errors raised while applying a projection.

import BSON
import Documents
import Testing
@testable import Query

/// A projection that must fail with `code` (and `message` when given).
struct ProjectionErrorCase: CustomTestStringConvertible, Sendable {
    let name: String
    let projection: String
    let code: Int32
    var message: String? = nil
    /// When set, the projection parses and applying it to this document fails.
    var document: String? = nil
    var positionalIndex: Int? = nil
    /// Parse without a query.
    var withoutFilter = false

    var testDescription: String { name }
}

@Suite struct ProjectionErrorTests {
    static let cases: [ProjectionErrorCase] = [
        .init(name: "exclusionInInclusion", projection: #"{"a": 1, "b": 0}"#, code: 31254,
              message: "Cannot do exclusion on field b in inclusion projection"),
        .init(name: "inclusionInExclusion", projection: #"{"a": 0, "b": 1}"#, code: 31253,
              message: "Cannot do inclusion on field b in exclusion projection"),
        .init(name: "nestedIdExclusionInInclusion", projection: #"{"a": 1, "b": {"_id": 0}}"#, code: 31254,
              message: "Cannot do exclusion on field _id in inclusion projection"),
        .init(name: "documentThenItsField", projection: #"{"size": 1, "size.uom": 1}"#, code: 31249,
              message: "Path collision at size.uom remaining portion uom"),
        .init(name: "fieldThenItsDocument", projection: #"{"size.uom": 1, "size": 1}"#, code: 31250,
              message: "Path collision at size"),
        .init(name: "deepCollisionReportsTailOfPath", projection: #"{"a.b": 1, "a.b.c.d": 1}"#, code: 31249,
              message: "Path collision at a.b.c.d remaining portion b.c.d"),
        .init(name: "sliceThenFieldOfSlicedArray", projection: #"{"instock": {"$slice": 1}, "instock.warehouse": 0}"#, code: 31249,
              message: "Path collision at instock.warehouse remaining portion warehouse"),
        .init(name: "expressionInExclusion", projection: #"{"a": 0, "b": {"$literal": 1}}"#, code: 31252,
              message: "Cannot use expression other than $meta in exclusion projection"),
        .init(name: "literalInExclusion", projection: #"{"a": 0, "b": "x"}"#, code: 31310,
              message: #"Cannot use an expression b: "x" in an exclusion projection"#),
        .init(name: "exclusionAfterLiteral", projection: #"{"b": "x", "a": 0}"#, code: 31254),
        .init(name: "positionalWithSlice", projection: #"{"instock.$": {"$slice": 1}}"#, code: 31271,
              message: "positional projection cannot be used with an expression or sub object"),
        .init(name: "twoPositionals", projection: #"{"a.$": 1, "b.$": 1}"#, code: 31276,
              message: "Cannot specify more than one positional projection per query."),
        .init(name: "elemMatchAfterPositional", projection: #"{"a.$": 1, "b": {"$elemMatch": {"c": 1}}}"#, code: 31255,
              message: "Cannot specify positional operator and $elemMatch."),
        .init(name: "positionalAfterElemMatch", projection: #"{"b": {"$elemMatch": {"c": 1}}, "a.$": 1}"#, code: 31256,
              message: "Cannot specify positional operator and $elemMatch."),
        .init(name: "elemMatchOnNestedField", projection: #"{"a.b": {"$elemMatch": {"c": 1}}}"#, code: 31275,
              message: "Cannot use $elemMatch projection on a nested field."),
        .init(name: "elemMatchInSubProjection", projection: #"{"a": {"b": {"$elemMatch": {"c": 1}}}}"#, code: 31275),
        .init(name: "elemMatchNeedsObject", projection: #"{"a": {"$elemMatch": 1}}"#, code: 31274,
              message: "elemMatch: Invalid argument, object required, but got int"),
        .init(name: "positionalInMiddleOfPath", projection: #"{"instock.$.qty": 1}"#, code: 31394),
        .init(name: "positionalExclusion", projection: #"{"grades.$": 0}"#, code: 31395,
              message: "positional projection cannot be used with exclusion"),
        .init(name: "positionalLiteral", projection: #"{"grades.$": "x"}"#, code: 31308,
              message: "positional projection cannot be used with a literal"),
        .init(name: "positionalWithoutQuery", projection: #"{"grades.$": 1}"#, code: 51050,
              message: "Projections with a positional operator require a matcher", withoutFilter: true),
        .init(name: "positionalOnNothing", projection: #"{".$": 1}"#, code: 5392900, message: "Projection on field .$ is invalid"),
        .init(name: "unknownExpression", projection: #"{"a": {"$foo": 1}}"#, code: 31325, message: "Unknown expression $foo"),
        .init(name: "emptySubProjection", projection: #"{"a": {}}"#, code: 51270, message: "Invalid empty sub-projection: a"),
        .init(name: "sliceArrayOfThreeFallsBackToExpression", projection: #"{"a": {"$slice": [1, 2, 3, 4]}}"#, code: 28667),
        .init(name: "sliceOfString", projection: #"{"a": {"$slice": "x"}}"#, code: 28667,
              message: #"Invalid $slice syntax. The given syntax { $slice: "x" } did not match the find() syntax because :: Location31273: $slice only supports numbers and [skip, limit] arrays :: The given syntax did not match the expression $slice syntax. :: caused by :: Expression $slice takes at least 2 arguments, and at most 3, but 1 were passed in."#),
        .init(name: "sliceOfOneElementArray", projection: #"{"a": {"$slice": [1]}}"#, code: 28667),
        .init(name: "sliceAggregationFormInExclusion", projection: #"{"b": 0, "a": {"$slice": [1, 0]}}"#, code: 31252),
        .init(name: "emptyFieldName", projection: #"{"": 1}"#, code: 40352, message: "FieldPath cannot be constructed with empty string"),
        .init(name: "trailingDot", projection: #"{"a.": 1}"#, code: 40353, message: "FieldPath must not end with a '.'."),
        .init(name: "emptyPathComponent", projection: #"{"a..b": 1}"#, code: 15998, message: "FieldPath field names may not be empty strings."),
        .init(name: "dollarPrefixedPath", projection: #"{"$instock.warehouse": 0}"#, code: 16410,
              message: "FieldPath field names may not start with '$'. Consider using $getField or $setField."),
        .init(name: "dollarPrefixedComponent", projection: #"{"a.$b": 1}"#, code: 16410),
        .init(name: "textScoreWithoutTextSearch", projection: #"{"score": {"$meta": "textScore"}}"#, code: 40218),
        .init(name: "metaIsNotSupported", projection: #"{"score": {"$meta": "randVal"}}"#, code: 238),
        .init(name: "otherExpressionsAreNotSupported", projection: #"{"a": {"$add": [1, 2]}}"#, code: 238),
        .init(name: "unknownOperatorInsideLiteralArray", projection: #"{"a": [{"$nope": 1}]}"#, code: 168),
        .init(name: "undefinedVariable", projection: #"{"a": "$$nope"}"#, code: 17276, message: "Use of undefined variable: nope"),
        // Errors while applying.
        .init(name: "positionalWithoutMatchedIndex", projection: #"{"v.$": 1}"#, code: 51246,
              message: "positional operator '.$' couldn't find a matching element in the array",
              document: #"{"_id": 1, "v": [1, 2]}"#),
        .init(name: "positionalIndexPastProjectedArray", projection: #"{"a.b.$": 1}"#, code: 51247,
              message: "positional operator '.$' element mismatch",
              document: #"{"_id": 1, "a": [1, {"b": 2}]}"#, positionalIndex: 1),
        .init(name: "aggregationSliceOfNonArray", projection: #"{"a": {"$slice": [1, 0]}}"#, code: 28724,
              message: "First argument to $slice must be an array, but is of type: int", document: #"{"_id": 1}"#),
        .init(name: "aggregationSliceNonNumericCount", projection: #"{"a": {"$slice": ["$b", "x"]}}"#, code: 28725,
              message: "Second argument to $slice must be a numeric value, but is of type: string", document: #"{"_id": 1, "b": [1]}"#),
        .init(name: "aggregationSliceNonPositiveLength", projection: #"{"a": {"$slice": ["$b", 0, 0]}}"#, code: 28729,
              message: "Third argument to $slice must be positive: 0", document: #"{"_id": 1, "b": [1]}"#),
    ]

    @Test(arguments: cases) func fails(_ c: ProjectionErrorCase) throws {
        let filter: Filter? = c.withoutFilter ? nil : try Filter([:])
        do {
            let projection = try Projection(ejsonDocument(c.projection), filter: filter)
            guard let document = c.document else {
                Issue.record("\(c.name): parsed without error")
                return
            }
            let output = try projection.apply(to: ejsonDocument(document), positionalIndex: c.positionalIndex)
            Issue.record("\(c.name): applied without error: \(output.extendedJSON())")
        } catch {
            #expect(error.code.rawValue == c.code, "\(c.name): \(error)")
            if c.code > 1000 { #expect(error.code.name == "Location\(c.code)") }
            if let message = c.message { #expect(error.message == message, "\(c.name)") }
        }
    }

    @Test func parseErrorsHappenBeforeAnyDocument() {
        #expect(throws: MongoError.self) { try Projection(ejsonDocument(#"{"a": 1, "b": 0}"#)) }
    }
}
