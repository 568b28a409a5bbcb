// TesseraClient.withTransaction: the drivers' convenient transaction API (MongoDB's
// "Convenient API for Transactions" specification): run a callback in a transaction and commit
// it, retrying the whole transaction on TransientTransactionError and the commit on
// UnknownTransactionCommitResult, until 120 seconds have passed since the first attempt.

extension TesseraClient {
    /// How long ``withTransaction(isolation:options:_:)`` keeps retrying: 120 s, as the
    /// drivers' specification says.
    public static let transactionRetryTimeLimit: Duration = .seconds(120)

    /// Runs `body` in a transaction on a new session and commits it; returns `body`'s result.
    ///
    /// Pass the session to every operation in `body` so they join the transaction. When
    /// `body` or the commit fails with `TransientTransactionError` (a write conflict with a
    /// concurrent transaction), the transaction is aborted and `body` runs again in a new one;
    /// a commit failing with `UnknownTransactionCommitResult` is retried alone. Retries stop
    /// after ``transactionRetryTimeLimit``, when the last error is thrown. Any other error
    /// aborts the transaction and is rethrown. `body` may run more than once: keep effects
    /// outside the database out of it.
    public func withTransaction<Result>(
        isolation: isolated (any Actor)? = #isolation, options: TransactionOptions? = nil,
        _ body: (ClientSession) async throws -> Result
    ) async throws -> Result {
        let session = startSession()
        defer { session.end() }
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            try session.startTransaction(options: options)
            let result: Result
            do {
                result = try await body(session)
            } catch {
                if session.inTransaction { try? await session.abortTransaction() }
                if let error = error as? TesseraError, error.hasErrorLabel(TesseraError.transientTransactionErrorLabel),
                   Self.withinRetryLimit(since: started) {
                    try await Self.backOff(attempt)
                    continue
                }
                throw error
            }
            // The body committed or aborted the transaction itself: its outcome stands.
            guard session.inTransaction else { return result }
            do {
                try await commitRetryingUnknownResult(session, since: started)
                return result
            } catch {
                guard error.hasErrorLabel(TesseraError.transientTransactionErrorLabel), Self.withinRetryLimit(since: started)
                else { throw error }
                try await Self.backOff(attempt)
            }
        }
    }

    /// Commits, retrying while the outcome is unknown and time remains.
    private func commitRetryingUnknownResult(_ session: ClientSession, since started: ContinuousClock.Instant)
        async throws(TesseraError) {
        while true {
            do {
                try await session.commitTransaction()
                return
            } catch {
                guard error.hasErrorLabel(TesseraError.unknownTransactionCommitResultLabel), error.codeName != "MaxTimeMSExpired",
                      Self.withinRetryLimit(since: started) else { throw error }
            }
        }
    }

    /// Whether retries may go on: less than ``transactionRetryTimeLimit`` since `started`.
    private static func withinRetryLimit(since started: ContinuousClock.Instant) -> Bool {
        ContinuousClock.now - started < transactionRetryTimeLimit
    }

    /// A short pause before attempt `attempt + 1`, growing with the attempts (1 ms doubling,
    /// at most 64 ms, with jitter), so a transaction retried while the one it conflicts with
    /// is still open does not spin.
    private static func backOff(_ attempt: Int) async throws {
        let ceiling = 1 << min(attempt - 1, 6)
        try await Task.sleep(for: .microseconds(Int.random(in: 500...(ceiling * 1000))))
    }
}
