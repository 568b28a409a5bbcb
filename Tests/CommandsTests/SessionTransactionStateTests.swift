// The session transaction state machine without a socket: starting, joining, committing
// and aborting by txnNumber, retryable-write replay, and MongoDB's errors for stale or
// unknown numbers.

import BSON
import Foundation
import Query
import Testing
import TestSupport
@testable import Commands

@Suite struct SessionTransactionStateTests {
    private func withStore(_ body: (QueryEngine) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-session-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(try QueryEngine(path: directory.path))
    }


    @Test func aTransactionStartsJoinsAndCommitsOnceThenCommitRepeats() throws {
        try withStore { store in
            var state = SessionTransactionState()
            let begin = { () throws(MongoError) -> QueryTransaction in try store.beginTransaction() }
            guard case let .run(started?) = try state.step(.startTransaction, number: 1, begin: begin) else {
                Issue.record("start did not open a transaction")
                return
            }
            guard case let .run(joined?) = try state.step(.continueTransaction, number: 1, begin: begin) else {
                Issue.record("a statement did not join")
                return
            }
            #expect(joined === started)
            guard case .commit(let committing?) = try state.step(.commit, number: 1, begin: begin) else {
                Issue.record("commit did not commit")
                return
            }
            #expect(committing === started)
            state.committed(number: 1)
            guard case .commit(nil) = try state.step(.commit, number: 1, begin: begin) else {
                Issue.record("a repeated commit must succeed without work")
                return
            }
            #expect(mongoErrorCode { _ = try state.step(.abort, number: 1, begin: begin) } == 256)
            #expect(mongoErrorCode { _ = try state.step(.continueTransaction, number: 1, begin: begin) } == 256)
            #expect(mongoErrorCode { _ = try state.step(.startTransaction, number: 0, begin: begin) } == 225)
            #expect(mongoErrorCode { _ = try state.step(.continueTransaction, number: 2, begin: begin) } == 251)
        }
    }

    @Test func anAbortedTransactionRefusesEveryLaterStatement() throws {
        try withStore { store in
            var state = SessionTransactionState()
            let begin = { () throws(MongoError) -> QueryTransaction in try store.beginTransaction() }
            guard case let .run(transaction?) = try state.step(.startTransaction, number: 4, begin: begin) else {
                Issue.record("start did not open a transaction")
                return
            }
            state.abort()
            #expect(transaction.state == .aborted)
            #expect(mongoErrorCode { _ = try state.step(.continueTransaction, number: 4, begin: begin) } == 251)
            #expect(mongoErrorCode { _ = try state.step(.commit, number: 4, begin: begin) } == 251)
            #expect(mongoErrorCode { _ = try state.step(.abort, number: 4, begin: begin) } == 251)
            #expect(mongoErrorCode { _ = try state.step(.startTransaction, number: 4, begin: begin) } == 117)
        }
    }

    @Test func aNewerNumberAbortsTheOpenTransaction() throws {
        try withStore { store in
            var state = SessionTransactionState()
            let begin = { () throws(MongoError) -> QueryTransaction in try store.beginTransaction() }
            guard case let .run(first?) = try state.step(.startTransaction, number: 1, begin: begin) else {
                Issue.record("start did not open a transaction")
                return
            }
            _ = try state.step(.retryableWrite, number: 2, begin: begin)
            #expect(first.state == .aborted)
            #expect(state.activeTransaction == nil)
        }
    }

    @Test func aRetryableWriteReplaysItsReplyForTheSameNumberOnly() throws {
        try withStore { store in
            var state = SessionTransactionState()
            let begin = { () throws(MongoError) -> QueryTransaction in try store.beginTransaction() }
            guard case .run(nil) = try state.step(.retryableWrite, number: 3, begin: begin) else {
                Issue.record("a first write must run")
                return
            }
            state.recordRetryableWrite(["n": 1], number: 3)
            guard case let .replay(reply) = try state.step(.retryableWrite, number: 3, begin: begin) else {
                Issue.record("a retry must replay")
                return
            }
            #expect(reply == ["n": 1])
            guard case .run(nil) = try state.step(.retryableWrite, number: 4, begin: begin) else {
                Issue.record("a new number must run")
                return
            }
            #expect(mongoErrorCode { _ = try state.step(.retryableWrite, number: 3, begin: begin) } == 225)
            #expect(mongoErrorCode { _ = try state.step(.commit, number: 4, begin: begin) } == 251)
        }
    }

