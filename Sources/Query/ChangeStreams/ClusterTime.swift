// ClusterTime: the change log's sequence numbers as the BSON Timestamps MongoDB calls cluster
// times (events' `clusterTime`, `operationTime`, `startAtOperationTime`). One mapping, both
// directions; no state.

public import BSON

/// Conversions between change log sequence numbers and cluster times.
public enum ClusterTime {
    /// The cluster time of change log sequence `sequence`: the sequence is the timestamp's
    /// 64-bit value, offset by one second so no time is the null Timestamp(0, 0).
    public static func timestamp(ofSequence sequence: UInt64) -> BSONTimestamp {
        BSONTimestamp(timestamp: UInt32(truncatingIfNeeded: sequence >> 32) &+ 1, increment: UInt32(truncatingIfNeeded: sequence))
    }

    /// The sequence number a cluster time stands for (0 for times before the first write).
    public static func sequence(of time: BSONTimestamp) -> UInt64 {
        guard time.timestamp > 0 else { return 0 }
        return UInt64(time.timestamp - 1) << 32 | UInt64(time.increment)
    }
}
