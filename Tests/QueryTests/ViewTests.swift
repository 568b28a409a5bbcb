// Views in the Query layer: how find and count translate onto a view's pipeline, views on
// views resolving to their base collection, cycle and depth checks, writes refused on a
// view, and reads through a view on a real store.

import BSON
import Documents
@testable import Query
import Testing

@Suite struct ViewTests {
    let database = "shop"

    func namespace(_ name: String) throws(MongoError) -> Namespace {
        try Namespace(database: database, collection: name)
    }

    @Test func findTranslatesOntoTheViewPipeline() {
        let view: [BSONDocument] = [["$match": ["kind": "book"]]]
        let query = FindQuery(filter: ["price": ["$lt": 10]], projection: ["title": 1], sort: ["price": -1], skip: 2, limit: 5)
        #expect(ViewQuery.findPipeline(view: view, query: query) == [
            ["$match": ["kind": "book"]], ["$match": ["price": ["$lt": 10]]], ["$sort": ["price": -1]],
            ["$skip": .int64(2)], ["$limit": .int64(5)], ["$project": ["title": 1]],
        ])
        #expect(ViewQuery.findPipeline(view: view, query: FindQuery()) == view)
        #expect(ViewQuery.countPipeline(view: [], filter: ["a": 1], skip: 0, limit: nil) == [
            ["$match": ["a": 1]], ["$count": "count"],
        ])
    }

    @Test func readsThroughViewsOnViews() throws {
        try withEngine { engine in
            let items = try namespace("items")
            try engine.collection(items).insert(contentsOf: (1...6).map { ["_id": .int32(Int32($0)), "n": .int32(Int32($0)),
                                                                            "tags": ["x", .string("t\($0 % 2)")]] })
            try engine.createView(ViewDefinition(namespace: try namespace("big"), viewOn: items,
                                                 pipeline: [["$match": ["n": ["$gt": 2]]]]))
            try engine.createView(ViewDefinition(namespace: try namespace("bigSquares"), viewOn: try namespace("big"),
                                                 pipeline: [["$project": ["sq": ["$multiply": ["$n", "$n"]], "tags": 1]]]))
            let resolved = try #require(try engine.resolveView(try namespace("bigSquares")))
            #expect(resolved.base == items)
            #expect(resolved.pipeline.count == 2)
            let view = ViewQuery(resolved, base: engine.collection(items))
            #expect(try view.find(FindQuery(sort: ["_id": 1], limit: 2)) == [
                ["_id": 3, "tags": ["x", "t1"], "sq": 9], ["_id": 4, "tags": ["x", "t0"], "sq": 16],
            ])
            #expect(try view.count(["sq": ["$gte": 16]]) == 3)
            #expect(try view.count(skip: 1, limit: 2) == 2)
            #expect(try view.distinct("tags") == ["t0", "t1", "x"])
            #expect(try engine.views(in: database).map(\.namespace.collection) == ["big", "bigSquares"])
        }
    }

    @Test func cyclesAndDepthAreRefused() throws {
        try withEngine { engine in
            try engine.createView(ViewDefinition(namespace: try namespace("a"), viewOn: try namespace("b"), pipeline: []))
            try engine.createView(ViewDefinition(namespace: try namespace("b"), viewOn: try namespace("c"), pipeline: []))
            do throws(MongoError) {
                try engine.modifyView(try namespace("b"), viewOn: "a", pipeline: nil)
                Issue.record("a cycle was accepted")
            } catch {
                #expect(error.code == .graphContainsCycle)
                #expect(error.message == "View cycle detected: shop.b => shop.a => shop.b")
            }
            do throws(MongoError) {
                try engine.createView(ViewDefinition(namespace: try namespace("c"), viewOn: try namespace("x"),
                                                     pipeline: [["$lookup": ["from": "a", "as": "j", "pipeline": []]]]))
                Issue.record("a cycle through $lookup was accepted")
            } catch {
                #expect(error.code == .graphContainsCycle)
            }
            var previous = "base"
            for level in 1...ViewCatalog.maximumDepth {
                try engine.createView(ViewDefinition(namespace: try namespace("v\(level)"), viewOn: try namespace(previous), pipeline: []))
                previous = "v\(level)"
            }
            #expect(throws: MongoError.self) {
                try engine.createView(ViewDefinition(namespace: try namespace("tooDeep"), viewOn: try namespace(previous), pipeline: []))
            }
        }
    }

    @Test func writesToAViewAndWritingStagesInADefinitionAreRefused() throws {
        try withEngine { engine in
            let view = try namespace("v")
            try engine.createView(ViewDefinition(namespace: view, viewOn: try namespace("c"), pipeline: []))
            #expect(throws: MongoError(.commandNotSupportedOnView, "Namespace shop.v is a view, not a collection")) {
                try engine.collection(view).insert(["a": 1])
            }
            #expect(throws: MongoError.self) { try engine.createIndex(on: view, key: ["a": 1]) }
            #expect(throws: MongoError(.namespaceExists, "Namespace shop.v already exists")) {
                try engine.createView(ViewDefinition(namespace: view, viewOn: try namespace("c"), pipeline: []))
            }
            do throws(MongoError) {
                try engine.createView(ViewDefinition(namespace: try namespace("w"), viewOn: try namespace("c"), pipeline: [["$out": "x"]]))
                Issue.record("$out was accepted in a view")
            } catch {
                #expect(error.code == .optionNotSupportedOnView)
            }
            #expect(try engine.dropView(view))
            #expect(try engine.view(view) == nil)
            try engine.collection(view).insert(["a": 1])
        }
    }

    @Test func validatorAppliesToInsertsUpdatesAndCanBeBypassed() throws {
        try withEngine { engine in
            let people = try namespace("people")
            try engine.createCollection(people, options: ["validator": ["$jsonSchema": ["required": ["name"]]]])
            let collection = engine.collection(people)
            #expect(throws: MongoError.self) { try collection.insert(["_id": 1]) }
            try collection.insert(["_id": 2, "name": "ann"])
            #expect(throws: MongoError.self) { try collection.update(["_id": 2], ["$unset": ["name": ""]]) }
            #expect(throws: MongoError.self) { try collection.update(["_id": 9], ["$set": ["x": 1]], options: UpdateOptions(upsert: true)) }
            try collection.bypassingDocumentValidation().insert(["_id": 3])
            try engine.setCollectionOptions(people, options: ["validator": ["$jsonSchema": ["required": ["name"]]],
                                                              "validationLevel": "moderate"])
            // Moderate: the invalid document 3 may stay invalid; document 2 may not become so.
            try collection.update(["_id": 3], ["$set": ["x": 1]])
            #expect(throws: MongoError.self) { try collection.update(["_id": 2], ["$unset": ["name": ""]]) }
            #expect(try collection.find(FindQuery(filter: ["$jsonSchema": ["required": ["name"]]])).map { $0["_id"] } == [2])
        }
    }
}
