// findOne's point read by `_id` (read by key, no planner) against the planned path of the same
// query (the same filter with a sort, which the point read does not take, and find): equal
// results for an `_id` of every BSON type a document may have, for values of other numeric
// types, for missing documents, with projections (and their errors), and under collations,
// where a string `_id` must be compared by the collation rather than read by key.

import Testing
import Tessera

@Suite("findOne's point read by _id")
struct PointReadTests {
    /// `_id` values of every BSON type, as canonical Extended JSON; numbers that compare
    /// equal (0, -0.0, decimal -0) are among them on purpose.
    static let idTexts = [
        #"{"v": {"$numberDouble": "1.5"}}"#, #"{"v": {"$numberDouble": "-0.0"}}"#, #"{"v": {"$numberDouble": "NaN"}}"#,
        #"{"v": {"$numberDouble": "Infinity"}}"#, #"{"v": {"$numberDouble": "-Infinity"}}"#,
        #"{"v": "ada"}"#, #"{"v": ""}"#, #"{"v": {"a": {"$numberInt": "1"}, "b": "x"}}"#,
        #"{"v": {"$binary": {"base64": "AQID", "subType": "00"}}}"#,
        #"{"v": {"$binary": {"base64": "c//SZESzTGmQ6OfR38A11A==", "subType": "04"}}}"#,
        #"{"v": {"$oid": "5f0c1a2b3c4d5e6f70819203"}}"#, #"{"v": true}"#, #"{"v": false}"#,
        #"{"v": {"$date": {"$numberLong": "1600000000000"}}}"#, #"{"v": null}"#,
        #"{"v": {"$dbPointer": {"$ref": "db.c", "$id": {"$oid": "5f0c1a2b3c4d5e6f70819204"}}}}"#,
        #"{"v": {"$code": "function () {}"}}"#, #"{"v": {"$symbol": "sym"}}"#,
        #"{"v": {"$code": "x", "$scope": {"y": {"$numberInt": "1"}}}}"#,
        #"{"v": {"$numberInt": "42"}}"#, #"{"v": {"$numberInt": "0"}}"#, #"{"v": {"$numberInt": "-2147483648"}}"#,
        #"{"v": {"$timestamp": {"t": 1, "i": 2}}}"#,
        #"{"v": {"$numberLong": "-9223372036854775808"}}"#, #"{"v": {"$numberLong": "9223372036854775807"}}"#,
        #"{"v": {"$numberDecimal": "1.50"}}"#, #"{"v": {"$numberDecimal": "-0"}}"#, #"{"v": {"$numberDecimal": "NaN"}}"#,
        #"{"v": {"$minKey": 1}}"#, #"{"v": {"$maxKey": 1}}"#,
        #"{"v": {"$regularExpression": {"pattern": "a", "options": ""}}}"#, #"{"v": {"$undefined": true}}"#,
    ]

    /// Probes that are not stored as such but compare equal to stored ids, or to none.
    static let probeTexts = [
        #"{"v": {"$numberLong": "42"}}"#, #"{"v": {"$numberDouble": "42.0"}}"#, #"{"v": {"$numberDecimal": "42"}}"#,
        #"{"v": {"$numberDouble": "0.0"}}"#, #"{"v": {"$numberLong": "0"}}"#, #"{"v": {"$numberDecimal": "1.5"}}"#,
        #"{"v": "Ada"}"#, #"{"v": "missing"}"#, #"{"v": {"b": "x", "a": {"$numberInt": "1"}}}"#,
        #"{"v": {"a": {"$numberDouble": "1.0"}, "b": "x"}}"#, #"{"v": {"$numberLong": "-9223372036854775807"}}"#,
    ]

    static func values(_ texts: [String]) throws -> [BSONValue] {
        try texts.map { text in
            guard let value = try BSONDocument(extendedJSON: text)["v"] else { throw TestFailure("no v in \(text)") }
            return value
        }
    }

    /// A comparable rendering of a result (canonical Extended JSON keeps NaN, -0.0 and types).
    static func render(_ document: BSONDocument?) -> String {
        document.map { $0.extendedJSON(.canonical) } ?? "nil"
    }

    /// What a read returned, rendered, or the code of the TesseraError it threw (an
    /// `undefined` probe is refused as MongoDB refuses it).
    static func outcome(_ read: () async throws -> BSONDocument?) async -> String {
        do {
            return render(try await read())
        } catch let error as TesseraError {
            return "error \(error.code)"
        } catch {
            return "error \(error)"
        }
    }

