// The failCommand fail point: its mode state machine (off, alwaysOn, {times}, {skip}, entry
// counts), its selection rules (command names and aliases, appName, namespace, never
// configureFailPoint) and configureFailPoint / waitForFailPoint through the dispatcher; and
// onPrimaryTransactionalWrite's per-statement evaluation.

import BSON
@testable import Commands
import Documents
import Testing

/// Enters `point` once and checks whether it fired.
private func expectFires(_ point: inout FailPoint, _ expected: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
    let fired = point.enter()
    #expect(fired == expected, sourceLocation: sourceLocation)
}

/// Configures `point` and checks the entry count it reports.
private func expectCount(_ point: inout FailPoint, _ mode: FailPoint.Mode, data: BSONDocument, _ expected: Int64,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let count = point.configure(mode, data: data)
    #expect(count == expected, sourceLocation: sourceLocation)
}

@Suite struct FailPointModeTests {
    @Test func timesFiresThatOftenThenTurnsOff() {
        var point = FailPoint()
        expectCount(&point, .times(2), data: [:], 0)
        expectFires(&point, true)
        expectFires(&point, true)
        expectFires(&point, false)
        #expect(point.mode == .off)
        #expect(point.timesEntered == 2)
    }

    @Test func skipLetsThatManyPassThenFiresEveryTime() {
        var point = FailPoint()
        _ = point.configure(.skip(2), data: [:])
        expectFires(&point, false)
        expectFires(&point, false)
        expectFires(&point, true)
        expectFires(&point, true)
        #expect(point.timesEntered == 2)
    }

    @Test func alwaysOnFiresUntilTurnedOffAndTheCountSurvivesReconfiguring() {
        var point = FailPoint()
        _ = point.configure(.alwaysOn, data: [:])
        for _ in 0..<3 { expectFires(&point, true) }
        expectCount(&point, .off, data: [:], 3)
        expectFires(&point, false)
        expectCount(&point, .times(0), data: [:], 3)
        #expect(point.mode == .off)
    }

    @Test func modesParseAsMongodsAndBadOnesAreRefused() throws {
        #expect(try FailPoint.Mode(parsing: "alwaysOn") == .alwaysOn)
        #expect(try FailPoint.Mode(parsing: "off") == .off)
        #expect(try FailPoint.Mode(parsing: .document(["times": .int32(3)])) == .times(3))
        #expect(try FailPoint.Mode(parsing: .document(["skip": .int64(1)])) == .skip(1))
        for bad: BSONValue? in [nil, "sometimes", .document(["times": .int32(-1)]), .document([:]), .int32(1)] {
            #expect(throws: MongoError.self) { try FailPoint.Mode(parsing: bad) }
        }
    }

    @Test func failCommandSelectsByNameAliasAppNameAndNamespace() {
        let data: BSONDocument = ["failCommands": ["isMaster", "insert"], "appName": "app", "errorCode": .int32(2)]
        #expect(FailPoints.matches(data, names: ["isMaster", "ismaster"], namespace: "a.$cmd", appName: "app"))
        #expect(!FailPoints.matches(data, names: ["find"], namespace: "a.b", appName: "app"))
        #expect(!FailPoints.matches(data, names: ["insert"], namespace: "a.b", appName: "other"))
        #expect(!FailPoints.matches(data, names: ["insert"], namespace: "a.b", appName: nil))
        let scoped: BSONDocument = ["failCommands": ["insert"], "namespace": "a.b"]
        #expect(FailPoints.matches(scoped, names: ["insert"], namespace: "a.b", appName: nil))
        #expect(!FailPoints.matches(scoped, names: ["insert"], namespace: "a.c", appName: nil))
        #expect(!FailPoints.matches(["failAllCommands": true], names: ["configureFailPoint"], namespace: "admin.$cmd", appName: nil))
    }

    @Test func actionsFollowMongodsOrderAndBlockTimeIsBounded() throws {
        let action = try FailPoints.action(for: [
            "blockConnection": true, "blockTimeMS": .int64(10_000_000), "errorCode": .int32(91),
            "errorLabels": ["RetryableWriteError"],
        ])
        #expect(action.block == FailPoints.maxBlock)
        #expect(action.error?.code.rawValue == 91)
        #expect(action.error?.code.name == "ShutdownInProgress")
        #expect(action.errorLabels == ["RetryableWriteError"])
        #expect(throws: MongoError.self) { try FailPoints.action(for: ["blockConnection": true]) }
    }
}

