// GroupCommit's state machine without RocksDB: who leads a sync, who waits, that a failed
// sync is final (healthy → failed): no second sync, no later acknowledgement, and that a full
// disk only suspends syncs until a write is appended again (healthy → suspended → healthy).

import BSON
import Foundation
import Storage
import Synchronization
import Testing
@testable import Documents

struct GroupCommitTests {
    private let eio = StorageError(.flushWAL, path: "/db", status: "IO error: While fsync: a file: Input/output error")
    private let enospc = StorageError(.write, path: "/db", status: "IO error: No space left on device: While appending to file: /db/000004.log")
    private let fsyncENOSPC = StorageError(.write, path: "/db", status: "IO error: No space left on device: While fdatasync: /db/000004.log")

    @Test func firstWaiterLeadsAndLaterWaitersWait() {
        var machine = GroupCommitStateMachine()
        let first = machine.issueTicket()
        let second = machine.issueTicket()
        #expect(machine.next(for: first) == .lead(through: 2))
        #expect(machine.next(for: second) == .wait)
        machine.syncSucceeded(through: 2)
        #expect(machine.next(for: first) == .durable)
        #expect(machine.next(for: second) == .durable)
        #expect(machine.health == .healthy)
    }

    @Test func ticketIssuedDuringASyncNeedsTheNextRound() {
        var machine = GroupCommitStateMachine()
        let first = machine.issueTicket()
        #expect(machine.next(for: first) == .lead(through: 1))
        let late = machine.issueTicket()
        #expect(machine.next(for: late) == .wait)
        machine.syncSucceeded(through: 1)
        #expect(machine.next(for: late) == .lead(through: 2))
    }

    @Test func failedSyncFailsEveryUncoveredTicketAndNeverLeadsAgain() {
        var machine = GroupCommitStateMachine()
        let first = machine.issueTicket()
        let second = machine.issueTicket()
        #expect(machine.next(for: first) == .lead(through: 2))
        machine.syncFailed(eio)
        #expect(machine.health == .failed(eio))
        #expect(machine.next(for: first) == .fail(eio))
        #expect(machine.next(for: second) == .fail(eio))
        let later = machine.issueTicket()
        #expect(machine.next(for: later) == .fail(eio))
    }

    /// A machine whose first ticket (returned) was covered by a successful sync.
    private static func oneSyncedTicket() -> (GroupCommitStateMachine, UInt64) {
        var machine = GroupCommitStateMachine()
        let early = machine.issueTicket()
        #expect(machine.next(for: early) == .lead(through: 1))
        machine.syncSucceeded(through: 1)
        return (machine, early)
    }

    @Test func ticketsSyncedBeforeTheFailureStayDurable() {
        var (machine, early) = Self.oneSyncedTicket()
        let late = machine.issueTicket()
        #expect(machine.next(for: late) == .lead(through: 2))
        machine.syncFailed(eio)
        #expect(machine.next(for: early) == .durable)
        #expect(machine.next(for: late) == .fail(eio))
    }

    @Test func failedWalAppendFailsLaterTicketsWithoutASync() {
        var (machine, early) = Self.oneSyncedTicket()
        machine.writeFailed(eio)
        #expect(machine.health == .failed(eio))
        #expect(machine.next(for: early) == .durable)
        #expect(machine.next(for: machine.issueTicket()) == .fail(eio))
    }

    @Test func fullDiskSuspendsSyncsUntilAWriteIsAppendedAgain() {
        var (machine, early) = Self.oneSyncedTicket()
        let unsynced = machine.issueTicket()
        machine.writeFailed(enospc)
        #expect(machine.health == .suspended(enospc))
        // No sync of the WAL whose append failed: waiters fail, the background sync idles.
        #expect(machine.next(for: unsynced) == .fail(enospc))
        #expect(machine.unsyncedTicket == nil)
        #expect(machine.next(for: early) == .durable)
        // A write appended again: the engine recovered; the next waiter leads a sync that
        // covers every ticket, the one that failed to wait included.
        let resumed = machine.issueTicket()
        #expect(machine.health == .healthy)
        #expect(machine.next(for: resumed) == .lead(through: resumed))
        machine.syncSucceeded(through: resumed)
        #expect(machine.next(for: unsynced) == .durable)
    }