    @Test("an _id of every BSON type, other numeric types and missing ids read the same by key as planned")
    func everyType() async throws {
        try await withClient { client in
            let collection = client.db("app").collection("ids")
            var stored = 0
            for (index, id) in try Self.values(Self.idTexts).enumerated() {
                // Some are refused as _id (regex, undefined, ...) and numbers equal to one
                // already stored are duplicates: the reads below must agree either way.
                if (try? await collection.insertOne(["_id": id, "n": .int32(Int32(index))])) != nil { stored += 1 }
            }
            #expect(stored > 20)
            for probe in try Self.values(Self.idTexts + Self.probeTexts) {
                for filter: BSONDocument in [["_id": probe], ["_id": ["$eq": probe]]] {
                    let fast = await Self.outcome { try await collection.findOne(filter) }
                    let planned = await Self.outcome { try await collection.findOne(filter, options: FindOneOptions(sort: ["_id": 1])) }
                    let found = await Self.outcome { try await collection.find(filter).toArray().first }
                    #expect(fast == planned, "\(filter.extendedJSON(.canonical))")
                    #expect(fast == found, "\(filter.extendedJSON(.canonical))")
                }
            }
        }
    }

    @Test("projections apply as planned, and a bad one fails with the same code on a missing document")
    func projections() async throws {
        try await withScores(games: 1, players: 3) { client, _, _ in
            let scores = client.db("game").collection("scores")
            for projection: BSONDocument in [["score": 1], ["_id": 0, "player": 1], ["score": 0]] {
                for id in ["g1/p1", "g1/none"] {
                    let fast = try await scores.findOne(["_id": .string(id)], options: FindOneOptions(projection: projection))
                    let planned = try await scores.findOne(["_id": .string(id)],
                                                           options: FindOneOptions(projection: projection, sort: ["_id": 1]))
                    #expect(Self.render(fast) == Self.render(planned))
                }
            }
            #expect(try await scores.findOne(["_id": "g1/p1"], options: FindOneOptions(projection: ["player": 1]))
                == ["_id": "g1/p1", "player": "p1"])
            let bad: BSONDocument = ["player": 1, "score": 0]
            let fastCode = await tesseraErrorCode {
                _ = try await scores.findOne(["_id": "g1/none"], options: FindOneOptions(projection: bad))
            }
            let plannedCode = await tesseraErrorCode {
                _ = try await scores.findOne(["_id": "g1/none"], options: FindOneOptions(projection: bad, sort: ["_id": 1]))
            }
            #expect(fastCode != nil && fastCode != -1)
            #expect(fastCode == plannedCode)
        }
    }

    @Test("a case-insensitive collation finds a string _id by its collation, not by its key")
    func collation() async throws {
        try await withClient { client in
            let database = client.db("app")
            let plain = database.collection("plain")
            try await plain.insertMany([["_id": "ada", "n": 1], ["_id": 7, "n": 2]])
            let insensitive: BSONDocument = ["locale": "en", "strength": 2]
            let byOption = try await plain.findOne(["_id": "ADA"], options: FindOneOptions(collation: insensitive))
            #expect(byOption?["n"] == 1)
            let plannedByOption = try await plain.find(["_id": "ADA"], options: FindOptions(collation: insensitive)).toArray()
            #expect(Self.render(byOption) == Self.render(plannedByOption.first))
            #expect(try await plain.findOne(["_id": "ADA"]) == nil)
            #expect(try await plain.findOne(["_id": 7], options: FindOneOptions(collation: insensitive))?["n"] == 2)

            _ = try await database.runCommand(["create": "folded", "collation": .document(insensitive)])
            let folded = database.collection("folded")
            try await folded.insertOne(["_id": "ada", "n": 3])
            let byDefault = try await folded.findOne(["_id": "ADA"])
            #expect(byDefault?["n"] == 3)
            #expect(Self.render(byDefault) == Self.render(try await folded.find(["_id": "ADA"]).toArray().first))
            let simple = try await folded.findOne(["_id": "ADA"], options: FindOneOptions(collation: ["locale": "simple"]))
            #expect(simple == nil)
        }
    }

    @Test("a point read in a transaction sees the transaction's own writes and snapshot")
    func inTransaction() async throws {
        try await withClient { client in
            let things = client.db("app").collection("things")
            try await things.insertOne(["_id": 1, "v": "before"])
            let session = client.startSession()
            defer { session.end() }
            try session.startTransaction()
            try await things.insertOne(["_id": 2, "v": "mine"], session: session)
            try await things.updateOne(filter: ["_id": 1], update: ["$set": ["v": "outside"]])
            #expect(try await things.findOne(["_id": 2], session: session)?["v"] == "mine")
            #expect(try await things.findOne(["_id": 2]) == nil)
            #expect(try await things.findOne(["_id": 1], session: session)?["v"] == "before")
            try await session.abortTransaction()
        }
    }
}

/// A failure of a test's own setup.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
