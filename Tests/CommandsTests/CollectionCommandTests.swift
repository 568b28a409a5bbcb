// Collection, database, index, query and explain commands through the dispatcher: reply
// shapes and MongoDB's error codes, including bad argument types.

import BSON
import Commands
import Testing

@Suite struct CollectionCommandTests {
    @Test func createRejectsUnsupportedAndUnknownOptionsAndExisting() throws {
        try CommandTestServer.with { server in
            #expect(server.run(["create": "c"]).ok == 1)
            let again = server.run(["create": "c"])
            #expect(again.code == 48)
            #expect(again["codeName"] == "NamespaceExists")
            let capped = server.run(["create": "capped", "capped": true, "size": 4096])
            #expect(capped.ok == 1)
            #expect(server.run(["create": "sized", "size": 4096]).code == 72)
            #expect(server.run(["create": "ts", "timeseries": ["timeField": "t"]]).code == 115)
            #expect(server.run(["create": "v", "validator": ["a": ["$gt": 1]]]).ok == 1)
            #expect(server.run(["create": "w", "validator": ["a": ["$near": [0, 0]]]]).code == 2)
            #expect(server.run(["create": "view", "viewOn": "plain", "pipeline": [["$match": ["a": 1]]]]).ok == 1)
            #expect(server.run(["insert": "view", "documents": [["a": 1]]]).code == 166)
            #expect(server.run(["create": "u", "frobnicate": 1]).code == 40415)
            #expect(server.run(["create": "plain", "capped": false]).ok == 1)
        }
    }

    @Test func dropIsOkForMissingCollectionsAndDropDatabaseRemovesEverything() throws {
        try CommandTestServer.with { server in
            #expect(server.run(["drop": "missing"]).ok == 1)
            server.run(["insert": "c", "documents": [["a": 1]]])
            let dropped = server.run(["drop": "c"])
            #expect(dropped["ns"] == "test.c")
            #expect(dropped["nIndexesWas"]?.int64Value == 1)
            server.run(["insert": "d", "documents": [["a": 1]]], database: "other")
            #expect(server.run(["dropDatabase": 1], database: "other").ok == 1)
            let names = server.run(["listDatabases": 1, "nameOnly": true], database: "admin")["databases"]?.arrayValue ?? []
            #expect(!names.contains(.document(["name": "other"])))
            #expect(server.run(["dropDatabase": 1], database: "admin").code == 20)
        }
    }