    @Test func syncRunningWhenAnAppendFailsAcknowledgesNothing() {
        var (machine, early) = Self.oneSyncedTicket()
        let covered = machine.issueTicket()
        #expect(machine.next(for: covered) == .lead(through: covered))
        // Another writer's append fails while the sync runs; the sync then reports success.
        machine.writeFailed(eio)
        machine.syncSucceeded(through: covered)
        #expect(machine.synced == early)
        #expect(machine.next(for: covered) == .fail(eio))
        #expect(machine.next(for: early) == .durable)
        #expect(machine.next(for: machine.issueTicket()) == .fail(eio))
    }

    @Test func syncRunningWhenTheDiskFillsWaitsForASyncAfterRecovery() {
        var machine = GroupCommitStateMachine()
        let covered = machine.issueTicket()
        #expect(machine.next(for: covered) == .lead(through: covered))
        machine.writeFailed(enospc)
        machine.syncSucceeded(through: covered)
        #expect(machine.next(for: covered) == .fail(enospc))
        // Recovered: the ticket is acknowledged only by a sync led after the failure.
        let resumed = machine.issueTicket()
        #expect(machine.next(for: covered) == .lead(through: resumed))
        machine.syncSucceeded(through: resumed)
        #expect(machine.next(for: covered) == .durable)
    }

    @Test func groupCommitFailsWaitersOfASyncThatOverlappedAFailedAppend() {
        let groupCommit = GroupCommit()
        let eio = self.eio
        let ticket = groupCommit.ticket()
        // The append fails from inside the running sync, which then succeeds.
        #expect(throws: eio) {
            try groupCommit.waitUntilSynced(ticket) { () throws(StorageError) in groupCommit.writeFailed(eio) }
        }
        #expect(groupCommit.failure == eio)
        #expect(groupCommit.batches.figures.writes == 0)
    }

    @Test func fsyncFailureIsFinalEvenWithNoSpaceOrWhileSuspended() {
        var machine = GroupCommitStateMachine()
        _ = machine.next(for: machine.issueTicket())
        machine.syncFailed(fsyncENOSPC)
        #expect(machine.health == .failed(fsyncENOSPC))
        _ = machine.issueTicket()
        #expect(machine.health == .failed(fsyncENOSPC))

        var suspended = GroupCommitStateMachine()
        suspended.writeFailed(enospc)
        suspended.writeFailed(eio)
        #expect(suspended.health == .failed(eio))
        _ = suspended.issueTicket()
        #expect(suspended.health == .failed(eio))
        #expect(suspended.next(for: suspended.issueTicket()) == .fail(eio))
    }

    @Test func unsyncedTicketIsTheNewestUntilASyncCoversIt() {
        var machine = GroupCommitStateMachine()
        #expect(machine.unsyncedTicket == nil)
        _ = machine.issueTicket()
        let second = machine.issueTicket()
        #expect(machine.unsyncedTicket == second)
        #expect(machine.next(for: second) == .lead(through: 2))
        machine.syncSucceeded(through: 2)
        #expect(machine.unsyncedTicket == nil)
        _ = machine.issueTicket()
        machine.writeFailed(eio)
        #expect(machine.unsyncedTicket == nil)
    }

    @Test func firstFailureIsKept() {
        var machine = GroupCommitStateMachine()
        _ = machine.next(for: machine.issueTicket())
        machine.syncFailed(eio)
        machine.syncFailed(enospc)
        #expect(machine.health == .failed(eio))
    }

    @Test func groupCommitDoesNotRetryAFailedSync() {
        let groupCommit = GroupCommit()
        let calls = Atomic<Int>(0)
        let eio = self.eio
        let failingSync = { () throws(StorageError) in
            calls.add(1, ordering: .relaxed)
            throw eio
        }
        let first = groupCommit.ticket()
        #expect(throws: eio) { try groupCommit.waitUntilSynced(first, sync: failingSync) }
        let second = groupCommit.ticket()
        #expect(throws: eio) { try groupCommit.waitUntilSynced(second) { () throws(StorageError) in } }
        #expect(calls.load(ordering: .relaxed) == 1)
        #expect(groupCommit.failure == eio)
        #expect(groupCommit.syncCount.load(ordering: .relaxed) == 0)
    }

    @Test func waitersOfAFailedSyncFailWithoutSyncingAgain() {
        let groupCommit = GroupCommit()
        let calls = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let eio = self.eio
        let writers = 8
        let tickets = (0 ..< writers).map { _ in groupCommit.ticket() }
        let group = DispatchGroup()
        for ticket in tickets {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    try groupCommit.waitUntilSynced(ticket) { () throws(StorageError) in
                        calls.add(1, ordering: .relaxed)
                        Thread.sleep(forTimeInterval: 0.05)
                        throw eio
                    }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }.start()
        }
        group.wait()
        #expect(calls.load(ordering: .relaxed) == 1)
        #expect(failures.load(ordering: .relaxed) == writers)
    }

    @Test func noSpaceMapsToOutOfDiskSpaceAndOtherFailuresToInternalError() {
        #expect(MongoError.journalFailed(enospc).code == .outOfDiskSpace)
        #expect(!MongoError.journalFailed(enospc).message.contains("restart"))
        #expect(MongoError.journalFailed(fsyncENOSPC).code == .outOfDiskSpace)
        #expect(MongoError.journalFailed(fsyncENOSPC).message.contains("restart"))
        #expect(MongoError.journalFailed(eio).code == .internalError)
        #expect(MongoError.journalFailed(eio).message.contains("Input/output error"))
        #expect(MongoError.storage(enospc).code.rawValue == 14031)
        #expect(MongoError.storage(eio).isStorageFailure)
    }
}

