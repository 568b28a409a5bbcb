// Failed logins by remote host, so password guessing from one address slows to a crawl: after
// `authFailedLoginLimit` failures inside `authFailedLoginWindowSecs`, that host's further
// attempts fail at once (18, without looking at the password) until its window ends. Bounded
// in memory: at most `capacity` hosts, expired windows dropped first, then the oldest.

import Synchronization

/// The failed-login table.
final class LoginThrottle: Sendable {
    /// One host's failures in its current window.
    struct Window: Sendable, Equatable {
        /// When the first failure of the window happened.
        var start: ContinuousClock.Instant
        /// Failures since then.
        var failures: Int
    }

    /// The most hosts remembered.
    let capacity: Int
    private let windows = Mutex<[String: Window]>([:])

    /// A throttle remembering at most `capacity` hosts.
    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// Whether `host` has used up its `limit` failures in the window of `length` that is
    /// still open at `now` (never when `limit` is 0).
    func isBlocked(_ host: String, limit: Int, window length: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        guard limit > 0, let window = windows.withLock({ $0[host] }) else { return false }
        return now - window.start < length && window.failures >= limit
    }

    /// Counts a failed login from `host`.
    func recordFailure(_ host: String, window length: Duration, now: ContinuousClock.Instant = .now) {
        windows.withLock { windows in
            if var window = windows[host], now - window.start < length {
                window.failures += 1
                windows[host] = window
                return
            }
            if windows[host] == nil, windows.count >= capacity {
                windows = windows.filter { now - $0.value.start < length }
                if windows.count >= capacity, let oldest = windows.min(by: { $0.value.start < $1.value.start }) {
                    windows[oldest.key] = nil
                }
            }
            windows[host] = Window(start: now, failures: 1)
        }
    }

    /// How many hosts are remembered.
    var count: Int { windows.withLock { $0.count } }
}
