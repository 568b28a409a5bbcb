// QueryEngine as the one way in, through its public API only: DDL (collections, databases,
// indexes), catalog listing and statistics, transactions, and the commit sequence and
// journal wait — what Commands and Server used to reach through `store` for.

import BSON
import Query
import Testing
import TestSupport

@Suite struct QueryEngineFacadeTests {
    @Test func ddlChangesWhatTheCatalogListsAndEachChangeIsLogged() throws {
        try withEngine { engine in
            let orders = try Namespace(database: "shop", collection: "orders")
            let archive = try Namespace(database: "shop", collection: "archive")
            var sequence = engine.latestCommitSequence
            func advanced() -> Bool {
                defer { sequence = engine.latestCommitSequence }
                return engine.latestCommitSequence > sequence
            }

            try engine.createCollection(orders, options: ["capped": true, "size": 4096])
            #expect(advanced())
            #expect(engine.databaseNames == ["shop"])
            #expect(engine.collections(in: "shop").map(\.namespace) == [orders])
            #expect(engine.collectionDescription(orders)?.options == ["capped": true, "size": 4096])
            #expect(engine.collection(orders).cappedLimits?.maximumBytes == 4096)
            #expect(mongoErrorCode { try engine.createCollection(orders) } == 48)

            try engine.createIndex(on: orders, key: ["item": 1], name: "item_1")
            #expect(advanced())
            #expect(engine.indexes(of: orders)?.map(\.name) == ["_id_", "item_1"])
            try engine.dropIndex("item_1", on: orders)
            #expect(engine.indexes(of: orders)?.map(\.name) == ["_id_"])
            #expect(mongoErrorCode { try engine.dropIndex("_id_", on: orders) } == 72)

            try engine.renameCollection(orders, to: archive, dropTarget: false)
            #expect(advanced())
            #expect(engine.collectionDescription(orders) == nil)
            #expect(engine.collections(in: "shop").map(\.namespace) == [archive])
            try engine.dropCollection(archive)
            #expect(mongoErrorCode { try engine.dropCollection(archive) } == 26)

            try engine.collection(orders).insert(["_id": 1])
            #expect(try engine.dropDatabase("shop"))
            #expect(engine.databaseNames.isEmpty)
            #expect(try !engine.dropDatabase("shop"))
            try engine.waitForJournal()
        }
    }

    @Test func statisticsCountDocumentsAndTheirEncodedSize() throws {
        try withEngine { engine in
            let items = try engine.collection("items", in: "shop")
            let documents: [BSONDocument] = [["_id": 1, "name": "pen"], ["_id": 2, "name": "notebook", "pages": 80]]
            try items.insert(contentsOf: documents)
            try engine.createIndex(on: items.namespace, key: ["name": 1, "pages": -1])
            guard let description = engine.collectionDescription(items.namespace) else {
                Issue.record("the collection is not in the catalog")
                return
            }
            let statistics = try engine.statistics(of: description)
            #expect(statistics.count == documents.count)
            #expect(statistics.size == documents.reduce(0) { $0 + BSONSize.of($1) })
            #expect(statistics.indexCount == 2)
            #expect(statistics.indexSizes.map(\.name) == ["_id_", "name_1_pages_-1"])
            #expect(statistics.totalIndexSize == statistics.indexSizes.reduce(0) { $0 + $1.bytes })
            #expect(try engine.diskUsage() > 0)
        }
    }

    @Test func aTransactionsWritesShowOnlyAfterCommitAndNotAfterAbort() throws {
        try withEngine { engine in
            let namespace = try Namespace(database: "bank", collection: "accounts")
            try engine.collection(namespace).insert(["_id": "a", "balance": 10])

            let committed = try engine.beginTransaction()
            try committed.collection(namespace).update(["_id": "a"], ["$inc": ["balance": -3]])
            try committed.collection(namespace).insert(["_id": "b", "balance": 3])
            #expect(try engine.collection(namespace).count() == 1)
            #expect(try committed.collection(namespace).count() == 2)
            try committed.commit()
            #expect(committed.state == .committed)
            #expect(try engine.collection(namespace).document(withID: "a") == ["_id": "a", "balance": 7])
            #expect(try engine.collection(namespace).document(withID: "b") == ["_id": "b", "balance": 3])

            let aborted = try engine.beginTransaction()
            try aborted.collection(namespace).delete(["_id": "a"])
            aborted.abort()
            #expect(aborted.state == .aborted)
            #expect(try engine.collection(namespace).count() == 2)
            #expect(mongoErrorCode { try aborted.commit() } == 251)
        }
    }

    @Test func aConflictingWriteInATransactionIsAWriteConflict() throws {
        try withEngine { engine in
            let namespace = try Namespace(database: "bank", collection: "accounts")
            try engine.collection(namespace).insert(["_id": "a", "balance": 10])
            let first = try engine.beginTransaction()
            let second = try engine.beginTransaction()
            try first.collection(namespace).update(["_id": "a"], ["$set": ["balance": 1]])
            #expect(mongoErrorCode { try second.collection(namespace).update(["_id": "a"], ["$set": ["balance": 2]]) } == 112)
            try first.commit()
            #expect(try engine.collection(namespace).document(withID: "a")?["balance"] == 1)
        }
    }
}
