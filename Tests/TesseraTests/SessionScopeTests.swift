// The `session:` argument of runCommand, the DDL calls and watch: a command a transaction may
// run joins the session's transaction (its writes commit or abort with it, its reads see the
// transaction's writes); creating a collection, or indexes on a collection the transaction
// creates, joins it too (as mongod 4.4+ allows); other DDL, listings, count and change streams
// fail inside a transaction with MongoDB's OperationNotSupportedInTransaction (263) and change
// nothing; outside a transaction a session changes nothing; an ended session is refused.

import Testing
import Tessera

@Suite("session: on runCommand, DDL and watch")
struct SessionScopeTests {
    /// Runs `body` with a fresh client's database `app` and a session in a transaction.
    private func inTransaction(
        _ body: (TesseraDatabase, ClientSession) async throws -> Void
    ) async throws {
        try await withClient { client in
            let session = client.startSession()
            defer { session.end() }
            try session.startTransaction()
            try await body(client.db("app"), session)
        }
    }

    @Test("runCommand's CRUD commands join the session's transaction")
    func runCommandJoins() async throws {
        try await withClient { client in
            let database = client.db("app")
            let things = database.collection("things")
            try await things.insertOne(["_id": 0, "v": "seed"])
            let session = client.startSession()
            defer { session.end() }

            try session.startTransaction()
            let inserted = try await database.runCommand(["insert": "things", "documents": [["_id": 1, "v": "in"]]], session: session)
            #expect(inserted["n"]?.int64Value == 1)
            #expect(try await things.findOne(["_id": 1]) == nil)
            #expect(try await things.findOne(["_id": 1], session: session)?["v"] == "in")
            let found = try await database.runCommand(["find": "things", "filter": ["_id": 1]], session: session)
            #expect(found["cursor"]?.documentValue?["firstBatch"]?.arrayValue?.count == 1)
            let outside = try await database.runCommand(["find": "things", "filter": ["_id": 1]])
            #expect(outside["cursor"]?.documentValue?["firstBatch"]?.arrayValue?.count == 0)
            try await session.commitTransaction()
            #expect(try await things.findOne(["_id": 1])?["v"] == "in")

            try session.startTransaction()
            _ = try await database.runCommand(["delete": "things", "deletes": [["q": ["_id": 0], "limit": 1]]], session: session)
            #expect(try await things.findOne(["_id": 0], session: session) == nil)
            try await session.abortTransaction()
            #expect(try await things.findOne(["_id": 0])?["v"] == "seed")
        }
    }

    @Test("runCommand refuses in a transaction what MongoDB refuses there, and runs it outside one")
    func runCommandRefuses() async throws {
        try await inTransaction { database, session in
            for command: BSONDocument in [["listCollections": 1], ["drop": "things"],
                                          ["create": "view", "viewOn": "things", "pipeline": []],
                                          ["create": "ring", "capped": true, "size": 4096],
                                          ["commitTransaction": 1]] {
                let code = await tesseraErrorCode { _ = try await database.runCommand(command, session: session) }
                #expect(code == 263, "\(command.extendedJSON())")
            }
            #expect(session.inTransaction)
            try await session.abortTransaction()
            _ = try await database.runCommand(["create": "made"], session: session)
            #expect(try await database.listCollectionNames(session: session) == ["made"])
        }
    }

