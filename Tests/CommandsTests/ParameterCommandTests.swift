// The parameter registry's checks (types, bounds, NaN/±Inf/-0.0/huge numbers, command-line
// text, settability), getParameter / setParameter through the dispatcher (replies, `was`,
// MongoDB's codes, cursorTimeoutMillis live) and ClientNumber's checked conversion (maxTimeMS).

import BSON
@testable import Commands
import Documents
import Foundation
import Testing

/// The error code `body` throws, or `nil` when it succeeds.
private func errorCode(_ body: () throws(MongoError) -> Void) -> Int32? {
    do {
        try body()
        return nil
    } catch {
        return error.code.rawValue
    }
}

@Suite struct ParameterRegistryTests {
    @Test func defaultsAreMongodsAndTheTTLScheduleFollowsThem() {
        let parameters = ServerParameters()
        #expect(parameters.value("ttlMonitorSleepSecs") == .int32(60))
        #expect(parameters.value("ttlMonitorEnabled") == .bool(true))
        #expect(parameters.value("enableTestCommands") == .bool(false))
        #expect(parameters.value("cursorTimeoutMillis") == .int64(600_000))
        #expect(parameters.ttlSchedule == TTLSchedule(isEnabled: true, interval: .seconds(60)))
        #expect(parameters.all.keys.starts(with: ["ttlMonitorEnabled", "ttlMonitorSleepSecs"]))
    }

    @Test func integerParametersTakeExactIntegersOfEveryNumericType() throws {
        let parameters = ServerParameters()
        for value: BSONValue in [.int32(5), .int64(5), .double(5), .decimal128(try Decimal128(parsing: "5.000")),
                                 .decimal128(try Decimal128(parsing: "50E-1"))] {
            #expect(errorCode { () throws(MongoError) in try parameters.set("ttlMonitorSleepSecs", to: value) } == nil)
            #expect(parameters.value("ttlMonitorSleepSecs") == .int32(5))
        }
        #expect(parameters.ttlSchedule.interval == .seconds(5))
    }

    @Test func integerParametersRejectNonIntegersAndValuesOutOfRangeWithBadValue() throws {
        let parameters = ServerParameters()
        let rejected: [BSONValue] = [
            .int64(.min), .int64(.max), .int64(Int64(Int32.max) + 1), .int32(0), .int32(-1),
            .double(.nan), .double(.infinity), .double(-.infinity), .double(-0.0), .double(0.5), .double(1.5),
            .double(1e300), .double(9.223372036854775808e18),
            .decimal128(try Decimal128(parsing: "NaN")), .decimal128(try Decimal128(parsing: "Infinity")),
            .decimal128(try Decimal128(parsing: "-Infinity")), .decimal128(try Decimal128(parsing: "1E+6000")),
            .decimal128(try Decimal128(parsing: "9223372036854775808")), .decimal128(try Decimal128(parsing: "-0")),
            .decimal128(try Decimal128(parsing: "1.5")),
            .string("60"), .bool(true), .null, .array([.int32(60)]), .document(["n": .int32(60)]),
        ]
        for value in rejected {
            #expect(errorCode { () throws(MongoError) in try parameters.set("ttlMonitorSleepSecs", to: value) } == 2,
                    "\(value.extendedJSON())")
        }
        #expect(parameters.value("ttlMonitorSleepSecs") == .int32(60))
    }

    @Test func wideIntegerParametersReachInt64Max() {
        let parameters = ServerParameters()
        let was = try? parameters.set("cursorTimeoutMillis", to: .int64(.max))
        #expect(was == .int64(600_000))
        #expect(parameters.value("cursorTimeoutMillis") == .int64(.max))
        #expect(errorCode { () throws(MongoError) in try parameters.set("cursorTimeoutMillis", to: .int64(-1)) } == 2)
        #expect(errorCode { () throws(MongoError) in try parameters.set("cursorTimeoutMillis", to: .double(1e19)) } == 2)
    }

    @Test func booleanParametersTakeBooleansAndZeroOrOne() {
        let parameters = ServerParameters()
        #expect((try? parameters.set("ttlMonitorEnabled", to: .int32(0))) == .bool(true))
        #expect(parameters.ttlSchedule.isEnabled == false)
        #expect((try? parameters.set("ttlMonitorEnabled", to: .double(1))) == .bool(false))
        for value: BSONValue in [.int32(2), .double(.nan), .double(0.5), .string("true"), .null] {
            #expect(errorCode { () throws(MongoError) in try parameters.set("ttlMonitorEnabled", to: value) } == 2)
        }
        #expect(parameters.value("ttlMonitorEnabled") == .bool(true))
    }

    @Test func unknownNamesAreInvalidOptionsAndFixedOnesCannotChangeAtRuntime() {
        let parameters = ServerParameters()
        #expect(errorCode { () throws(MongoError) in try parameters.set("noSuchParameter", to: .int32(1)) } == 72)
        #expect(errorCode { () throws(MongoError) in try parameters.set("enableTestCommands", to: .bool(true)) } == 20)
        #expect(errorCode { () throws(MongoError) in
            try parameters.set("featureCompatibilityVersion", to: .document(["version": "6.0"]))
        } == 20)
    }

    @Test func startupTextIsCheckedLikeAClientValueAndReportedAsGiven() {
        let parameters = ServerParameters()
        #expect(errorCode { () throws(MongoError) in try parameters.setAtStartup("ttlMonitorSleepSecs=2") } == nil)
        #expect(errorCode { () throws(MongoError) in try parameters.setAtStartup("enableTestCommands=1") } == nil)
        #expect(parameters.value("ttlMonitorSleepSecs") == .int32(2))
        #expect(parameters.value("enableTestCommands") == .bool(true))
        #expect(parameters.startupSettings == ["ttlMonitorSleepSecs": "2", "enableTestCommands": "1"])
        for bad in ["ttlMonitorSleepSecs=0", "ttlMonitorSleepSecs=1.5", "ttlMonitorSleepSecs=abc",
                    "ttlMonitorSleepSecs=99999999999999999999", "ttlMonitorSleepSecs", "ttlMonitorEnabled=yes",
                    "featureCompatibilityVersion=6.0"] {
            #expect(errorCode { () throws(MongoError) in try parameters.setAtStartup(bad) } == 2, "\(bad)")
        }
        #expect(errorCode { () throws(MongoError) in try parameters.setAtStartup("nope=1") } == 72)
        #expect(parameters.value("ttlMonitorSleepSecs") == .int32(2))
    }

    @Test func aConfiguredDefaultDoesNotReplaceAStartupSetting() {
        let parameters = ServerParameters()
        parameters.configureDefault("cursorTimeoutMillis", .int64(20))
        #expect(parameters.value("cursorTimeoutMillis") == .int64(20))
        #expect(errorCode { () throws(MongoError) in try parameters.setAtStartup("cursorTimeoutMillis=1000") } == nil)
        parameters.configureDefault("cursorTimeoutMillis", .int64(20))
        #expect(parameters.value("cursorTimeoutMillis") == .int64(1000))
    }
}

