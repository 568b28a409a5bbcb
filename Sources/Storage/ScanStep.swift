// ScanStep: what a scan callback tells the scan to do next.
// A plain value; the scan loops in RocksDBStore and Snapshot interpret it.

/// Returned by a scan's callback to continue to the next entry or stop early.
public enum ScanStep: Sendable, Hashable {
    /// Visit the next entry, if any.
    case `continue`
    /// End the scan now.
    case stop
}
