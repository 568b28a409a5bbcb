// ChangeLogFollower: on an engine several Tessera servers share (PostgreSQL), brings the other
// servers' change log entries to this server's readers. A thread of its own reads the log's
// newest key every interval and advances the log's position, which wakes change streams and
// tailable cursors. Owns only that schedule; this server's own commits wake readers at once
// through ChangeLog.publish, without waiting for a poll.

internal import Foundation
internal import Synchronization

/// The poller of one shared change log.
///
/// A dedicated thread (the read blocks on the database; it must not occupy an event loop or
/// the cooperative pool) sleeps `interval`, then runs ``ChangeLog/catchUp()``. It holds the
/// log weakly and ends once the log is gone or ``stop()`` is called. A failed read (the
/// database unreachable) is retried at the next interval: readers then see other servers'
/// entries late, never out of order, because the position only ever moves to a committed key.
final class ChangeLogFollower: Sendable {
    private let stopped = Atomic<Bool>(false)
    /// Signalled by ``stop()`` to cut the thread's sleep short.
    private let wake = DispatchSemaphore(value: 0)
    /// Polls run (successful or not), for diagnostics and tests.
    let pollCount = Atomic<Int>(0)

    /// Starts the thread polling `log` every `interval` (at least 1 ms).
    init(log: ChangeLog, interval: Duration) {
        let milliseconds = interval.components.seconds.multipliedReportingOverflow(by: 1000)
        let total = milliseconds.overflow ? Int64.max : milliseconds.partialValue &+ interval.components.attoseconds / 1_000_000_000_000_000
        let pause = Int(clamping: max(1, min(total, 60_000)))
        weak let weakLog = log
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                _ = wake.wait(timeout: .now() + .milliseconds(pause))
                guard !stopped.load(ordering: .acquiring), let log = weakLog else { return }
                // A failed read only delays other servers' entries until the next poll.
                try? log.catchUp()
                pollCount.add(1, ordering: .relaxed)
            }
        }
        thread.name = "tessera-changelog-follower"
        thread.start()
    }

    /// Ends the thread at its next wake (does not wait: the log's deinit may run on it).
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
    }
}
