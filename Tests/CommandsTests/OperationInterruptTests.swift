// Running operations and their interrupts without a server: killOp answers Interrupted
// (11601), shutdown answers InterruptedAtShutdown (11600) and wins over a later killOp.

import BSON
import Documents
import Testing
@testable import Commands

@Suite struct OperationInterruptTests {
    private func begin(_ table: OperationTable) -> Operation {
        table.begin(connectionID: 1, client: "127.0.0.1:1", command: ["find": "c"], namespace: "test.c",
                    startedAt: BSONDateTime(millisecondsSinceEpoch: 0))
    }

    @Test func shutdownInterruptsEveryRunningOperation() {
        let table = OperationTable()
        let first = begin(table)
        let second = begin(table)
        #expect(table.interruptAllForShutdown() == 2)
        #expect(first.isKilled && first.isInterruptedAtShutdown)
        #expect(second.isKilled && second.isInterruptedAtShutdown)
    }

    @Test func killOpIsNotAShutdownInterrupt() {
        let table = OperationTable()
        let operation = begin(table)
        #expect(table.kill(operation.id))
        #expect(operation.isKilled && !operation.isInterruptedAtShutdown)
    }

    @Test func killOpAfterShutdownKeepsTheShutdownReason() {
        let table = OperationTable()
        let operation = begin(table)
        _ = table.interruptAllForShutdown()
        _ = table.kill(operation.id)
        #expect(operation.isInterruptedAtShutdown)
    }

    @Test func finishedOperationsAreNotInterrupted() {
        let table = OperationTable()
        table.end(begin(table))
        #expect(table.interruptAllForShutdown() == 0)
    }

    @Test func interruptedAtShutdownIsMongoDBsCode() {
        #expect(MongoError.Code.interruptedAtShutdown.rawValue == 11600)
        #expect(MongoError.Code.interruptedAtShutdown.name == "InterruptedAtShutdown")
    }
}