/// Group commit's batch-size figures: each successful sync counts the tickets it covered.
struct GroupCommitBatchTests {
    @Test func batchesCountTheTicketsEachSyncCovers() throws {
        let commit = GroupCommit()
        let first = commit.ticket()
        try commit.waitUntilSynced(first) { () throws(StorageError) in }
        let tickets = (0..<5).map { _ in commit.ticket() }
        try commit.waitUntilSynced(tickets[4]) { () throws(StorageError) in }
        // Covered already: no sync, nothing counted.
        try commit.waitUntilSynced(tickets[0]) { () throws(StorageError) in }
        let figures = commit.batches.figures
        #expect(figures.batches == 2)
        #expect(figures.writes == 6)
        #expect(figures.largestBatch == 5)
        let bounds = GroupCommitFigures.bucketBounds
        #expect(figures.bucketCounts.count == bounds.count + 1)
        #expect(figures.bucketCounts[bounds.firstIndex(of: 1) ?? -1] == 1)
        #expect(figures.bucketCounts[bounds.firstIndex { $0 >= 5 } ?? -1] == 1)
    }

    @Test func aFailedSyncIsNotABatch() {
        let commit = GroupCommit()
        let ticket = commit.ticket()
        #expect(throws: StorageError.self) {
            try commit.waitUntilSynced(ticket) { () throws(StorageError) in
                throw StorageError(.flushWAL, path: "/db", status: "IO error: fsync")
            }
        }
        #expect(commit.batches.figures.batches == 0 && commit.batches.figures.writes == 0)
    }

    @Test func batchesBeyondTheLastBoundLandInTheOpenBucket() {
        let batches = GroupCommitBatches()
        let beyond = (GroupCommitFigures.bucketBounds.last ?? 0) + 1
        batches.record(beyond)
        #expect(batches.figures.bucketCounts.last == 1)
        #expect(batches.figures.largestBatch == Int64(beyond))
    }
}
