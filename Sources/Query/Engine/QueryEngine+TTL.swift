// QueryEngine's TTL operations: the background monitor that deletes expired documents and its
// counters, forwarded to the store so that the Server and Commands layers stop at the engine.

public import BSON
public import Documents

extension QueryEngine {
    /// Starts the background TTL monitor: it reads `schedule` before every pass, runs each
    /// pass through `runner` (inline on its own task when `nil`) and reports a failed pass to
    /// `onFailure`. See `DocumentStore.startTTLMonitor(schedule:runner:onFailure:)`.
    public func startTTLMonitor(
        schedule: @escaping @Sendable () -> TTLSchedule, runner: TTLPassRunner? = nil,
        onFailure: (@Sendable (MongoError) -> Void)? = nil
    ) {
        store.startTTLMonitor(schedule: schedule, runner: runner, onFailure: onFailure)
    }

    /// Stops the TTL monitor and waits for a pass in progress to end at its next document.
    public func stopTTLMonitorAndWait() async {
        await store.stopTTLMonitorAndWait()
    }

    /// What TTL passes have done since the store opened (`serverStatus().metrics.ttl`).
    public var ttlStatistics: TTLStatistics {
        store.ttlStatistics
    }
}
