// Where a pipeline may name `{$meta: "textScore"}` (TextScoreMetadata.check: after a first-stage
// `$text` match, until a stage that makes new documents; 40218 elsewhere), the `$meta` names
// mongod knows, and `$natural` in a find's sort and hint (NaturalOrder: mongod's BadValue checks
// and the direction a collection scan takes).

import BSON
import Testing
@testable import Query

@Suite struct TextScoreMetadataTests {
    private let text: BSONDocument = ["$match": ["$text": ["$search": "a"]]]
    private let score: BSONDocument = ["$project": ["s": ["$meta": "textScore"]]]

    @Test func scoreIsAvailableUntilAStageMakesNewDocuments() throws {
        #expect(try TextScoreMetadata.check([text, ["$match": ["x": 1]], score, ["$limit": 2]], textFirst: true, folded: 0) == 2)
        #expect(try TextScoreMetadata.check([text, ["$match": ["x": 1]]], textFirst: true, folded: 0) == nil)
        // Folded stages are the text search's own: they need no carried score.
        #expect(try TextScoreMetadata.check([text, score], textFirst: true, folded: 1) == nil)
        let grouped: BSONDocument = ["$group": ["_id": nil, "t": ["$sum": ["$meta": "textScore"]]]]
        #expect(try TextScoreMetadata.check([text, ["$limit": 1], grouped], textFirst: true, folded: 0) == 2)
        for dropping in ["$group", "$bucketAuto", "$count", "$facet", "$sortByCount", "$bucket"] {
            let stage: BSONDocument = [dropping: ["_id": 1]]
            #expect(throws: MongoError.self, "\(dropping)") {
                try TextScoreMetadata.check([text, stage, score], textFirst: true, folded: 0)
            }
        }
    }

    @Test func scoreWithoutTextIs40218() {
        do {
            _ = try TextScoreMetadata.check([["$match": ["x": 1]], score], textFirst: false, folded: 0)
            Issue.record("no error")
        } catch {
            #expect(error.code.rawValue == 40218)
            #expect(error.message == "query requires text score metadata, but it is not available")
        }
    }

    @Test func metaNamesAsMongod() {
        #expect(throws: MongoError.self) { try TextScoreMetadata.expression("bogus") }
        do {
            _ = try TextScoreMetadata.expression(.int32(1))
        } catch {
            #expect(error.code.rawValue == 17308)
        }
        do {
            _ = try TextScoreMetadata.expression("randVal")
        } catch {
            #expect(error.code.rawValue == 238)
        }
        #expect(TextScoreMetadata.references(["$and": [["a": ["$meta": "textScore"]]]]))
        #expect(!TextScoreMetadata.references(["a": ["$meta": "randVal"]]))
    }
}

@Suite struct NaturalOrderTests {
    @Test func directionFromSortOrHint() throws {
        #expect(try NaturalOrder(sort: ["$natural": -1], hint: nil).reverse)
        #expect(try NaturalOrder(sort: ["$natural": -1], hint: nil).sort == nil)
        #expect(try NaturalOrder(sort: nil, hint: ["$natural": .double(-1)]).reverse)
        #expect(try !NaturalOrder(sort: ["$natural": .int64(1)], hint: ["$natural": 1]).reverse)
        let plain = try NaturalOrder(sort: ["a": -1], hint: "a_1")
        #expect(plain.ascending == nil && plain.sort == ["a": -1] && !plain.sortsNaturally)
    }

    @Test(arguments: [
        (["$natural": 2] as BSONDocument, BSONValue?.none, "$natural sort cannot be set to a value other than -1 or 1."),
        (["$natural": "x"] as BSONDocument, nil, "$natural sort cannot be set to a value other than -1 or 1."),
        (BSONDocument([("$natural", .int32(1)), ("a", .int32(1))]), nil, "$natural sort cannot be set to a value other than -1 or 1."),
        (nil, BSONValue.document(["$natural": 0]), "$natural hint cannot be set to a value other than -1 or 1."),
        (["$natural": 1] as BSONDocument, BSONValue.string("a_1"), "index hint not allowed with $natural sort order"),
        (["$natural": 1] as BSONDocument, BSONValue.document(["$natural": -1]),
         "$natural hint must be in the same direction as $natural sort order"),
    ] as [(BSONDocument?, BSONValue?, String)])
    func refusals(sort: BSONDocument?, hint: BSONValue?, message: String) {
        do {
            _ = try NaturalOrder(sort: sort, hint: hint)
            Issue.record("no error for \(message)")
        } catch {
            #expect(error.code.rawValue == 2 && error.message == message)
        }
    }

    @Test func textRefusesHintsAndNaturalSorts() {
        #expect(throws: MongoError.self) { try NaturalOrder.checkText(sort: nil, hint: "t_text") }
        #expect(throws: MongoError.self) { try NaturalOrder.checkText(sort: ["$natural": 1], hint: nil) }
        #expect(throws: Never.self) { try NaturalOrder.checkText(sort: ["a": 1], hint: nil) }
    }
}
