// The profiler's per-command hook with profiling off: what it costs (printed, in nanoseconds
// per command — a debug build's figure unless run with `-c release`), and that it then writes
// nothing. Also the per-statement record an update or delete leaves for it.

import BSON
import Foundation
import Logging
import Query
import TestSupport
import Testing
@testable import Commands

@Suite struct ProfilerHookCostTests {
    static let iterations = 200_000

    /// Nanoseconds per call of `body`, over `iterations` calls.
    static func nanosecondsPerCall(_ body: () -> Void) -> Double {
        let started = ContinuousClock.now
        for _ in 0..<iterations { body() }
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        return (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(iterations)
    }

    @Test func theHookWithProfilingOffCostsAFewLoadsAndWritesNothing() throws {
        try CommandTestServer.with { server in
            let state = server.dispatcher.server
            let request = CommandRequest(database: "test", body: ["find": "c", "filter": ["_id": 1]])
            let connection = ConnectionInfo(id: 1, remoteAddress: "127.0.0.1:51", localAddress: "127.0.0.1:27017",
                                            availableCompressors: [])
            let operation = state.operations.begin(connectionID: 1, client: "127.0.0.1:51", command: request.body,
                                                   namespace: "test.c", startedAt: WallClock.now())
            defer { state.operations.end(operation) }
            let finished = FinishedCommand(name: "find", request: request, connection: connection, operation: operation,
                                           reply: ["cursor": ["id": .int64(0), "firstBatch": []], "ok": 1.0],
                                           duration: .microseconds(20))
            let logBefore = state.log.total
            let hook = Self.nanosecondsPerCall { state.profiler.finished(finished, server: state) }
            let baseline = Self.nanosecondsPerCall { _ = Profiler.milliseconds(finished.duration) }
            let statementMark = Self.nanosecondsPerCall {
                StatementMark(operation).finish(request.body, .update(matched: 1, modified: 1, upserted: 0))
            }
            print("profiler hook, profiling off: \(String(format: "%.1f", hook)) ns/command "
                  + "(duration conversion alone \(String(format: "%.1f", baseline)) ns); "
                  + "per-statement record \(String(format: "%.1f", statementMark)) ns/statement")
            #expect(state.log.total == logBefore)
            #expect(server.run(["listCollections": 1, "filter": ["name": "system.profile"]])["cursor"]?
                .documentValue?["firstBatch"]?.arrayValue?.isEmpty == true)
            #expect(operation.statements.all.count == Self.iterations)
        }
    }
}
