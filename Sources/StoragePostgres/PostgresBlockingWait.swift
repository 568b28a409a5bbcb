// PostgresBlockingWait: how the synchronous storage interface waits for postgres-nio's futures,
// always with a deadline. Callers include the wire server's own NIO event loop threads
// (commands run synchronously there, as they do on RocksDB), where NIO's
// `EventLoopFuture.wait()` refuses to block. Waiting on a semaphore is safe here because the
// future completes on the pool's private group, which no caller ever runs on. A future that
// never completes (a connection whose server died without the socket noticing, or a query
// issued on a closing connection) ends the wait at its deadline, or soon after its connection
// is seen closed, instead of hanging a thread.
internal import Dispatch
internal import NIOCore
internal import Synchronization

/// Why a wait ended without the future's result: the connection it runs on is presumed lost.
enum PostgresWaitFailure: Error {
    /// No result within the bound.
    case expired(Duration)
    /// The connection closed and the future was still pending a moment later (postgres-nio
    /// may never complete a query issued on a closing connection).
    case closedUnanswered
}

extension EventLoopFuture where Value: Sendable {
    /// How often a wait checks whether its connection has closed.
    private static var checkInterval: Duration { .milliseconds(250) }

    /// Blocks the calling thread until the future completes or `bound` has passed; its value
    /// or its error. Throws `PostgresWaitFailure.expired` when the bound passed first, and
    /// `.closedUnanswered` when `isClosed` (checked every 250 ms) says the connection closed
    /// while the future was still pending.
    ///
    /// The caller must not be on the future's own event loop (it would wait for itself).
    func blockingResult(within bound: Duration, isClosed: () -> Bool = { false }) throws -> Value {
        Swift.precondition(!eventLoop.inEventLoop, "blocking on the PostgreSQL pool's own event loop")
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        let clock = ContinuousClock()
        let deadline = clock.now + bound
        while true {
            let remaining = deadline - clock.now
            guard remaining > .zero else { throw PostgresWaitFailure.expired(bound) }
            if done.wait(timeout: .now() + Self.dispatchInterval(min(remaining, Self.checkInterval))) == .success { break }
            if isClosed() { throw PostgresWaitFailure.closedUnanswered }
        }
        // whenComplete stored the result before signalling.
        guard let result = outcome.withLock({ $0 }) else {
            Swift.preconditionFailure("future signalled completion without a result")
        }
        return try result.get()
    }

    /// `bound` in whole milliseconds, at least one (PostgresTimeouts' one clamped conversion).
    private static func dispatchInterval(_ bound: Duration) -> DispatchTimeInterval {
        .milliseconds(Int(max(PostgresTimeouts.milliseconds(bound), 1)))
    }
}
