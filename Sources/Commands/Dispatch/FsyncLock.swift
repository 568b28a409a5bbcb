// FsyncLock: `fsync: 1, lock: true` and `fsyncUnlock` — a lock count; while it is above zero
// write commands wait before they run (reads go on), so the files on disk stay as the fsync
// left them for a file-level snapshot. A waiting write polls killOp and its maxTimeMS.

import BSON
import Synchronization

/// The fsync lock's count and the wait of writes.
final class FsyncLock: Sendable {
    /// Commands that wait while the lock is held.
    static let writes: Set<String> = [
        "insert", "update", "delete", "findAndModify", "findandmodify", "bulkWrite", "create", "drop", "dropDatabase",
        "createIndexes", "dropIndexes", "deleteIndexes", "collMod", "renameCollection", "compact",
    ]

    private let count = Atomic<Int64>(0)

    /// How many times it is locked.
    var lockCount: Int64 { count.load(ordering: .acquiring) }

    /// Locks once more; returns the new count.
    func lock() -> Int64 { count.add(1, ordering: .acquiringAndReleasing).newValue }

    /// Unlocks once; returns the new count.
    ///
    /// - Throws: `IllegalOperation` (20) when it is not locked.
    func unlock() throws(MongoError) -> Int64 {
        while true {
            let current = count.load(ordering: .acquiring)
            guard current > 0 else { throw MongoError(.illegalOperation, "fsyncUnlock called when not locked") }
            if count.compareExchange(expected: current, desired: current - 1, ordering: .acquiringAndReleasing).exchanged {
                return current - 1
            }
        }
    }

    /// Waits while locked when command `name` writes.
    ///
    /// - Throws: `Interrupted` (11601) on killOp, `MaxTimeMSExpired` (50) past `deadline`.
    func waitIfLocked(_ name: String, operation: Operation, deadline: ContinuousClock.Instant?) throws(MongoError) {
        guard count.load(ordering: .acquiring) > 0, Self.writes.contains(name) else { return }
        while count.load(ordering: .acquiring) > 0 {
            if operation.isKilled { throw MongoError(.interrupted, "operation was interrupted") }
            if let deadline, ContinuousClock.now >= deadline {
                throw MongoError(.maxTimeMSExpired, "operation exceeded time limit")
            }
            PoolThread.sleep(.milliseconds(5))
        }
    }
}
