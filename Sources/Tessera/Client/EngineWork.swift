// EngineWork: how the async API runs the engine's blocking calls — on a Dispatch worker, never
// on the Swift concurrency pool (a RocksDB read or a journal sync blocks its thread), with the
// calling task's cancellation and an optional maxTimeMS wired to the engine's
// OperationInterrupt, and the work's captures released before the caller resumes (so
// `TesseraClient.close()` right after an operation leaves nothing holding the store).

import Dispatch
import Query
import Synchronization

/// Runs engine work for the async API.
enum EngineWork {
    /// The queue engine calls run on.
    private static let queue = DispatchQueue(label: "tessera.engine", qos: .userInitiated, attributes: .concurrent)

    /// Runs `work` on an engine thread with an interrupt that fires when the calling task is
    /// cancelled, when `client` closes, or at `deadline`; returns its result.
    ///
    /// - Throws: the engine's error as a ``TesseraError``; `Interrupted` (11601) when the task
    ///   was cancelled, `MaxTimeMSExpired` (50) past the deadline.
    static func run<Result: Sendable>(
        _ client: TesseraClient, deadline: ContinuousClock.Instant? = nil,
        _ work: @escaping @Sendable (OperationInterrupt) throws(MongoError) -> Result
    ) async throws(TesseraError) -> Result {
        if Task.isCancelled { throw .cancelled }
        let killSwitch = KillSwitch()
        let interrupt = OperationInterrupt(deadline: deadline, killSwitch: killSwitch)
        let token = try client.operationStarted(killSwitch)
        defer { client.operationEnded(token) }
        let box = WorkBox(work)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Swift.Result<Result, MongoError>, Never>) in
                queue.async {
                    let outcome = box.run(interrupt)
                    continuation.resume(returning: outcome)
                }
            }
        } onCancel: {
            killSwitch.kill()
        }
        switch outcome {
        case let .success(value): return value
        case let .failure(error): throw TesseraError(error)
        }
    }

    /// Runs one pass of the TTL monitor on an engine thread (a pass deletes in batches and
    /// blocks on the store: never on the concurrency pool).
    @Sendable static func runTTLPass(_ pass: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                pass()
                continuation.resume()
            }
        }
    }

    /// The deadline of a `maxTimeMS` option (nil: none).
    ///
    /// - Throws: `BadValue` for a negative value.
    static func deadline(maxTimeMS: Int?) throws(TesseraError) -> ContinuousClock.Instant? {
        guard let maxTimeMS, maxTimeMS != 0 else { return nil }
        guard maxTimeMS > 0 else { throw .badValue("maxTimeMS must be non-negative, but received: \(maxTimeMS)") }
        return ContinuousClock.now.advanced(by: .milliseconds(maxTimeMS))
    }
}

/// Holds one piece of engine work until it runs, then lets it go: what the work captured
/// (collections, so the store) is released before the waiting task resumes.
private final class WorkBox<Result: Sendable>: Sendable {
    private let work: Mutex<(@Sendable (OperationInterrupt) throws(MongoError) -> Result)?>

    init(_ work: @escaping @Sendable (OperationInterrupt) throws(MongoError) -> Result) {
        self.work = Mutex(work)
    }

    /// Runs the work once; its captures are gone when this returns.
    func run(_ interrupt: OperationInterrupt) -> Swift.Result<Result, MongoError> {
        guard let work = work.withLock({ (held) -> (@Sendable (OperationInterrupt) throws(MongoError) -> Result)? in
            defer { held = nil }
            return held
        }) else {
            return .failure(MongoError(.internalError, "engine work ran twice"))
        }
        do throws(MongoError) {
            return .success(try work(interrupt))
        } catch {
            return .failure(error)
        }
    }
}
