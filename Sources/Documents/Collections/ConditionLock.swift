// ConditionLock: a pthread mutex with a condition variable, for the write path's two
// blocking waits (the commit section and group-commit followers). Owns both pthread objects
// on the heap (they must not move) and destroys them once, in deinit.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A mutual-exclusion lock with one condition to wait on.
///
/// `@unchecked Sendable` because: the pthread mutex and condition live at fixed heap
/// addresses, are initialised in init and destroyed only in deinit, and pthread makes every
/// operation on them thread-safe.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Takes the lock.
    func lock() {
        pthread_mutex_lock(mutex)
    }

    /// Releases the lock.
    func unlock() {
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` holding the lock.
    func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Releases the lock, sleeps until `broadcast()` (or a spurious wakeup), and retakes it.
    /// Call only while holding the lock, in a loop that rechecks what it waits for.
    func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// As `wait()`, but returns after about `timeout` at the latest.
    func wait(for timeout: Duration) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let (seconds, attoseconds) = timeout.components
        var nanoseconds = Int64(now.tv_nsec) + attoseconds / 1_000_000_000
        var wholeSeconds = Int64(now.tv_sec) + seconds
        wholeSeconds += nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        var until = timespec(tv_sec: time_t(wholeSeconds), tv_nsec: Int(nanoseconds))
        pthread_cond_timedwait(condition, mutex, &until)
    }

    /// Wakes every waiter. Call while holding the lock.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