@Suite struct ParameterCommandTests {
    @Test func getParameterStarNamedAndWithDetails() throws {
        try CommandTestServer.with { server in
            let all = server.run(["getParameter": "*"], database: "admin")
            for name in ["ttlMonitorSleepSecs", "ttlMonitorEnabled", "enableTestCommands", "authenticationMechanisms",
                         "featureCompatibilityVersion", "transactionLifetimeLimitSeconds", "cursorTimeoutMillis", "logLevel"] {
                #expect(all[name] != nil, "\(name)")
            }
            let everything = server.run(["getParameter": ["allParameters": true]], database: "admin")
            #expect(everything["ttlMonitorSleepSecs"] == .int32(60))
            let named = server.run(["getParameter": 1, "ttlMonitorEnabled": 1], database: "admin")
            #expect(named.keys == ["ttlMonitorEnabled", "ok", "operationTime", "$clusterTime"])
            let details = server.run(["getParameter": ["showDetails": true], "featureCompatibilityVersion": 1],
                                     database: "admin")
            #expect(details.value(at: "featureCompatibilityVersion.value.version") == "8.0")
            #expect(details.value(at: "featureCompatibilityVersion.settableAtRuntime") == .bool(false))
        }
    }

    @Test func setParameterRepliesWithWasAndErrorsWithMongoDBsCodes() throws {
        try CommandTestServer.with { server in
            let set = server.run(["setParameter": 1, "ttlMonitorSleepSecs": 5], database: "admin")
            #expect(set["was"] == .int32(60))
            #expect(server.dispatcher.parameters.ttlSchedule.interval == .seconds(5))
            #expect(server.run(["setParameter": 1, "ttlMonitorSleepSecs": 5], database: "test").code == 13)
            let unknown = server.run(["setParameter": 1, "noSuchParameter": 1], database: "admin")
            #expect(unknown.code == 72)
            #expect(unknown["errmsg"]?.stringValue?.hasPrefix("attempted to set unrecognized parameter [noSuchParameter]") == true)
            #expect(server.run(["setParameter": 1, "ttlMonitorSleepSecs": .double(.nan)], database: "admin").code == 2)
            #expect(server.run(["setParameter": 1, "ttlMonitorSleepSecs": -1], database: "admin").code == 2)
            #expect(server.run(["setParameter": 1], database: "admin").code == 4)
            // One bad name leaves the good one before it unchanged.
            let mixed = server.run(["setParameter": 1, "ttlMonitorSleepSecs": 9, "logLevel": 9], database: "admin")
            #expect(mixed.code == 2)
            #expect(server.dispatcher.parameters.value("ttlMonitorSleepSecs") == .int32(5))
        }
    }

    @Test func cursorTimeoutMillisChangedAtRuntimeReapsIdleCursors() throws {
        try CommandTestServer.with { server in
            _ = server.run(["insert": "c", "documents": .array((0..<5).map { .document(["_id": .int32(Int32($0))]) })])
            let opened = server.run(["find": "c", "batchSize": 1])
            let cursor = opened.value(at: "cursor.id")
            #expect(cursor?.int64Value != 0)
            server.dispatcher.reapIdleCursors()
            #expect(server.run(["getMore": cursor ?? .null, "collection": "c", "batchSize": 1]).ok == 1)
            #expect(server.run(["setParameter": 1, "cursorTimeoutMillis": 1], database: "admin").ok == 1)
            Thread.sleep(forTimeInterval: 0.05)
            server.dispatcher.reapIdleCursors()
            #expect(server.run(["serverStatus": 1]).value(at: "metrics.cursor.timedOut") == .int64(1))
            #expect(server.run(["getMore": cursor ?? .null, "collection": "c"]).code == 43)
        }
    }
}


@Suite struct MaxTimeMSTests {
    /// maxTimeMS as an infinite or huge Decimal128 trapped in `Int64(Double)`; now BadValue.
    @Test func maxTimeMSAsAnInfiniteOrHugeDecimalIsBadValue() throws {
        try CommandTestServer.with { server in
            for text in ["Infinity", "-Infinity", "NaN", "1E+6000", "1E+20"] {
                let reply = server.run(["find": "c", "maxTimeMS": .decimal128(try Decimal128(parsing: text))])
                #expect(reply.code == 2, "\(text)")
            }
            #expect(server.run(["find": "c", "maxTimeMS": .decimal128(try Decimal128(parsing: "1000"))]).ok == 1)
        }
    }
}
