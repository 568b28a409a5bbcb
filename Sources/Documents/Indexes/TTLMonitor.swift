// TTLMonitor: the background task that runs TTL passes on a schedule it reads before every
// pass (so a changed interval or an on/off switch takes effect live), until stopped or until
// the store it serves is gone. Owns the task, its stop signal and the pass counters; what a
// pass does is DocumentStore's runTTLPass.

internal import Synchronization

/// When the TTL monitor runs: MongoDB's `ttlMonitorEnabled` and `ttlMonitorSleepSecs`.
public struct TTLSchedule: Sendable, Equatable {
    /// Whether passes run at all; a disabled monitor keeps its task and resumes when enabled.
    public var isEnabled: Bool
    /// The time from the start of one pass to the start of the next.
    public var interval: Duration

    /// A schedule; the defaults are mongod's (enabled, every 60 seconds).
    public init(isEnabled: Bool = true, interval: Duration = .seconds(60)) {
        self.isEnabled = isEnabled
        self.interval = interval
    }
}

/// A one-way flag a TTL pass checks before each batch and for each document, so that
/// shutdown stops it promptly, even inside a large batch.
public final class TTLStopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    /// A signal not yet raised.
    public init() {}

    /// Asks the pass to stop at its next document (a batch in progress is abandoned).
    public func requestStop() {
        flag.store(true, ordering: .relaxed)
    }

    /// Whether a stop was asked for.
    public var isStopRequested: Bool {
        flag.load(ordering: .relaxed)
    }
}

/// What TTL passes have done since the store opened: MongoDB's `serverStatus().metrics.ttl`.
public struct TTLStatistics: Sendable, Equatable {
    /// Passes run (`metrics.ttl.passes`).
    public var passes: Int64 = 0
    /// Sub-passes run; a pass runs another while some index had a full batch (`subPasses`).
    public var subPasses: Int64 = 0
    /// Documents the passes deleted (`deletedDocuments`).
    public var deletedDocuments: Int64 = 0

    /// No passes yet.
    public init() {}
}

/// Runs a pass on the schedule on a detached background task.
///
/// The task holds no strong reference to the store between passes (the pass closure
/// captures it weakly), so it never keeps a store alive; it ends when stopped, when the pass
/// reports its store gone, or when the monitor is deinitialised with its store.
final class TTLMonitor: Sendable {
    private struct Running: Sendable {
        let task: Task<Void, Never>
        let signal: TTLStopSignal
    }

    private let running = Mutex<Running?>(nil)
    private let counters = Mutex(TTLStatistics())

    init() {}

    deinit {
        running.withLock { current in
            current?.signal.requestStop()
            current?.task.cancel()
        }
    }

    /// Whether a task is running.
    var isRunning: Bool {
        running.withLock { $0 != nil }
    }

    /// The counters so far.
    var statistics: TTLStatistics {
        counters.withLock { $0 }
    }

    /// Adds one pass's figures to the counters.
    func record(subPasses: Int, deleted: Int) {
        counters.withLock { total in
            total.passes &+= 1
            total.subPasses &+= Int64(subPasses)
            total.deletedDocuments &+= Int64(deleted)
        }
    }

    /// Starts (or restarts) running `pass` whenever `schedule()` says one is due; `pass`
    /// returns `false` to end the task. The schedule is read at least once a second, so a
    /// shorter interval takes effect within a second and a longer one at the next pass.
    func start(schedule: @escaping @Sendable () -> TTLSchedule,
               pass: @escaping @Sendable (TTLStopSignal) async -> Bool) {
        let signal = TTLStopSignal()
        running.withLock { current in
            current?.signal.requestStop()
            current?.task.cancel()
            let task = Task.detached(priority: .background) {
                var lastPass = ContinuousClock.now
                while !Task.isCancelled && !signal.isStopRequested {
                    let current = schedule()
                    let due = lastPass + current.interval
                    let now = ContinuousClock.now
                    if now < due {
                        do {
                            try await Task.sleep(for: min(due - now, .seconds(1)))
                        } catch {
                            return
                        }
                        continue
                    }
                    lastPass = now
                    guard current.isEnabled else { continue }
                    if Task.isCancelled || signal.isStopRequested { return }
                    if !(await pass(signal)) { return }
                }
            }
            current = Running(task: task, signal: signal)
        }
    }

    /// Stops the task: a pass running now ends at its next document. Returns the task, for
    /// callers that wait for it to finish.
    @discardableResult
    func stop() -> Task<Void, Never>? {
        running.withLock { current in
            let task = current?.task
            current?.signal.requestStop()
            current?.task.cancel()
            current = nil
            return task
        }
    }
}
