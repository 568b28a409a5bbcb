// The engine's view of commit progress: the newest committed sequence, one-shot commit
// notifications for readers parked on an event loop without a thread (change streams and
// tailable cursors), and the blocking wait a reader on its own thread uses. Forwards to the
// change log.

public import Documents

extension QueryEngine {
    /// The sequence number of the newest committed write (0 before the first).
    public var latestCommitSequence: UInt64 {
        store.changeLog.latestSequence
    }

    /// Calls `onCommit` once when a write newer than `sequence` commits; nil (and no call)
    /// when one already has. The callback runs on the committing thread: keep it cheap.
    public func notifyOnCommit(after sequence: UInt64,
                               _ onCommit: @escaping @Sendable () -> Void) -> CommitWatch? {
        store.changeLog.notifyAfter(sequence, onCommit)
    }

    /// How many commit notifications wait (parked feed getMores, for serverStatus).
    public var commitNotificationCount: Int {
        store.changeLog.commitWatcherCount
    }

    /// Forgets a commit notification that is no longer wanted.
    public func cancelCommitNotification(_ watch: CommitWatch) {
        store.changeLog.cancel(watch)
    }

    /// Blocks the calling thread until a write newer than `sequence` commits or `deadline`
    /// passes; returns whether one committed. Never call it on an event loop.
    public func waitForCommit(after sequence: UInt64, until deadline: ContinuousClock.Instant) -> Bool {
        store.changeLog.waitForEntries(after: sequence, until: deadline)
    }
}
