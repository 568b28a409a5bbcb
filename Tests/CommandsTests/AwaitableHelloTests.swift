// The awaitable hello's arguments (topologyVersion, maxAwaitTimeMS) checked as mongod checks
// them, the topology's waiters and its quiesce, and hello's replies through the dispatcher.

import BSON
import Commands
import Documents
import Synchronization
import Testing

@Suite struct AwaitableHelloTests {
    let processId = ObjectId()

    func hello(_ wait: BSONValue?, counter: BSONValue = .int64(0), processId: ObjectId? = nil) -> BSONDocument {
        var body: BSONDocument = ["hello": .int32(1)]
        body["topologyVersion"] = .document(["processId": .objectId(processId ?? self.processId), "counter": counter])
        if let wait { body["maxAwaitTimeMS"] = wait }
        return body
    }

    func code(_ body: BSONDocument) -> Int32? {
        do {
            _ = try AwaitableHello(command: body)
            return nil
        } catch {
            return error.code.rawValue
        }
    }

    @Test func parsesTheTopologyVersionAndTheWait() throws {
        let parsed = try AwaitableHello(command: hello(.int64(10_000), counter: .int64(3)))
        #expect(parsed == AwaitableHello(topologyVersion: TopologyVersion(processId: processId, counter: 3), maxAwaitTimeMS: 10_000))
        #expect(try AwaitableHello(command: hello(.int32(0)))?.maxAwaitTimeMS == 0)
        #expect(try AwaitableHello(command: hello(.double(250)))?.maxAwaitTimeMS == 250)
        #expect(try AwaitableHello(command: hello(.decimal128(Decimal128(Int64(7)))))?.maxAwaitTimeMS == 7)
        #expect(try AwaitableHello(command: ["isMaster": .int32(1), "topologyVersion": hello(nil)["topologyVersion"] ?? .null,
                                             "maxAwaitTimeMS": .int32(1)]) != nil)
    }

    @Test func aPlainHelloOrAnotherCommandIsNotAwaitable() throws {
        #expect(try AwaitableHello(command: ["hello": .int32(1)]) == nil)
        #expect(try AwaitableHello(command: ["ping": .int32(1), "maxAwaitTimeMS": .int32(5)]) == nil)
    }

    @Test func oneArgumentWithoutTheOtherIsLocation31368() {
        #expect(code(hello(nil)) == 31368)
        #expect(code(["hello": .int32(1), "maxAwaitTimeMS": .int32(5)]) == 31368)
    }

    @Test func badWaitsGetMongoDBsCodes() {
        #expect(code(hello(.int32(-1))) == 51024)
        #expect(code(hello(.double(-0.5))) == 51024)
        #expect(code(hello(.double(.nan))) == 2)
        #expect(code(hello(.double(.infinity))) == 2)
        #expect(code(hello(.double(1.5))) == 2)
        #expect(code(hello(.int64(.max))) == 2)
        #expect(code(hello(.int64(Int64(Int32.max) + 1))) == 2)
        #expect(code(hello(.double(1e300))) == 2)
        #expect(code(hello(.decimal128(Decimal128("1E+6000") ?? Decimal128(Int64(0))))) == 2)
        #expect(code(hello(.decimal128(Decimal128("NaN") ?? Decimal128(Int64(0))))) == 2)
        #expect(code(hello(.string("10"))) == 14)
        #expect(code(hello(.null)) == 14)
        #expect(code(hello(.int64(Int64(Int32.max)))) == nil)
    }

    @Test func badTopologyVersionsGetMongoDBsCodes() {
        #expect(code(["hello": .int32(1), "topologyVersion": "x", "maxAwaitTimeMS": .int32(1)]) == 14)
        #expect(code(["hello": .int32(1), "topologyVersion": ["counter": .int64(0)], "maxAwaitTimeMS": .int32(1)]) == 40414)
        #expect(code(["hello": .int32(1), "topologyVersion": ["processId": "p", "counter": .int64(0)], "maxAwaitTimeMS": .int32(1)]) == 14)
        #expect(code(["hello": .int32(1), "topologyVersion": ["processId": .objectId(processId)], "maxAwaitTimeMS": .int32(1)]) == 40414)
        #expect(code(hello(.int32(1), counter: .string("0"))) == 14)
        #expect(code(hello(.int32(1), counter: .int64(-1))) == 31372)
    }

    @Test func theTopologyRegistersOnlyForTheCurrentVersion() {
        let topology = ServerTopology(processId: processId)
        let calls = Atomic<Int>(0)
        #expect(topology.notifyOnChange(from: TopologyVersion(processId: ObjectId(), counter: 0)) {} == nil)
        #expect(topology.notifyOnChange(from: TopologyVersion(processId: processId, counter: 1)) {} == nil)
        let kept = topology.notifyOnChange(from: topology.version) { calls.add(1, ordering: .relaxed) }
        let cancelled = topology.notifyOnChange(from: topology.version) { calls.add(100, ordering: .relaxed) }
        #expect(kept != nil && cancelled != nil)
        if let cancelled { topology.cancel(cancelled) }
        #expect(topology.waiterCount == 1)
        topology.beginQuiesce()
        topology.beginQuiesce()
        #expect(calls.load(ordering: .relaxed) == 1)
        #expect(topology.version.counter == 1)
        #expect(topology.isQuiescing)
        #expect(topology.waiterCount == 0)
        // Once shutdown began nothing waits: a hello answers at once.
        #expect(topology.notifyOnChange(from: topology.version) {} == nil)
    }

    @Test func helloReportsTheDispatchersTopologyVersion() throws {
        try CommandTestServer.with { server in
            let reply = server.run(["hello": 1])
            #expect(reply["topologyVersion"] == .document(server.dispatcher.topology.version.document))
            // An awaitable hello run directly answers at once (the Server is what waits).
            let body: BSONDocument = ["hello": 1, "topologyVersion": .document(server.dispatcher.topology.version.document),
                                      "maxAwaitTimeMS": 10]
            #expect(server.run(body).ok == 1)
            #expect(server.run(["hello": 1, "maxAwaitTimeMS": -1]).code == 31368)
        }
    }

    @Test func aCounterAheadOfTheServersIsLocation31382() throws {
        try CommandTestServer.with { server in
            let ahead = TopologyVersion(processId: server.dispatcher.topology.processId, counter: 5)
            let reply = server.run(["hello": 1, "topologyVersion": .document(ahead.document), "maxAwaitTimeMS": 10])
            #expect(reply.code == 31382)
            let elsewhere = TopologyVersion(processId: ObjectId(), counter: 5)
            #expect(server.run(["hello": 1, "topologyVersion": .document(elsewhere.document), "maxAwaitTimeMS": 10]).ok == 1)
        }
    }

    @Test func inQuiesceHelloAnswersShutdownInProgressWithTheNewVersion() throws {
        try CommandTestServer.with { server in
            server.dispatcher.topology.beginQuiesce()
            let reply = server.run(["isMaster": 1])
            #expect(reply.code == 91)
            #expect(reply["codeName"] == "ShutdownInProgress")
            #expect(reply["errmsg"] == "The server is in quiesce mode and will shut down")
            #expect(reply.value(at: "topologyVersion.counter") == .int64(1))
            #expect(reply.value(at: "topologyVersion.processId") == .objectId(server.dispatcher.topology.processId))
            #expect(server.run(["ping": 1]).ok == 1)
        }
    }
}