    @Test("DDL, listings and count fail with 263 in a transaction and change nothing")
    func ddlRefused() async throws {
        try await withClient { client in
            let database = client.db("app")
            let things = database.collection("things")
            try await things.insertOne(["_id": 1, "a": 1])
            try await things.createIndex(["a": 1])
            let session = client.startSession()
            defer { session.end() }
            try session.startTransaction()
            let refused: [(String, () async throws -> Void)] = [
                ("createIndex", { _ = try await things.createIndex(["b": 1], session: session) }),
                ("dropIndex", { try await things.dropIndex("a_1", session: session) }),
                ("dropIndexes", { try await things.dropIndexes(session: session) }),
                ("drop", { try await things.drop(session: session) }),
                ("database drop", { try await database.drop(session: session) }),
                ("listCollections", { _ = try await database.listCollectionNames(session: session) }),
                ("listIndexes", { _ = try await things.listIndexNames(session: session) }),
                ("listDatabases", { _ = try await client.listDatabaseNames(session: session) }),
                ("estimatedDocumentCount", { _ = try await things.estimatedDocumentCount(session: session) }),
            ]
            for (name, operation) in refused {
                #expect(await tesseraErrorCode(operation) == 263, "\(name)")
            }
            #expect(session.inTransaction)
            try await session.abortTransaction()
            #expect(try await things.listIndexNames() == ["_id_", "a_1"])
            #expect(try await database.listCollectionNames() == ["things"])
            // Outside a transaction the same session changes nothing.
            try await things.createIndex(["b": 1], session: session)
            #expect(try await things.listIndexNames(session: session) == ["_id_", "a_1", "b_1"])
            try await things.drop(session: session)
            #expect(try await database.listCollectionNames(session: session) == [])
        }
    }

    @Test("create and createIndexes in a transaction exist for others only once it commits")
    func createJoins() async throws {
        try await inTransaction { database, session in
            let made = try await database.createCollection("made", session: session)
            try await made.createIndex(["a": 1], session: session)
            _ = try await database.runCommand(["createIndexes": "implicit", "indexes": [["key": ["b": 1], "name": "b_1"]]],
                                              session: session)
            try await made.insertOne(["_id": 1, "a": 5], session: session)
            #expect(try await made.findOne(["a": 5], session: session)?["_id"] == 1)
            #expect(try await database.listCollectionNames() == [])
            #expect(await tesseraErrorCode { _ = try await database.createCollection("made", session: session) } == 48)
            try await session.commitTransaction()
            #expect(try await database.listCollectionNames() == ["implicit", "made"])
            #expect(try await made.listIndexNames() == ["_id_", "a_1"])
            #expect(try await database.collection("implicit").listIndexNames() == ["_id_", "b_1"])
            #expect(try await made.findOne(["a": 5])?["_id"] == 1)

            try session.startTransaction()
            let dropped = try await database.createCollection("dropped", session: session)
            try await dropped.insertOne(["_id": 1], session: session)
            // An existing collection gets no new index inside a transaction, as in mongod.
            #expect(await tesseraErrorCode { _ = try await made.createIndex(["c": 1], session: session) } == 263)
            try await session.abortTransaction()
            #expect(try await database.listCollectionNames() == ["implicit", "made"])
            #expect(try await made.listIndexNames() == ["_id_", "a_1"])
        }
    }

    @Test("watch fails with 263 in a transaction and streams with a session outside one")
    func watch() async throws {
        try await withClient { client in
            let things = client.db("app").collection("things")
            let session = client.startSession()
            defer { session.end() }
            try session.startTransaction()
            #expect(await tesseraErrorCode { _ = try await things.watch(session: session) } == 263)
            #expect(await tesseraErrorCode { _ = try await client.db("app").watch(session: session) } == 263)
            #expect(await tesseraErrorCode { _ = try await client.watch(session: session) } == 263)
            try await session.abortTransaction()

            let stream = try await things.watch(session: session)
            try await things.insertOne(["_id": 1])
            var iterator = stream.makeAsyncIterator()
            let event = try await iterator.next()
            #expect(event?.operationType == .insert)
            #expect(event?.documentKey?["_id"] == 1)
            stream.kill()
        }
    }

    @Test("an ended session is refused by DDL and runCommand")
    func endedSession() async throws {
        try await withClient { client in
            let database = client.db("app")
            let session = client.startSession()
            session.end()
            #expect(await tesseraErrorCode { _ = try await database.createCollection("x", session: session) } == 20)
            #expect(await tesseraErrorCode { _ = try await database.runCommand(["ping": 1], session: session) } == 20)
        }
    }
}
