// The engine's view of commit progress for readers that wait on it without a thread: the
// newest committed sequence and one-shot commit notifications (change streams and tailable
// cursors parked on an event loop). Forwards to the change log; never blocks.

public import Documents

extension QueryEngine {
    /// The sequence number of the newest committed write (0 before the first).
    public var latestCommitSequence: UInt64 {
        store.changeLog.latestSequence
    }

    /// Calls `onCommit` once when a write newer than `sequence` commits; nil (and no call)
    /// when one already has. The callback runs on the committing thread: keep it cheap.
    public func notifyOnCommit(after sequence: UInt64,
                               _ onCommit: @escaping @Sendable () -> Void) -> ChangeLog.CommitWatch? {
        store.changeLog.notifyAfter(sequence, onCommit)
    }

    /// How many commit notifications wait (parked feed getMores, for serverStatus).
    public var commitNotificationCount: Int {
        store.changeLog.commitWatcherCount
    }

    /// Forgets a commit notification that is no longer wanted.
    public func cancelCommitNotification(_ watch: ChangeLog.CommitWatch) {
        store.changeLog.cancel(watch)
    }
}
