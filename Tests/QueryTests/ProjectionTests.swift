// Projection behaviour against MongoDB's documented results: the inventory examples of
// "Project Fields to Return from Query", the $slice and positional $ pages, literals
// (4.4+), dotted paths through arrays, and the `_id` rules. Errors are in ProjectionErrorTests.

import BSON
import Documents
import Testing
@testable import Query

private let journal = #"{"_id": 1, "item": "journal", "status": "A", "size": {"h": 14, "w": 21, "uom": "cm"}, "instock": [{"warehouse": "A", "qty": 5}]}"#
private let postcard = #"{"_id": 5, "item": "postcard", "status": "A", "size": {"h": 10, "w": 15.25, "uom": "cm"}, "instock": [{"warehouse": "B", "qty": 15}, {"warehouse": "C", "qty": 35}]}"#

/// Runs one case: parse with an empty query, apply with the case's positional index.
private func check(_ c: ProjectionCase) throws {
    let projection = try Projection(ejsonDocument(c.projection), filter: Filter([:]))
    let output = try projection.apply(to: ejsonDocument(c.document), positionalIndex: c.positionalIndex)
    #expect(output == ejsonDocument(c.expected), "\(c.name): got \(output.extendedJSON())")
}

@Suite struct ProjectionInclusionExclusionTests {
    static let cases: [ProjectionCase] = [
        // "Project Fields to Return from Query" (inventory collection).
        .init(name: "includeItemAndStatus", projection: #"{"item": 1, "status": 1}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "status": "A"}"#),
        .init(name: "suppressId", projection: #"{"item": 1, "status": 1, "_id": 0}"#, document: journal,
              expected: #"{"item": "journal", "status": "A"}"#),
        .init(name: "excludeStatusAndInstock", projection: #"{"status": 0, "instock": 0}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "size": {"h": 14, "w": 21, "uom": "cm"}}"#),
        .init(name: "includeEmbeddedFieldDotted", projection: #"{"item": 1, "status": 1, "size.uom": 1}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "status": "A", "size": {"uom": "cm"}}"#),
        .init(name: "includeEmbeddedFieldNestedForm", projection: #"{"item": 1, "status": 1, "size": {"uom": 1}}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "status": "A", "size": {"uom": "cm"}}"#),
        .init(name: "excludeEmbeddedFieldDotted", projection: #"{"size.uom": 0}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "status": "A", "size": {"h": 14, "w": 21}, "instock": [{"warehouse": "A", "qty": 5}]}"#),
        .init(name: "excludeEmbeddedFieldNestedForm", projection: #"{"size": {"uom": 0}}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "status": "A", "size": {"h": 14, "w": 21}, "instock": [{"warehouse": "A", "qty": 5}]}"#),
        .init(name: "includeFieldOfArrayOfDocuments", projection: #"{"item": 1, "status": 1, "instock.qty": 1}"#, document: postcard,
              expected: #"{"_id": 5, "item": "postcard", "status": "A", "instock": [{"qty": 15}, {"qty": 35}]}"#),
        .init(name: "excludeFieldOfArrayOfDocuments", projection: #"{"instock.qty": 0, "size": 0}"#, document: postcard,
              expected: #"{"_id": 5, "item": "postcard", "status": "A", "instock": [{"warehouse": "B"}, {"warehouse": "C"}]}"#),
        .init(name: "includeWholeArray", projection: #"{"instock": 1}"#, document: postcard,
              expected: #"{"_id": 5, "instock": [{"warehouse": "B", "qty": 15}, {"warehouse": "C", "qty": 35}]}"#),
        // _id rules.
        .init(name: "emptyProjectionReturnsEverything", projection: "{}", document: journal, expected: journal),
        .init(name: "idOnly", projection: #"{"_id": 1}"#, document: journal, expected: #"{"_id": 1}"#),
        .init(name: "idExclusionAloneIsExclusion", projection: #"{"_id": 0}"#, document: journal,
              expected: #"{"item": "journal", "status": "A", "size": {"h": 14, "w": 21, "uom": "cm"}, "instock": [{"warehouse": "A", "qty": 5}]}"#),
        .init(name: "idIncludedInExclusion", projection: #"{"_id": 1, "size": 0, "instock": 0}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "status": "A"}"#),
        .init(name: "idFieldOfEmbeddedId", projection: #"{"_id.x": 1}"#, document: #"{"_id": {"x": 1, "y": 2}, "a": 1}"#,
              expected: #"{"_id": {"x": 1}}"#),
        .init(name: "idFieldExcluded", projection: #"{"_id.x": 0}"#, document: #"{"_id": {"x": 1, "y": 2}, "a": 1}"#,
              expected: #"{"_id": {"y": 2}, "a": 1}"#),
        .init(name: "noIdInDocument", projection: #"{"a": 1}"#, document: #"{"a": 1, "b": 2}"#, expected: #"{"a": 1}"#),
        // Field order is the document's.
        .init(name: "inclusionKeepsDocumentOrder", projection: #"{"a": 1, "b": 1}"#, document: #"{"_id": 1, "b": 2, "a": 1, "c": 3}"#,
              expected: #"{"_id": 1, "b": 2, "a": 1}"#),
        .init(name: "idKeepsItsPlaceInDocument", projection: #"{"a": 1}"#, document: #"{"a": 1, "_id": 3, "b": 2}"#,
              expected: #"{"a": 1, "_id": 3}"#),
        .init(name: "embeddedFieldsKeepDocumentOrder", projection: #"{"a.c": 1, "a.b": 1}"#, document: #"{"_id": 1, "a": {"b": 1, "c": 2, "d": 3}}"#,
              expected: #"{"_id": 1, "a": {"b": 1, "c": 2}}"#),
        .init(name: "nestedAndDottedFormsCombine", projection: #"{"a": {"b": 1}, "a.c": 1}"#, document: #"{"_id": 1, "a": {"b": 1, "c": 2, "d": 3}}"#,
              expected: #"{"_id": 1, "a": {"b": 1, "c": 2}}"#),
        // Inclusion and exclusion values.
        .init(name: "nonZeroNumbersInclude", projection: #"{"a": 5, "b": -1.5}"#, document: #"{"_id": 1, "a": 1, "b": 2, "c": 3}"#,
              expected: #"{"_id": 1, "a": 1, "b": 2}"#),
        .init(name: "trueIncludes", projection: #"{"a": true}"#, document: #"{"_id": 1, "a": 1, "b": 2}"#,
              expected: #"{"_id": 1, "a": 1}"#),
        .init(name: "zeroDoubleExcludes", projection: #"{"a": 0.0}"#, document: #"{"_id": 1, "a": 1, "b": 2}"#,
              expected: #"{"_id": 1, "b": 2}"#),
        .init(name: "falseExcludes", projection: #"{"a": false}"#, document: #"{"_id": 1, "a": 1, "b": 2}"#,
              expected: #"{"_id": 1, "b": 2}"#),
        .init(name: "zeroLongExcludes", projection: #"{"a": {"$numberLong": "0"}}"#, document: #"{"_id": 1, "a": 1, "b": 2}"#,
              expected: #"{"_id": 1, "b": 2}"#),
        .init(name: "decimalOneIncludes", projection: #"{"a": {"$numberDecimal": "1"}}"#, document: #"{"_id": 1, "a": 1, "b": 2}"#,
              expected: #"{"_id": 1, "a": 1}"#),
        .init(name: "decimalZeroExcludes", projection: #"{"a": {"$numberDecimal": "0.0"}}"#, document: #"{"_id": 1, "a": 1, "b": 2}"#,
              expected: #"{"_id": 1, "b": 2}"#),
        // BSON compares field names by bytes: a decomposed "é" is another field.
        .init(name: "fieldNamesCompareByBytes", projection: #"{"\u00e9": 1}"#, document: #"{"_id": 1, "e\u0301": 1, "\u00e9": 2}"#,
              expected: #"{"_id": 1, "\u00e9": 2}"#),
        .init(name: "missingIncludedFieldIsOmitted", projection: #"{"x": 1}"#, document: #"{"_id": 1, "a": 1}"#,
              expected: #"{"_id": 1}"#),
        .init(name: "excludingMissingFieldChangesNothing", projection: #"{"x": 0}"#, document: #"{"_id": 1, "a": 1}"#,
              expected: #"{"_id": 1, "a": 1}"#),
        // Dotted paths through scalars, documents and arrays.
        .init(name: "dottedInclusionThroughScalarDropsField", projection: #"{"a.b": 1}"#, document: #"{"_id": 1, "a": 5}"#,
              expected: #"{"_id": 1}"#),
        .init(name: "dottedExclusionThroughScalarKeepsField", projection: #"{"a.b": 0}"#, document: #"{"_id": 1, "a": 5}"#,
              expected: #"{"_id": 1, "a": 5}"#),
        .init(name: "dottedInclusionOfAbsentSubfieldKeepsEmptyDocument", projection: #"{"a.b": 1}"#, document: #"{"_id": 1, "a": {"c": 1}}"#,
              expected: #"{"_id": 1, "a": {}}"#),
        .init(name: "dottedInclusionThroughNullDropsField", projection: #"{"a.b": 1}"#, document: #"{"_id": 1, "a": null}"#,
              expected: #"{"_id": 1}"#),
        .init(name: "dottedInclusionKeepsEmptyArray", projection: #"{"a.b": 1}"#, document: #"{"_id": 1, "a": []}"#,
              expected: #"{"_id": 1, "a": []}"#),
        .init(name: "dottedInclusionDropsNonDocumentArrayElements",
              projection: #"{"a.b": 1}"#, document: #"{"_id": 1, "a": [{"b": 1, "c": 2}, 5, {"c": 3}, [{"b": 4, "c": 5}, 6], "x"]}"#,
              expected: #"{"_id": 1, "a": [{"b": 1}, {}, [{"b": 4}]]}"#),
        .init(name: "dottedExclusionKeepsNonDocumentArrayElements",
              projection: #"{"a.b": 0}"#, document: #"{"_id": 1, "a": [{"b": 1, "c": 2}, 5, {"c": 3}, [{"b": 4, "c": 5}, 6], "x"]}"#,
              expected: #"{"_id": 1, "a": [{"c": 2}, 5, {"c": 3}, [{"c": 5}, 6], "x"]}"#),
        .init(name: "threeLevelInclusion", projection: #"{"a.b.c": 1}"#, document: #"{"_id": 1, "a": {"b": {"c": 1, "d": 2}, "e": 3}}"#,
              expected: #"{"_id": 1, "a": {"b": {"c": 1}}}"#),
        .init(name: "threeLevelInclusionThroughArrays",
              projection: #"{"a.b.c": 1}"#, document: #"{"_id": 1, "a": [{"b": [{"c": 1, "d": 1}, {"d": 2}]}, {"b": {"c": 3}}]}"#,
              expected: #"{"_id": 1, "a": [{"b": [{"c": 1}, {}]}, {"b": {"c": 3}}]}"#),
        .init(name: "threeLevelExclusionThroughArrays",
              projection: #"{"a.b.c": 0}"#, document: #"{"_id": 1, "a": [{"b": [{"c": 1, "d": 1}, {"d": 2}]}, {"b": {"c": 3}}]}"#,
              expected: #"{"_id": 1, "a": [{"b": [{"d": 1}, {"d": 2}]}, {"b": {}}]}"#),
        .init(name: "twoFieldsOfArrayElements", projection: #"{"a.x": 1, "a.z": 1, "_id": 0}"#,
              document: #"{"_id": 1, "a": [{"x": 1, "y": 2, "z": 3}, {"z": 4, "x": 5}]}"#,
              expected: #"{"a": [{"x": 1, "z": 3}, {"z": 4, "x": 5}]}"#),
    ]

    @Test(arguments: cases) func projects(_ c: ProjectionCase) throws { try check(c) }
}

@Suite struct ProjectionLiteralTests {
    static let cases: [ProjectionCase] = [
        .init(name: "stringLiteralAddsField", projection: #"{"item": 1, "note": "new"}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "note": "new"}"#),
        .init(name: "stringLiteralReplacesField", projection: #"{"status": "X"}"#, document: journal,
              expected: #"{"_id": 1, "status": "X"}"#),
        .init(name: "computedFieldsFollowIncludedFields", projection: #"{"status": "X", "item": 1}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal", "status": "X"}"#),
        .init(name: "literalOneWithDollarLiteral", projection: #"{"a": {"$literal": 1}}"#, document: #"{"_id": 1, "a": 5, "b": 2}"#,
              expected: #"{"_id": 1, "a": 1}"#),
        .init(name: "literalZeroWithDollarLiteralIsInclusion", projection: #"{"a": {"$literal": 0}}"#, document: #"{"_id": 1, "a": 5, "b": 2}"#,
              expected: #"{"_id": 1, "a": 0}"#),
        .init(name: "dollarLiteralKeepsOperatorDocument", projection: #"{"a": {"$literal": {"$gt": 1}}}"#, document: #"{"_id": 1}"#,
              expected: #"{"_id": 1, "a": {"$gt": 1}}"#),
        .init(name: "nullLiteral", projection: #"{"a": null}"#, document: #"{"_id": 1, "a": 5}"#,
              expected: #"{"_id": 1, "a": null}"#),
        .init(name: "arrayLiteral", projection: #"{"a": [1, "x"]}"#, document: #"{"_id": 1}"#,
              expected: #"{"_id": 1, "a": [1, "x"]}"#),
        .init(name: "nestedLiteralReplacesScalar", projection: #"{"a.b": "x"}"#, document: #"{"_id": 1, "a": 5}"#,
              expected: #"{"_id": 1, "a": {"b": "x"}}"#),
        .init(name: "nestedLiteralCreatesMissingParent", projection: #"{"a.b": "x"}"#, document: #"{"_id": 1}"#,
              expected: #"{"_id": 1, "a": {"b": "x"}}"#),
        .init(name: "nestedLiteralBesideIncludedField", projection: #"{"size.uom": 1, "size.note": "x"}"#, document: journal,
              expected: #"{"_id": 1, "size": {"uom": "cm", "note": "x"}}"#),
        .init(name: "nestedLiteralInEachArrayElement", projection: #"{"a.b": "x"}"#, document: #"{"_id": 1, "a": [{"c": 1}, {"c": 2}]}"#,
              expected: #"{"_id": 1, "a": [{"b": "x"}, {"b": "x"}]}"#),
        .init(name: "fieldPathExpression", projection: #"{"name": "$item"}"#, document: journal,
              expected: #"{"_id": 1, "name": "journal"}"#),
        .init(name: "fieldPathThroughEmbeddedDocument", projection: #"{"unit": "$size.uom"}"#, document: journal,
              expected: #"{"_id": 1, "unit": "cm"}"#),
        .init(name: "fieldPathThroughArrayCollectsValues", projection: #"{"qtys": "$instock.qty"}"#, document: postcard,
              expected: #"{"_id": 5, "qtys": [15, 35]}"#),
        .init(name: "missingFieldPathOmitsField", projection: #"{"x": "$nope", "item": 1}"#, document: journal,
              expected: #"{"_id": 1, "item": "journal"}"#),
        .init(name: "rootVariablePath", projection: #"{"copy": "$$ROOT.item"}"#, document: journal,
              expected: #"{"_id": 1, "copy": "journal"}"#),
        .init(name: "arrayOfExpressionsTurnsMissingIntoNull", projection: #"{"pair": ["$item", "$nope"]}"#, document: journal,
              expected: #"{"_id": 1, "pair": ["journal", null]}"#),
        .init(name: "subProjectionOfComputedFields", projection: #"{"o": {"x": "$item", "y": "lit"}}"#, document: journal,
              expected: #"{"_id": 1, "o": {"x": "journal", "y": "lit"}}"#),
        .init(name: "literalWithIdExcluded", projection: #"{"_id": 0, "a": "x"}"#, document: #"{"_id": 1, "a": 5, "b": 2}"#,
              expected: #"{"a": "x"}"#),
    ]

    @Test(arguments: cases) func projects(_ c: ProjectionCase) throws { try check(c) }
}

private let socks = #"{"_id": 1, "item": "socks", "qty": 100, "details": {"colors": ["blue", "red"], "sizes": ["S", "M", "L"]}}"#
private let books = #"{"_id": 2, "item": "books", "qty": 100, "details": [{"colors": ["blue", "red"], "sizes": ["S", "M", "L"]}]}"#
private let post1 = #"{"_id": 1, "title": "Bagels are not croissants.", "comments": [{"comment": "0. true"}, {"comment": "1. croissants aren't bagels."}]}"#
private let post2 = #"{"_id": 2, "title": "Coffee please.", "comments": [{"comment": "0. fooey"}, {"comment": "1. tea please"}, {"comment": "2. iced coffee"}, {"comment": "3. cappuccino"}, {"comment": "4. whatever"}]}"#

@Suite struct ProjectionSliceTests {
    static let cases: [ProjectionCase] = [
        // The $slice (projection) page.
        .init(name: "sliceInInclusionKeepsOnlySlicedEmbeddedArray", projection: #"{"qty": 1, "details.colors": {"$slice": 1}}"#, document: socks,
              expected: #"{"_id": 1, "qty": 100, "details": {"colors": ["blue"]}}"#),
        .init(name: "sliceInExclusionKeepsOtherEmbeddedFields", projection: #"{"_id": 0, "details.colors": {"$slice": 1}}"#, document: socks,
              expected: #"{"item": "socks", "qty": 100, "details": {"colors": ["blue"], "sizes": ["S", "M", "L"]}}"#),
        .init(name: "sliceOfEmbeddedArrayInArray", projection: #"{"qty": 1, "details.colors": {"$slice": 1}}"#, document: books,
              expected: #"{"_id": 2, "qty": 100, "details": [{"colors": ["blue"]}]}"#),
        .init(name: "firstThreeComments", projection: #"{"comments": {"$slice": 3}}"#, document: post2,
              expected: #"{"_id": 2, "title": "Coffee please.", "comments": [{"comment": "0. fooey"}, {"comment": "1. tea please"}, {"comment": "2. iced coffee"}]}"#),
        .init(name: "firstThreeOfTwoComments", projection: #"{"comments": {"$slice": 3}}"#, document: post1, expected: post1),
        .init(name: "lastThreeComments", projection: #"{"comments": {"$slice": -3}}"#, document: post2,
              expected: #"{"_id": 2, "title": "Coffee please.", "comments": [{"comment": "2. iced coffee"}, {"comment": "3. cappuccino"}, {"comment": "4. whatever"}]}"#),
        .init(name: "skipOneReturnThreeOfTwo", projection: #"{"comments": {"$slice": [1, 3]}}"#, document: post1,
              expected: #"{"_id": 1, "title": "Bagels are not croissants.", "comments": [{"comment": "1. croissants aren't bagels."}]}"#),
        .init(name: "skipOneReturnThree", projection: #"{"comments": {"$slice": [1, 3]}}"#, document: post2,
              expected: #"{"_id": 2, "title": "Coffee please.", "comments": [{"comment": "1. tea please"}, {"comment": "2. iced coffee"}, {"comment": "3. cappuccino"}]}"#),
        .init(name: "skipFromEndOfTwo", projection: #"{"comments": {"$slice": [-1, 3]}}"#, document: post1,
              expected: #"{"_id": 1, "title": "Bagels are not croissants.", "comments": [{"comment": "1. croissants aren't bagels."}]}"#),
        .init(name: "skipFromEnd", projection: #"{"comments": {"$slice": [-1, 3]}}"#, document: post2,
              expected: #"{"_id": 2, "title": "Coffee please.", "comments": [{"comment": "4. whatever"}]}"#),
        .init(name: "negativeBeyondLengthReturnsAll", projection: #"{"a": {"$slice": -10}}"#, document: #"{"_id": 1, "a": [1, 2, 3]}"#,
              expected: #"{"_id": 1, "a": [1, 2, 3]}"#),
        .init(name: "zeroReturnsEmptyArray", projection: #"{"a": {"$slice": 0}}"#, document: #"{"_id": 1, "a": [1, 2, 3]}"#,
              expected: #"{"_id": 1, "a": []}"#),
        .init(name: "skipBeyondLengthReturnsEmptyArray", projection: #"{"a": {"$slice": [5, 2]}}"#, document: #"{"_id": 1, "a": [1, 2, 3]}"#,
              expected: #"{"_id": 1, "a": []}"#),
        .init(name: "negativeSkipBeyondLengthStartsAtFront", projection: #"{"a": {"$slice": [-5, 2]}}"#, document: #"{"_id": 1, "a": [1, 2, 3]}"#,
              expected: #"{"_id": 1, "a": [1, 2]}"#),
        .init(name: "nonArrayIsLeftAsIs", projection: #"{"a": {"$slice": 1}}"#, document: #"{"_id": 1, "a": 5, "b": 1}"#,
              expected: #"{"_id": 1, "a": 5, "b": 1}"#),
        .init(name: "missingFieldIsLeftOut", projection: #"{"a": {"$slice": 1}}"#, document: #"{"_id": 1, "b": 1}"#,
              expected: #"{"_id": 1, "b": 1}"#),
        .init(name: "sliceWithIdIncludedIsInclusion", projection: #"{"_id": 1, "a": {"$slice": 1}}"#, document: #"{"_id": 1, "a": [1, 2], "b": 3}"#,
              expected: #"{"_id": 1, "a": [1]}"#),
        .init(name: "sliceWithIdExcludedIsExclusion", projection: #"{"_id": 0, "a": {"$slice": 1}}"#, document: #"{"_id": 1, "a": [1, 2], "b": 3}"#,
              expected: #"{"a": [1], "b": 3}"#),
        .init(name: "sliceBesideInclusion", projection: #"{"a": {"$slice": -1}, "b": 1}"#, document: #"{"_id": 1, "a": [1, 2], "b": 3, "c": 4}"#,
              expected: #"{"_id": 1, "a": [2], "b": 3}"#),
        .init(name: "sliceBesideExclusion", projection: #"{"a": {"$slice": -1}, "c": 0}"#, document: #"{"_id": 1, "a": [1, 2], "b": 3, "c": 4}"#,
              expected: #"{"_id": 1, "a": [2], "b": 3}"#),
        .init(name: "sliceInsideEveryArrayElement", projection: #"{"a.b": {"$slice": 1}}"#, document: #"{"_id": 1, "a": [{"b": [1, 2]}, {"b": [3, 4]}, 5]}"#,
              expected: #"{"_id": 1, "a": [{"b": [1]}, {"b": [3]}, 5]}"#),
        .init(name: "sliceCountIsTruncated", projection: #"{"a": {"$slice": 1.9}}"#, document: #"{"_id": 1, "a": [1, 2, 3]}"#,
              expected: #"{"_id": 1, "a": [1]}"#),
        .init(name: "aggregationSliceOfAnotherField", projection: #"{"a": {"$slice": ["$b", 1]}}"#, document: #"{"_id": 1, "a": 0, "b": [1, 2, 3]}"#,
              expected: #"{"_id": 1, "a": [1]}"#),
        .init(name: "aggregationSliceWithPosition", projection: #"{"a": {"$slice": ["$b", 1, 1]}}"#, document: #"{"_id": 1, "b": [1, 2, 3]}"#,
              expected: #"{"_id": 1, "a": [2]}"#),
    ]

    @Test(arguments: cases) func projects(_ c: ProjectionCase) throws { try check(c) }
}

@Suite struct ProjectionPositionalTests {
    static let cases: [ProjectionCase] = [
        // The $ (projection) page: find({semester: 1, grades: {$gte: 85}}, {"grades.$": 1}).
        .init(name: "firstGradeAtLeast85", projection: #"{"grades.$": 1}"#, document: #"{"_id": 1, "semester": 1, "grades": [70, 87, 90]}"#,
              expected: #"{"_id": 1, "grades": [87]}"#, positionalIndex: 1),
        .init(name: "firstGradeAtLeast85IsFirst", projection: #"{"grades.$": 1}"#, document: #"{"_id": 2, "semester": 1, "grades": [90, 88, 92]}"#,
              expected: #"{"_id": 2, "grades": [90]}"#, positionalIndex: 0),
        .init(name: "exactly85", projection: #"{"grades.$": 1}"#, document: #"{"_id": 3, "semester": 1, "grades": [85, 100, 90]}"#,
              expected: #"{"_id": 3, "grades": [85]}"#, positionalIndex: 0),
        // find({"grades.mean": {$gt: 70}}, {"grades.$": 1}).
        .init(name: "arrayOfDocuments", projection: #"{"grades.$": 1}"#,
              document: #"{"_id": 7, "semester": 3, "grades": [{"grade": 80, "mean": 75, "std": 8}, {"grade": 85, "mean": 90, "std": 5}, {"grade": 90, "mean": 85, "std": 3}]}"#,
              expected: #"{"_id": 7, "grades": [{"grade": 80, "mean": 75, "std": 8}]}"#, positionalIndex: 0),
        .init(name: "withOtherIncludedFields", projection: #"{"semester": 1, "grades.$": 1}"#, document: #"{"_id": 1, "semester": 1, "grades": [70, 87, 90]}"#,
              expected: #"{"_id": 1, "semester": 1, "grades": [87]}"#, positionalIndex: 1),
        .init(name: "withIdExcluded", projection: #"{"_id": 0, "grades.$": 1}"#, document: #"{"_id": 1, "semester": 1, "grades": [70, 87, 90]}"#,
              expected: #"{"grades": [87]}"#, positionalIndex: 1),
        .init(name: "arrayInsideEmbeddedDocument", projection: #"{"a.b.$": 1}"#, document: #"{"_id": 1, "a": {"b": [1, 2, 3], "c": 1}, "d": 1}"#,
              expected: #"{"_id": 1, "a": {"b": [3]}}"#, positionalIndex: 2),
        .init(name: "firstArrayOnPathIsReplaced", projection: #"{"a.b.$": 1}"#, document: #"{"_id": 1, "a": [{"b": 1, "c": 1}, {"b": 2, "c": 2}]}"#,
              expected: #"{"_id": 1, "a": [{"b": 2}]}"#, positionalIndex: 1),
        // The executor leaves a non-array value in place ({v: 42} matched by {v: 42}).
        .init(name: "nonArrayValueIsKept", projection: #"{"v.$": 1}"#, document: #"{"_id": 1, "v": 42, "w": 1}"#,
              expected: #"{"_id": 1, "v": 42}"#),
    ]

    @Test(arguments: cases) func projects(_ c: ProjectionCase) throws { try check(c) }
}

@Suite struct ProjectionPropertiesTests {
    @Test func inclusionAndExclusionAreReported() throws {
        #expect(try Projection(ejsonDocument(#"{"a": 1}"#)).isInclusion)
        #expect(try !Projection(ejsonDocument(#"{"a": 0}"#)).isInclusion)
        #expect(try !Projection(ejsonDocument("{}")).isInclusion)
        #expect(try Projection(ejsonDocument(#"{"_id": 1}"#)).isInclusion)
        #expect(try !Projection(ejsonDocument(#"{"_id": 0}"#)).isInclusion)
        #expect(try Projection(ejsonDocument(#"{"_id": 0, "a": 1}"#)).isInclusion)
        #expect(try !Projection(ejsonDocument(#"{"_id": 1, "a": 0}"#)).isInclusion)
        #expect(try !Projection(ejsonDocument(#"{"a": {"$slice": 1}}"#)).isInclusion)
        #expect(try Projection(ejsonDocument(#"{"_id": 1, "a": {"$slice": 1}}"#)).isInclusion)
        #expect(try Projection(ejsonDocument(#"{"a": {"$elemMatch": {"b": 1}}}"#)).isInclusion)
        #expect(try Projection(ejsonDocument(#"{"_id": 0, "a": {"$elemMatch": {"b": 1}}}"#)).isInclusion)
        #expect(try Projection(ejsonDocument(#"{"a": "x"}"#)).isInclusion)
    }

    @Test func positionalIsReported() throws {
        #expect(try Projection(ejsonDocument(#"{"a.$": 1}"#), filter: Filter([:])).usesPositional)
        #expect(try !Projection(ejsonDocument(#"{"a": 1}"#), filter: Filter([:])).usesPositional)
    }

    @Test func coveredFieldsOfInclusionListIdFirst() throws {
        let fields = try Projection(ejsonDocument(#"{"a": 1, "b.c": 1}"#)).coveredFields
        #expect(fields == [FieldPath(components: ["_id"]), FieldPath(components: ["a"]), FieldPath(components: ["b", "c"])])
    }

    @Test func coveredFieldsWithoutId() throws {
        #expect(try Projection(ejsonDocument(#"{"_id": 0, "a": 1}"#)).coveredFields == [FieldPath(components: ["a"])])
        #expect(try Projection(ejsonDocument(#"{"a": 1, "_id": 1}"#)).coveredFields == [FieldPath(components: ["_id"]), FieldPath(components: ["a"])])
    }

    @Test func coveredFieldsSkipConstants() throws {
        #expect(try Projection(ejsonDocument(#"{"a": 1, "x": "lit"}"#)).coveredFields == [FieldPath(components: ["_id"]), FieldPath(components: ["a"])])
    }

    @Test func coveredFieldsNeedWholeDocument() throws {
        #expect(try Projection(ejsonDocument(#"{"a": 0}"#)).coveredFields == nil)
        #expect(try Projection(ejsonDocument("{}")).coveredFields == nil)
        #expect(try Projection(ejsonDocument(#"{"a": {"$slice": 1}, "b": 1}"#)).coveredFields == nil)
        #expect(try Projection(ejsonDocument(#"{"a.$": 1}"#), filter: Filter([:])).coveredFields == nil)
        #expect(try Projection(ejsonDocument(#"{"a": "$b"}"#)).coveredFields == nil)
    }

    @Test func projectionIsReusableAcrossDocuments() throws {
        let projection = try Projection(ejsonDocument(#"{"item": 1, "instock.qty": 1}"#))
        #expect(try projection.apply(to: ejsonDocument(journal), positionalIndex: nil) == ejsonDocument(#"{"_id": 1, "item": "journal", "instock": [{"qty": 5}]}"#))
        #expect(try projection.apply(to: ejsonDocument(postcard), positionalIndex: nil) == ejsonDocument(#"{"_id": 5, "item": "postcard", "instock": [{"qty": 15}, {"qty": 35}]}"#))
    }
}
