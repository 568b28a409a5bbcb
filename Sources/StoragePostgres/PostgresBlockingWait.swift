// PostgresBlockingWait: how the synchronous storage interface waits for postgres-nio's futures.
// Callers include the wire server's own NIO event loop threads (commands run synchronously
// there, as they do on RocksDB), where NIO's `EventLoopFuture.wait()` refuses to block. Waiting
// on a semaphore is safe here because the future completes on the pool's private group, which
// no caller ever runs on.
internal import Dispatch
internal import NIOCore
internal import Synchronization

extension EventLoopFuture where Value: Sendable {
    /// Blocks the calling thread until the future completes; its value or its error.
    ///
    /// The caller must not be on the future's own event loop (it would wait for itself).
    func blockingResult() throws -> Value {
        Swift.precondition(!eventLoop.inEventLoop, "blocking on the PostgreSQL pool's own event loop")
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        // whenComplete stored the result before signalling.
        guard let result = outcome.withLock({ $0 }) else {
            Swift.preconditionFailure("future signalled completion without a result")
        }
        return try result.get()
    }
}
