// Concurrent read-modify-write updates: each update's read, match and write happen inside
// the commit section, so updates racing on one document never lose each other's changes.

import BSON
import Dispatch
import Synchronization
import Documents
import Testing
@testable import Query

@Suite struct ConcurrentUpdateTests {
    @Test func racingPushesOnOneDocumentAreAllKept() throws {
        try withEngine { engine in
            let collection = try engine.collection("race", in: "db")
            try collection.collection.insert(["_id": 1, "items": .array([]), "n": 0])
            let threads = 4, perThread = 150
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for step in 0..<perThread {
                    do {
                        // $push is not a counter delta: it takes the read-modify-write path.
                        try collection.update(["_id": 1], ["$push": ["items": .int32(Int32(thread * 1000 + step))],
                                                           "$set": ["last": .int32(Int32(thread))]])
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            let document = try #require(try collection.find(FindQuery(filter: ["_id": 1])).first)
            guard case let .array(items)? = document["items"] else {
                Issue.record("items is not an array: \(document)")
                return
            }
            #expect(items.count == threads * perThread)
            #expect(Set(items.compactMap(\.int64Value)).count == threads * perThread)
        }
    }

    @Test func anUpdateSkipsADocumentThatStoppedMatchingBeforeItsWrite() throws {
        try withEngine { engine in
            let collection = try engine.collection("race", in: "db")
            for index in 0..<200 { try collection.collection.insert(["_id": .int32(Int32(index)), "state": "open"]) }
            // Two racing multi-updates each claim open documents; a document is claimed once.
            let claims = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 2) { worker in
                let result = try? collection.update(["state": "open"],
                                                    ["$set": ["state": "claimed", "by": .int32(Int32(worker))]],
                                                    options: UpdateOptions(multi: true))
                claims.withLock { $0 += result?.modifiedCount ?? -1_000 }
            }
            #expect(claims.withLock { $0 } == 200)
            #expect(try collection.count(["state": "claimed"]) == 200)
        }
    }
}

@Suite struct ConcurrentUpsertTests {
    @Test func racingFirstUpsertsOfOneIDAllApply() throws {
        try withEngine { engine in
            let collection = try engine.collection("race", in: "db")
            let failures = Mutex(0)
            let threads = 8, rounds = 40
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for round in 0..<rounds {
                    do {
                        // Every thread's first touch of each _id races the others to insert it.
                        try collection.update(["_id": .int32(Int32(round))], ["$inc": ["n": 1], "$push": ["by": .int32(Int32(thread))]],
                                              options: UpdateOptions(upsert: true))
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            for round in 0..<rounds {
                let document = try #require(try collection.find(FindQuery(filter: ["_id": .int32(Int32(round))])).first)
                #expect(document["n"]?.int64Value == Int64(threads))
            }
        }
    }
}