@Suite struct FailPointCommandTests {
    static func enabled() -> CommandConfiguration {
        let configuration = CommandConfiguration()
        _ = try? configuration.parameters.setAtStartup("enableTestCommands=1")
        return configuration
    }

    @Test func testCommandsAreMissingWithoutTheFlag() throws {
        try CommandTestServer.with { server in
            let reply = server.run(["configureFailPoint": "failCommand", "mode": "alwaysOn"], database: "admin")
            #expect(reply.code == 59)
        }
    }

    @Test func configureFailPointReportsTheCountAndFailsTheNamedCommand() throws {
        try CommandTestServer.with(configuration: Self.enabled()) { server in
            let set = server.run(["configureFailPoint": "failCommand", "mode": ["times": .int32(1)],
                                  "data": ["failCommands": ["ping"], "errorCode": .int32(2)]], database: "admin")
            #expect(set.ok == 1)
            #expect(set["count"] == .int64(0))
            #expect(server.run(["ping": 1]).code == 2)
            #expect(server.run(["ping": 1]).ok == 1)
            let waited = server.run(["waitForFailPoint": "failCommand", "timesEntered": .int32(1), "maxTimeMS": .int32(100)],
                                    database: "admin")
            #expect(waited.ok == 1)
            let timedOut = server.run(["waitForFailPoint": "failCommand", "timesEntered": .int32(2), "maxTimeMS": .int32(20)],
                                      database: "admin")
            #expect(timedOut.code == 50)
            #expect(server.run(["configureFailPoint": "noSuchPoint", "mode": "off"], database: "admin").code == 266)
            #expect(server.run(["configureFailPoint": "failCommand", "mode": "off"], database: "test").code == 13)
        }
    }

    @Test func writeConcernErrorIsAddedToTheWrittenReply() throws {
        try CommandTestServer.with(configuration: Self.enabled()) { server in
            _ = server.run(["configureFailPoint": "failCommand", "mode": ["times": .int32(1)],
                            "data": ["failCommands": ["insert"], "writeConcernError": ["code": .int32(91), "errmsg": "x"]]],
                           database: "admin")
            let reply = server.run(["insert": "c", "documents": [["_id": .int32(1)]]])
            #expect(reply.ok == 1)
            #expect(reply["n"]?.int64Value == 1)
            #expect(reply.value(at: "writeConcernError.code")?.int64Value == 91)
        }
    }
}

@Suite struct TransactionalWriteFailPointTests {
    static let name = "onPrimaryTransactionalWrite"

    @Test func evaluatesOncePerStatementWithCloseConnectionByDefault() throws {
        let points = FailPoints()
        _ = try points.configure(Self.name, mode: .document(["skip": .int32(2)]), data: [:])
        // Two statements: both skipped.
        #expect(points.onPrimaryTransactionalWrite(statements: 2) == nil)
        // Three more: every one fires (a write with only closeConnection commits each).
        #expect(points.onPrimaryTransactionalWrite(statements: 3) == TransactionalWriteFailure(closeConnection: true))
        #expect(try points.timesEntered(Self.name) == 3)
    }

    @Test func anErrorStopsTheEvaluationAtTheStatementItFailed() throws {
        let points = FailPoints()
        _ = try points.configure(Self.name, mode: .document(["times": .int32(2)]),
                                 data: ["failBeforeCommitExceptionCode": .int32(1), "closeConnection": false])
        let failure = points.onPrimaryTransactionalWrite(statements: 5)
        #expect(failure?.closeConnection == false)
        #expect(failure?.error?.code.rawValue == 1)
        #expect(try points.timesEntered(Self.name) == 1)
        // One firing left; then the fail point is off.
        #expect(points.onPrimaryTransactionalWrite(statements: 1)?.error != nil)
        #expect(points.onPrimaryTransactionalWrite(statements: 1) == nil)
    }

    @Test func offNeverFires() throws {
        let points = FailPoints()
        #expect(points.onPrimaryTransactionalWrite(statements: 4) == nil)
        _ = try points.configure(Self.name, mode: .string("off"), data: [:])
        #expect(points.onPrimaryTransactionalWrite(statements: 4) == nil)
        #expect(try points.timesEntered(Self.name) == 0)
    }
}
