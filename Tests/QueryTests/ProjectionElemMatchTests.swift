// $elemMatch projections and positional $ driven by a real query, from the $elemMatch
// (projection) and $ (projection) pages. These need the real Filter (branch wip-filter);
// with the stub in place they are skipped.

import BSON
import Documents
import Testing
@testable import Query

private let school1 = #"{"_id": 1, "zipcode": "63109", "students": [{"name": "john", "school": 102, "age": 10}, {"name": "jess", "school": 102, "age": 11}, {"name": "jeff", "school": 108, "age": 15}]}"#
private let school3 = #"{"_id": 3, "zipcode": "63109", "students": [{"name": "ajax", "school": 100, "age": 7}, {"name": "achilles", "school": 100, "age": 8}]}"#
private let school4 = #"{"_id": 4, "zipcode": "63109", "students": [{"name": "barney", "school": 102, "age": 7}, {"name": "ruth", "school": 102, "age": 16}]}"#

@Suite(.enabled(if: FilterProbe.isImplemented, "needs the real Filter from wip-filter"))
struct ProjectionElemMatchTests {
    static let cases: [ProjectionCase] = [
        .init(name: "firstStudentOfSchool102", projection: #"{"students": {"$elemMatch": {"school": 102}}}"#, document: school1,
              expected: #"{"_id": 1, "students": [{"name": "john", "school": 102, "age": 10}]}"#),
        .init(name: "noStudentOfSchool102OmitsField", projection: #"{"students": {"$elemMatch": {"school": 102}}}"#, document: school3,
              expected: #"{"_id": 3}"#),
        .init(name: "firstOfTwoMatchingStudents", projection: #"{"students": {"$elemMatch": {"school": 102}}}"#, document: school4,
              expected: #"{"_id": 4, "students": [{"name": "barney", "school": 102, "age": 7}]}"#),
        .init(name: "twoConditions", projection: #"{"students": {"$elemMatch": {"school": 102, "age": {"$gt": 10}}}}"#, document: school1,
              expected: #"{"_id": 1, "students": [{"name": "jess", "school": 102, "age": 11}]}"#),
        .init(name: "twoConditionsNoMatch", projection: #"{"students": {"$elemMatch": {"school": 102, "age": {"$gt": 10}}}}"#, document: school3,
              expected: #"{"_id": 3}"#),
        .init(name: "twoConditionsSecondStudent", projection: #"{"students": {"$elemMatch": {"school": 102, "age": {"$gt": 10}}}}"#, document: school4,
              expected: #"{"_id": 4, "students": [{"name": "ruth", "school": 102, "age": 16}]}"#),
        .init(name: "elemMatchFieldComesAfterIncludedFields",
              projection: #"{"games": {"$elemMatch": {"score": {"$gt": 5}}}, "joined": 1, "lastLogin": 1}"#,
              document: #"{"_id": 1, "name": "player1", "games": [{"game": "abc", "score": 8}, {"game": "xyz", "score": 5}], "joined": {"$date": "2020-01-01T00:00:00Z"}, "lastLogin": {"$date": "2020-05-01T00:00:00Z"}}"#,
              expected: #"{"_id": 1, "joined": {"$date": "2020-01-01T00:00:00Z"}, "lastLogin": {"$date": "2020-05-01T00:00:00Z"}, "games": [{"game": "abc", "score": 8}]}"#),
        .init(name: "scalarElementsWithOperator", projection: #"{"a": {"$elemMatch": {"$gt": 2}}}"#, document: #"{"_id": 1, "a": [1, 3, 5]}"#,
              expected: #"{"_id": 1, "a": [3]}"#),
        .init(name: "nonArrayFieldIsOmitted", projection: #"{"a": {"$elemMatch": {"b": 1}}}"#, document: #"{"_id": 1, "a": {"b": 1}}"#,
              expected: #"{"_id": 1}"#),
        .init(name: "withIdExcluded", projection: #"{"_id": 0, "students": {"$elemMatch": {"school": 102}}}"#, document: school1,
              expected: #"{"students": [{"name": "john", "school": 102, "age": 10}]}"#),
        .init(name: "inExclusionReplacesFieldInPlace", projection: #"{"c": 0, "a": {"$elemMatch": {"b": 2}}}"#,
              document: #"{"_id": 1, "a": [{"b": 1}, {"b": 2}], "c": 1, "d": 1}"#,
              expected: #"{"_id": 1, "a": [{"b": 2}], "d": 1}"#),
    ]

    @Test(arguments: cases) func projects(_ c: ProjectionCase) throws {
        let output = try Projection(ejsonDocument(c.projection)).apply(to: ejsonDocument(c.document), positionalIndex: nil)
        #expect(output == ejsonDocument(c.expected), "\(c.name): got \(output.extendedJSON())")
    }

    @Test func positionalIndexComesFromTheQuery() throws {
        let filter = try Filter(ejsonDocument(#"{"semester": 1, "grades": {"$gte": 85}}"#))
        let projection = try Projection(ejsonDocument(#"{"grades.$": 1}"#), filter: filter)
        #expect(try projection.apply(to: ejsonDocument(#"{"_id": 1, "semester": 1, "grades": [70, 87, 90]}"#)) == ejsonDocument(#"{"_id": 1, "grades": [87]}"#))
        #expect(try projection.apply(to: ejsonDocument(#"{"_id": 2, "semester": 1, "grades": [90, 88, 92]}"#)) == ejsonDocument(#"{"_id": 2, "grades": [90]}"#))
    }

    @Test func positionalIndexFromArrayOfDocumentsQuery() throws {
        let filter = try Filter(ejsonDocument(#"{"grades.mean": {"$gt": 70}}"#))
        let projection = try Projection(ejsonDocument(#"{"grades.$": 1}"#), filter: filter)
        let document = ejsonDocument(#"{"_id": 8, "semester": 3, "grades": [{"grade": 92, "mean": 88, "std": 8}, {"grade": 78, "mean": 90, "std": 5}]}"#)
        #expect(try projection.apply(to: document) == ejsonDocument(#"{"_id": 8, "grades": [{"grade": 92, "mean": 88, "std": 8}]}"#))
    }
}
