// QueryEngine's TTL operations: the background monitor that deletes expired documents and its
// counters, forwarded to the store so that the Server and Commands layers stop at the engine.

public import Documents

extension QueryEngine {
    /// Starts the background TTL monitor: it reads `schedule` before every pass and runs each
    /// pass through `runner` (inline on its own task when `nil`). See
    /// `DocumentStore.startTTLMonitor(schedule:runner:)`.
    public func startTTLMonitor(schedule: @escaping @Sendable () -> TTLSchedule, runner: TTLPassRunner? = nil) {
        store.startTTLMonitor(schedule: schedule, runner: runner)
    }

    /// Stops the TTL monitor and waits for a pass in progress to end at its next batch.
    public func stopTTLMonitorAndWait() async {
        await store.stopTTLMonitorAndWait()
    }

    /// What TTL passes have done since the store opened (`serverStatus().metrics.ttl`).
    public var ttlStatistics: TTLStatistics {
        store.ttlStatistics
    }
}