    @Test func renameCollectionMovesDocumentsAndIndexes() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "a", "documents": [["_id": 1, "k": 1], ["_id": 2, "k": 2]]])
            server.run(["createIndexes": "a", "indexes": [["key": ["k": 1], "name": "k_1", "unique": true]]])
            #expect(server.run(["renameCollection": "test.a", "to": "test.b"]).code == 13)
            #expect(server.run(["renameCollection": "test.a", "to": "test.b"], database: "admin").ok == 1)
            #expect(server.run(["count": "a"])["n"]?.int64Value == 0)
            #expect(server.run(["count": "b"])["n"]?.int64Value == 2)
            let indexes = server.run(["listIndexes": "b"]).value(at: "cursor.firstBatch")?.arrayValue ?? []
            #expect(indexes.compactMap { $0.documentValue?["name"] } == ["_id_", "k_1"])
            #expect(server.run(["renameCollection": "test.nope", "to": "test.b"], database: "admin").code == 26)
            server.run(["insert": "c", "documents": [["_id": 1]]])
            #expect(server.run(["renameCollection": "test.c", "to": "test.b"], database: "admin").code == 48)
            #expect(server.run(["renameCollection": "test.c", "to": "test.b", "dropTarget": true], database: "admin").ok == 1)
            #expect(server.run(["count": "b"])["n"]?.int64Value == 1)
        }
    }

    @Test func listDatabasesAndCollectionsWithFiltersAndNameOnly() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "alpha", "documents": [["a": 1]]])
            server.run(["insert": "beta", "documents": [["a": 1]]])
            server.run(["insert": "x", "documents": [["a": 1]]], database: "second")
            let databases = server.run(["listDatabases": 1], database: "admin")
            let entries = (databases["databases"]?.arrayValue ?? []).compactMap(\.documentValue)
            // The writes' change log entries are mongod's `local.oplog.rs`: `local` is listed too.
            #expect(entries.map { $0["name"] } == ["local", "second", "test"])
            #expect(entries.allSatisfy { $0["sizeOnDisk"] != nil && $0["empty"] == .bool(false) })
            #expect(databases["totalSize"] != nil)
            let filtered = server.run(["listDatabases": 1, "filter": ["name": "test"]], database: "admin")
            #expect(filtered["databases"]?.arrayValue?.count == 1)

            let collections = server.run(["listCollections": 1])
            #expect(collections.value(at: "cursor.ns") == "test.$cmd.listCollections")
            let first = collections.value(at: "cursor.firstBatch.0")?.documentValue ?? [:]
            #expect(first["name"] == "alpha" && first["type"] == "collection")
            #expect(first.value(at: "idIndex.name") == "_id_")
            if case let .binary(uuid)? = first.value(at: "info.uuid") { #expect(uuid.subtype == .uuid) } else {
                Issue.record("no info.uuid")
            }
            let named = server.run(["listCollections": 1, "filter": ["name": "beta"], "nameOnly": true])
            #expect(named.value(at: "cursor.firstBatch") == .array([.document(["name": "beta", "type": "collection"])]))
        }
    }

    @Test func indexesCreateListAndDropEveryWay() throws {
        try CommandTestServer.with { server in
            let created = server.run(["createIndexes": "c", "indexes": [
                ["key": ["a": 1], "name": "a_1"], ["key": ["b": -1], "name": "b_-1", "sparse": true],
                ["key": ["c": 1], "name": "c_1"], ["key": ["d": 1], "name": "d_1"],
            ]])
            #expect(created["createdCollectionAutomatically"] == .bool(true))
            #expect(created["numIndexesBefore"]?.int64Value == 1)
            #expect(created["numIndexesAfter"]?.int64Value == 5)
            let same = server.run(["createIndexes": "c", "indexes": [["key": ["a": 1], "name": "a_1"]]])
            #expect(same["note"] == "all indexes already exist")
            let listed = (server.run(["listIndexes": "c"]).value(at: "cursor.firstBatch")?.arrayValue ?? []).compactMap(\.documentValue)
            #expect(listed.first == ["v": .int32(2), "key": ["_id": .int32(1)], "name": "_id_"])
            #expect(listed[2]["sparse"] == .bool(true))

            #expect(server.run(["dropIndexes": "c", "index": "a_1"])["nIndexesWas"]?.int64Value == 5)
            #expect(server.run(["dropIndexes": "c", "index": ["b": -1]]).ok == 1)
            #expect(server.run(["dropIndexes": "c", "index": ["zz": 1]]).code == 27)
            #expect(server.run(["dropIndexes": "c", "index": "_id_"]).code == 72)
            #expect(server.run(["dropIndexes": "c", "index": ["c_1", "nope"]]).code == 27)
            #expect(server.run(["dropIndexes": "c", "index": ["c_1"]]).ok == 1)
            #expect(server.run(["dropIndexes": "c", "index": "*"]).ok == 1)
            #expect(server.run(["listIndexes": "c"]).value(at: "cursor.firstBatch")?.arrayValue?.count == 1)
            #expect(server.run(["listIndexes": "missing"]).code == 26)
        }
    }

    @Test func countDistinctAndAggregate() throws {
        try CommandTestServer.with { server in
            let documents: [BSONValue] = (0..<10).map { .document(["_id": .int32(Int32($0)), "g": .int32(Int32($0 % 3)), "tags": ["x", .string("t\($0 % 2)")]]) }
            server.run(["insert": "c", "documents": .array(documents)])
            #expect(server.run(["count": "c"])["n"]?.int64Value == 10)
            #expect(server.run(["count": "c", "query": ["g": 0], "skip": 1, "limit": 2])["n"]?.int64Value == 2)
            #expect(server.run(["distinct": "c", "key": "g"])["values"] == .array([.int32(0), .int32(1), .int32(2)]))
            #expect(server.run(["distinct": "c", "key": "tags"])["values"] == .array(["t0", "t1", "x"]))

            let pipeline: BSONValue = [["$match": ["g": ["$gte": 1]]], ["$sort": ["_id": -1]], ["$skip": 1], ["$limit": 3],
                                       ["$project": ["g": 1]]]
            let reply = server.run(["aggregate": "c", "pipeline": pipeline, "cursor": [:]])
            #expect(reply.value(at: "cursor.firstBatch") == .array([
                ["_id": .int32(7), "g": .int32(1)], ["_id": .int32(5), "g": .int32(2)], ["_id": .int32(4), "g": .int32(1)],
            ]))
            let counted = server.run(["aggregate": "c", "pipeline": [["$match": ["g": 1]], ["$limit": 2], ["$match": ["_id": ["$gt": 1]]], ["$count": "n"]], "cursor": [:]])
            #expect(counted.value(at: "cursor.firstBatch") == .array([["n": .int32(1)]]))
            let grouped = server.run(["aggregate": "c", "pipeline": [["$group": ["_id": "$g", "n": ["$sum": 1]]], ["$sort": ["_id": 1]]],
                                      "cursor": [:]])
            #expect(grouped.value(at: "cursor.firstBatch")?.arrayValue?.count == 3)
            let unknown = server.run(["aggregate": "c", "pipeline": [["$nope": ["_id": "$g"]]], "cursor": [:]])
            #expect(unknown.code == 40324)
            #expect(unknown["errmsg"] == "Unrecognized pipeline stage name: '$nope'")
            let out = server.run(["aggregate": "c", "pipeline": [["$match": ["g": 1]], ["$out": "copy"]], "cursor": [:]])
            #expect(out.value(at: "cursor.firstBatch") == .array([]))
            #expect(server.run(["count": "copy"])["n"] == server.run(["count": "c", "query": ["g": 1]])["n"])
            #expect(server.run(["aggregate": "c", "pipeline": []]).code == 9)
            let batched = server.run(["aggregate": "c", "pipeline": [], "cursor": ["batchSize": 4]])
            #expect(batched.value(at: "cursor.firstBatch")?.arrayValue?.count == 4)
        }
    }

    @Test func badArgumentTypesGetMongoDBsCodes() throws {
        try CommandTestServer.with { server in
            let find = server.run(["find": 5])
            #expect(find.code == 73)
            #expect(find["codeName"] == "InvalidNamespace")
            #expect(server.run(["find": "c", "filter": 5]).code == 14)
            #expect(server.run(["find": "c", "limit": "ten"]).code == 14)
            #expect(server.run(["find": "c", "skip": -1]).code == 51024)
            #expect(server.run(["find": "c", "filter": ["a": ["$bogus": 1]]]).code == 2)
            #expect(server.run(["insert": "c", "documents": [5]]).code == 14)
            #expect(server.run(["insert": "bad$name", "documents": [["a": 1]]]).code == 73)
            #expect(server.run(["distinct": "c"]).code == 40414)
            #expect(server.run(["find": "c", "collation": "fr"]).code == 14)
            #expect(server.run(["find": "c", "collation": ["locale": "fr", "strength": 9]]).code == 51024)
            #expect(server.run(["find": "c", "collation": ["locale": "fr"]]).code == nil)
        }
    }

    @Test func statsValidateAndExplain() throws {
        try CommandTestServer.with { server in
            server.run(["insert": "c", "documents": [["_id": 1, "a": 1], ["_id": 2, "a": 2]]])
            server.run(["createIndexes": "c", "indexes": [["key": ["a": 1], "name": "a_1"]]])
            let stats = server.run(["collStats": "c"])
            #expect(stats["count"]?.int64Value == 2)
            #expect(stats["nindexes"]?.int64Value == 2)
            // {_id: int32, a: int32} is 21 bytes of BSON.
            #expect((stats["size"]?.int64Value ?? 0) == 2 * 21)
            #expect(stats.value(at: "indexSizes.a_1") != nil)
            #expect(server.run(["collStats": "missing"]).code == 26)
            let db = server.run(["dbStats": 1])
            #expect(db["collections"]?.int64Value == 1 && db["objects"]?.int64Value == 2 && db["indexes"]?.int64Value == 2)
            let validate = server.run(["validate": "c"])
            #expect(validate["valid"] == .bool(true) && validate["nrecords"]?.int64Value == 2)
            let explain = server.run(["explain": ["find": "c", "filter": ["a": 1]], "verbosity": "queryPlanner"])
            #expect(explain.ok == 1)
            #expect(explain.value(at: "queryPlanner.winningPlan") != nil)
            #expect(explain.value(at: "command.find") == "c")
            let executed = server.run(["explain": ["count": "c", "query": ["a": 2]]])
            #expect(executed.value(at: "executionStats") != nil)
            #expect(server.run(["explain": ["delete": "c", "deletes": [["q": ["a": 1], "limit": 1]]]]).ok == 1)
            #expect(server.run(["count": "c"])["n"]?.int64Value == 2)
            #expect(server.run(["explain": ["frob": "c"]]).code == 59)
        }
    }

    @Test func currentOpKillOpGetLog() throws {
        try CommandTestServer.with { server in
            let current = server.run(["currentOp": 1], database: "admin")
            let ops = (current["inprog"]?.arrayValue ?? []).compactMap(\.documentValue)
            // currentOp sees itself.
            #expect(ops.contains { $0.value(at: "command.currentOp") != nil })
            #expect(server.run(["killOp": 1, "op": 12345], database: "admin")["info"] == "attempting to kill op")
            #expect(server.run(["getLog": "*"], database: "admin")["names"] == .array(["global", "startupWarnings"]))
            #expect(server.run(["getLog": "startupWarnings"], database: "admin")["log"] == .array([]))
            #expect(server.run(["getLog": "nope"], database: "admin").ok == 0)
        }
    }
}
