// The audit log and the login throttle without a server: the JSON line of an event (MongoDB's
// audit fields), which commands make which events and that no password gets into one, the
// writer appending to a real file and recovering from one it could not open, the throttle's
// windows and its bound, and the table rules for one's own operations and sessions.

import BSON
@testable import Commands
import Foundation
import Logging
import Testing

@Suite struct AuditAndOwnershipTests {
    static let connection = ConnectionInfo(id: 7, remoteAddress: "10.1.2.3:50123", localAddress: "[::1]:27017",
                                           availableCompressors: [])

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tessera-audit-\(UUID().uuidString)")
            .appendingPathComponent(name).path
    }

    @Test func anEventLineCarriesMongoDBsAuditFields() throws {
        let users = [UserName(user: "ann", db: "app"): [RoleName(role: "read", db: "app")]]
        let line = AuditLog.line(AuditEvent.authentication(user: "ann", database: "app", mechanism: "SCRAM-SHA-256", succeeded: false),
                                 connection: Self.connection, users: users,
                                 at: BSONDateTime(millisecondsSinceEpoch: 1_700_000_000_000))
        #expect(!line.contains("\n"))
        let event = try BSONDocument(extendedJSON: line)
        #expect(event["atype"] == "authenticate")
        #expect(event["ts"] == .datetime(BSONDateTime(millisecondsSinceEpoch: 1_700_000_000_000)))
        #expect(event["remote"] == .document(["ip": "10.1.2.3", "port": .int32(50123)]))
        #expect(event["local"] == .document(["ip": "::1", "port": .int32(27017)]))
        #expect(event["users"] == .array([.document(["user": "ann", "db": "app"])]))
        #expect(event["roles"] == .array([.document(["role": "read", "db": "app"])]))
        #expect(event["param"] == .document(["user": "ann", "db": "app", "mechanism": "SCRAM-SHA-256"]))
        #expect(event["result"] == .int32(18))
    }

    @Test func addressesSplitIntoHostAndPort() {
        #expect(splitHostPort("127.0.0.1:27017") == ("127.0.0.1", 27017))
        #expect(splitHostPort("[fe80::1]:5") == ("fe80::1", 5))
        #expect(splitHostPort("::1") == ("::1", nil))
        #expect(splitHostPort("unknown") == ("unknown", nil))
        #expect(isLoopback("[::1]:1") && isLoopback("::1") && !isLoopback("10.0.0.1:27017"))
    }

    @Test func userChangesAreAuditedWithoutThePassword() {
        let update = CommandRequest(database: "app", body: [
            "updateUser": "ann", "pwd": "hunter2", "roles": ["readWrite", ["role": "read", "db": "other"]],
        ])
        let events = AuditEvent.succeeded("updateUser", update, reply: [:])
        #expect(events.count == 1)
        #expect(events[0].atype == "updateUser")
        #expect(events[0].param["passwordChanged"] == .bool(true))
        #expect(events[0].param["roles"] == .array([.document(["role": "readWrite", "db": "app"]),
                                                    .document(["role": "read", "db": "other"])]))
        #expect(!events[0].param.extendedJSON().contains("hunter2"))
        let create = CommandRequest(database: "app", body: ["createUser": "bo", "pwd": "hunter2", "roles": []])
        let created = AuditEvent.succeeded("createUser", create, reply: [:])
        #expect(created.count == 1 && created[0].param["user"] == "bo")
        #expect(!created[0].param.extendedJSON().contains("hunter2"))
        let denied = AuditEvent.denied("createUser", create)
        #expect(denied.result == 13 && !denied.param.extendedJSON().contains("hunter2"))
    }

    @Test func aRefusedLargeCommandKeepsOnlyItsFirstFieldInTheEvent() {
        let big = BSONValue.string(String(repeating: "x", count: 4096))
        let documents = BSONValue.array((0..<10).map { _ in .document(["blob": big]) })
        let refused = AuditEvent.denied("insert", CommandRequest(database: "app", body: ["insert": "c", "documents": documents]))
        #expect(refused.param["args"] == .document(["insert": "c", "$truncated": true]))
        let small = AuditEvent.denied("find", CommandRequest(database: "app", body: ["find": "c", "filter": ["a": 1]]))
        #expect(small.param["args"] == .document(["find": "c", "filter": ["a": 1]]))
        #expect(small.param["ns"] == "app.c")
    }

    @Test func ddlCommandsMapToTheirAuditTypes() {
        func events(_ body: BSONDocument, reply: BSONDocument = [:]) -> [AuditEvent] {
            AuditEvent.succeeded(body.first?.key ?? "", CommandRequest(database: "db", body: body), reply: reply)
        }
        #expect(events(["create": "c"]).map(\.atype) == ["createCollection"])
        #expect(events(["create": "c"])[0].param["ns"] == "db.c")
        #expect(events(["drop": "c"]).map(\.atype) == ["dropCollection"])
        #expect(events(["dropDatabase": 1])[0].param == ["ns": "db"])
        #expect(events(["renameCollection": "db.a", "to": "db.b"])[0].param == ["old": "db.a", "new": "db.b"])
        let indexes: BSONDocument = ["createIndexes": "c", "indexes": [["key": ["a": 1], "name": "a_1"], ["key": ["b": 1], "name": "b_1"]]]
        #expect(events(indexes, reply: ["numIndexesBefore": 1, "numIndexesAfter": 3]).map { $0.param["indexName"] } == ["a_1", "b_1"])
        #expect(events(indexes, reply: ["numIndexesBefore": 3, "numIndexesAfter": 3]).isEmpty)
        #expect(events(["dropIndexes": "c", "index": ["a_1", "b_1"]]).count == 2)
        #expect(events(["find": "c"]).isEmpty && events(["insert": "c", "documents": []]).isEmpty)
    }

    @Test func theWriterAppendsLinesAndReopensAFileItCouldNotOpen() throws {
        let path = Self.temporaryPath("audit.jsonl")
        let directory = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = AuditLog(path: path, logger: Logger(label: "audit-test"))
        log.append("{\"lost\":1}")
        log.flush()
        #expect(!FileManager.default.fileExists(atPath: path))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for index in 0..<3 { log.append("{\"n\":\(index)}") }
        log.flush()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func theThrottleRefusesAHostOnlyInsideItsWindow() {
        let throttle = LoginThrottle(capacity: 8)
        let start = ContinuousClock.now
        let window = Duration.seconds(60)
        for second in 0..<3 {
            #expect(!throttle.isBlocked("10.0.0.1", limit: 3, window: window, now: start + .seconds(second)))
            throttle.recordFailure("10.0.0.1", window: window, now: start + .seconds(second))
        }
        #expect(throttle.isBlocked("10.0.0.1", limit: 3, window: window, now: start + .seconds(10)))
        #expect(!throttle.isBlocked("10.0.0.2", limit: 3, window: window, now: start + .seconds(10)))
        #expect(!throttle.isBlocked("10.0.0.1", limit: 0, window: window, now: start + .seconds(10)))
        #expect(!throttle.isBlocked("10.0.0.1", limit: 3, window: window, now: start + .seconds(61)))
        throttle.recordFailure("10.0.0.1", window: window, now: start + .seconds(61))
        #expect(!throttle.isBlocked("10.0.0.1", limit: 3, window: window, now: start + .seconds(62)))
    }

    @Test func theThrottleForgetsExpiredThenOldestHostsWhenFull() {
        let throttle = LoginThrottle(capacity: 4)
        let start = ContinuousClock.now
        let window = Duration.seconds(60)
        for host in 0..<4 { throttle.recordFailure("h\(host)", window: window, now: start + .seconds(host)) }
        throttle.recordFailure("h4", window: window, now: start + .seconds(10))
        #expect(throttle.count == 4)
        for host in 5..<100 { throttle.recordFailure("h\(host)", window: window, now: start + .seconds(100 + host)) }
        #expect(throttle.count == 4)
        for _ in 0..<2 { throttle.recordFailure("h99", window: window, now: start + .seconds(200)) }
        #expect(throttle.isBlocked("h99", limit: 3, window: window, now: start + .seconds(201)))
    }

    @Test func ownOperationsAndSessionsNeedOnlyALogin() {
        #expect(AuthorizationTable.rule(for: "currentOp", body: ["currentOp": 1, "$ownOps": true], database: "admin") == .authenticated)
        #expect(AuthorizationTable.rule(for: "currentOp", body: ["currentOp": 1], database: "admin")
                == .requires([Requirement(actions: [.inprog], resource: .cluster)]))
        #expect(AuthorizationTable.rule(for: "killOp", body: ["killOp": 1, "op": 5], database: "admin") == .authenticated)
        let everyone: BSONDocument = ["aggregate": 1, "pipeline": [["$listLocalSessions": ["allUsers": true]]]]
        #expect(AuthorizationTable.aggregate(everyone, database: "admin") == [Requirement(actions: [.listSessions], resource: .cluster)])
        #expect(AuthorizationTable.aggregate(["aggregate": 1, "pipeline": [["$listLocalSessions": [:]]]], database: "admin").isEmpty)
        #expect(BuiltInRoles.allows(BuiltInRoles.privileges(of: [RoleName(role: "clusterMonitor", db: "admin")]),
                                    [.listSessions], on: .cluster))
    }

    @Test func roleChangesNeedGrantAndRevokeRights() {
        let privileges = BuiltInRoles.privileges(of: [RoleName(role: "userAdmin", db: "app")])
        func allowed(_ body: BSONDocument) -> Bool {
            guard case let .requires(requirements)? = AuthorizationTable.rule(for: body.first?.key ?? "", body: body, database: "app")
            else { return false }
            return requirements.allSatisfy { BuiltInRoles.allows(privileges, $0.actions, on: $0.resource) }
        }
        #expect(allowed(["updateRole": "r", "roles": ["read"]]))
        #expect(!allowed(["updateRole": "r", "roles": [["role": "readAnyDatabase", "db": "admin"]]]))
        #expect(allowed(["dropAllRolesFromDatabase": 1]))
        #expect(!BuiltInRoles.allows(BuiltInRoles.privileges(of: [RoleName(role: "readWrite", db: "app")]), [.dropRole], on: .database("app")))
    }
}
