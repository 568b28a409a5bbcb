// TTLMonitor: the background task that runs TTL passes at an interval until stopped or until
// the store it serves is gone. Owns only the task; what a pass does is DocumentStore's
// removeExpiredDocuments.

internal import Synchronization

/// Runs a pass every interval on a detached background task.
///
/// The task holds no strong reference to the store between passes (the pass closure
/// captures it weakly), so it never keeps a store alive; it ends when stopped, when the pass
/// reports its store gone, or when the monitor is deinitialised with its store.
final class TTLMonitor: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    init() {}

    deinit {
        task.withLock { $0?.cancel() }
    }

    /// Whether a task is running.
    var isRunning: Bool {
        task.withLock { $0 != nil }
    }

    /// Starts (or restarts) running `pass` every `interval`; `pass` returns `false` to end.
    func start(every interval: Duration, pass: @escaping @Sendable () -> Bool) {
        task.withLock { current in
            current?.cancel()
            current = Task.detached(priority: .background) {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return
                    }
                    if Task.isCancelled || !pass() { return }
                }
            }
        }
    }

    /// Stops the task; a pass already running finishes.
    func stop() {
        task.withLock { current in
            current?.cancel()
            current = nil
        }
    }
}
