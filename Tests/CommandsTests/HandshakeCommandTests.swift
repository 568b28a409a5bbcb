// Handshake and server commands through the dispatcher: hello/isMaster fields and
// compression negotiation, ping, buildInfo, getParameter, unknown commands, legacy OP_QUERY.

import BSON
import Commands
import Testing

@Suite struct HandshakeCommandTests {
    @Test func helloReportsStandaloneLimitsAndWireVersion() throws {
        try CommandTestServer.with { server in
            let reply = server.run(["hello": 1, "helloOk": true], database: "admin", connection: 7)
            #expect(reply.ok == 1)
            #expect(reply["isWritablePrimary"] == .bool(true))
            #expect(reply["helloOk"] == .bool(true))
            #expect(reply["maxBsonObjectSize"]?.int64Value == 16_777_216)
            #expect(reply["maxMessageSizeBytes"]?.int64Value == 48_000_000)
            #expect(reply["maxWriteBatchSize"]?.int64Value == 100_000)
            #expect(reply["logicalSessionTimeoutMinutes"]?.int64Value == 30)
            #expect(reply["connectionId"]?.int64Value == 7)
            #expect(reply["minWireVersion"]?.int64Value == 0)
            #expect((reply["maxWireVersion"]?.int64Value ?? 0) >= 21)
            #expect(reply["readOnly"] == .bool(false))
            if case .datetime? = reply["localTime"] {} else { Issue.record("localTime is not a date") }
            #expect(reply["compression"] == nil)
        }
    }

    @Test func isMasterAnswersWithIsmasterOverLegacyOpQuery() throws {
        try CommandTestServer.with { server in
            for name in ["isMaster", "ismaster"] {
                let reply = server.run([name: 1], database: "admin", legacy: true)
                #expect(reply.ok == 1)
                #expect(reply["ismaster"] == .bool(true))
                #expect(reply["helloOk"] == nil)
            }
        }
    }

    @Test func compressionKeepsTheClientsOrderAndOnlyWhatTheServerHas() throws {
        try CommandTestServer.with { server in
            let reply = server.run(["hello": 1, "compression": ["zlib", "lz4", "snappy"]], compressors: ["snappy", "zstd", "zlib"])
            #expect(reply["compression"] == .array(["zlib", "snappy"]))
            let none = server.run(["hello": 1, "compression": ["lz4"]])
            #expect(none["compression"] == nil)
        }
    }

    @Test func legacyOpQueryIsRefusedForOtherCommands() throws {
        try CommandTestServer.with { server in
            let reply = server.run(["find": "c"], legacy: true)
            #expect(reply.ok == 0)
            #expect(reply.code == 352)
            #expect(reply["codeName"] == "UnsupportedOpQueryCommand")
        }
    }

    @Test func unknownCommandIsCommandNotFound() throws {
        try CommandTestServer.with { server in
            let reply = server.run(["frobnicate": 1])
            #expect(reply == ["ok": 0.0, "errmsg": "no such command: 'frobnicate'", "code": .int32(59),
                              "codeName": "CommandNotFound"])
            // Names are case-sensitive, as in MongoDB.
            #expect(server.run(["PING": 1]).code == 59)
        }
    }

    @Test func pingBuildInfoAndFriends() throws {
        try CommandTestServer.with { server in
            let ping = server.run(["ping": 1])
            #expect(ping.keys == ["ok", "operationTime", "$clusterTime"] && ping.ok == 1)
            let build = server.run(["buildInfo": 1])
            #expect(build["versionArray"] == .array([.int32(8), .int32(0), .int32(0), .int32(0)]))
            #expect(build["version"] == "8.0.0")
            #expect(build["bits"]?.int64Value == 64)
            #expect(build["maxBsonObjectSize"]?.int64Value == 16_777_216)
            #expect(build.value(at: "tessera.version") != nil)
            #expect(server.run(["whatsmyuri": 1], connection: 3)["you"] == "127.0.0.1:53")
            #expect(server.run(["connectionStatus": 1]).value(at: "authInfo.authenticatedUsers") == .array([]))
            let commands = server.run(["listCommands": 1])
            #expect(commands.value(at: "commands.find") != nil || commands.value(at: "commands.ping") != nil)
            #expect(server.run(["hostInfo": 1]).value(at: "system.hostname") != nil)
            #expect(server.run(["getCmdLineOpts": 1])["argv"] == .array([]))
        }
    }

    @Test func getParameterByNameAndStar() throws {
        try CommandTestServer.with { server in
            let named = server.run(["getParameter": 1, "featureCompatibilityVersion": 1], database: "admin")
            #expect(named.value(at: "featureCompatibilityVersion.version") == "8.0")
            #expect(named.keys == ["featureCompatibilityVersion", "ok", "operationTime", "$clusterTime"])
            let all = server.run(["getParameter": "*"], database: "admin")
            #expect(all["featureCompatibilityVersion"] != nil && all["cursorTimeoutMillis"] != nil)
            let unknown = server.run(["getParameter": 1, "noSuchParameter": 1], database: "admin")
            #expect(unknown.code == 72)
        }
    }

    @Test func serverStatusCountsOperations() throws {
        try CommandTestServer.with { server in
            server.metrics.update { $0.currentConnections = 3; $0.totalConnections = 5 }
            server.run(["ping": 1])
            let status = server.run(["serverStatus": 1])
            #expect(status["process"] == "tessera")
            #expect(status.value(at: "connections.current")?.int64Value == 3)
            #expect(status.value(at: "connections.totalCreated")?.int64Value == 5)
            #expect((status.value(at: "opcounters.command")?.int64Value ?? 0) >= 2)
            #expect(status.value(at: "storageEngine.name") == "rocksdb")
            #expect((status.value(at: "mem.resident")?.int64Value ?? 0) > 0)
            #expect(status["uptimeMillis"] != nil && status["pid"] != nil && status["localTime"] != nil)
        }
    }
}