    @Test func aWriteRecordedPerStatementIsRunAgainOnRetryEvenWhenItsReplyIsMissing() throws {
        try withStore { store in
            let begin = { () throws(MongoError) -> QueryTransaction in try store.beginTransaction() }
            // Restored after a crash mid-batch: a marker without a reply. An insert, update or
            // delete runs again (its statements' records say what is applied), not 217.
            var incomplete = SessionTransactionState()
            incomplete.restore(txnNumber: 8, reply: nil)
            guard case .retry = try incomplete.step(.retryableWrite, number: 8, perStatement: true, begin: begin) else {
                Issue.record("a retry of a write recorded per statement must run again")
                return
            }
            #expect(mongoErrorCode { _ = try incomplete.step(.retryableWrite, number: 8, begin: begin) } == 217)
            #expect(mongoErrorCode { _ = try incomplete.step(.retryableWrite, number: 7, perStatement: true, begin: begin) } == 225)

            var replied = SessionTransactionState()
            guard case .run(nil) = try replied.step(.retryableWrite, number: 3, perStatement: true, begin: begin) else {
                Issue.record("a new number must run")
                return
            }
            replied.recordRetryableWrite(["n": 3, "ok": 1.0], number: 3)
            guard case .retry = try replied.step(.retryableWrite, number: 3, perStatement: true, begin: begin) else {
                Issue.record("a resent write recorded per statement runs again (it may carry more statements)")
                return
            }
            guard case .replay = try replied.step(.retryableWrite, number: 3, begin: begin) else {
                Issue.record("a write recorded as a whole replays")
                return
            }
        }
    }

    @Test func aRestoredRecordReplaysRefusesAnIncompleteOneAndLetsNewerNumbersRun() throws {
        try withStore { store in
            let begin = { () throws(MongoError) -> QueryTransaction in try store.beginTransaction() }
            var replayed = SessionTransactionState()
            replayed.restore(txnNumber: 8, reply: ["n": 1, "ok": 1.0])
            #expect(replayed.restored)
            guard case let .replay(reply) = try replayed.step(.retryableWrite, number: 8, begin: begin) else {
                Issue.record("a retry of the restored number must replay")
                return
            }
            #expect(reply == ["n": 1, "ok": 1.0])
            #expect(mongoErrorCode { _ = try replayed.step(.retryableWrite, number: 7, begin: begin) } == 225)

            var incomplete = SessionTransactionState()
            incomplete.restore(txnNumber: 8, reply: nil)
            #expect(mongoErrorCode { _ = try incomplete.step(.retryableWrite, number: 8, begin: begin) } == 217)
            #expect(mongoErrorCode { _ = try incomplete.step(.retryableWrite, number: 8, begin: begin) } == 217)
            guard case .run(nil) = try incomplete.step(.retryableWrite, number: 9, begin: begin) else {
                Issue.record("a newer number must run")
                return
            }

            // Only a session with no statement yet restores.
            var busy = SessionTransactionState()
            _ = try busy.step(.retryableWrite, number: 20, begin: begin)
            busy.restore(txnNumber: 8, reply: nil)
            #expect(busy.txnNumber == 20)
        }
    }

    @Test func theLifetimeLimitAbortsOnlyOldTransactions() throws {
        try withStore { store in
            var state = SessionTransactionState()
            let begin = { () throws(MongoError) -> QueryTransaction in try store.beginTransaction() }
            _ = try state.step(.startTransaction, number: 1, begin: begin)
            let early = state.abort(ifOlderThan: .seconds(60), now: .now)
            #expect(!early)
            let late = state.abort(ifOlderThan: .seconds(60), now: .now + .seconds(61))
            #expect(late)
            #expect(mongoErrorCode { _ = try state.step(.commit, number: 1, begin: begin) } == 251)
        }
    }
}
