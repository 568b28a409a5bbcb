// OperationTime: how a change log sequence number is shown to clients — as a BSON Timestamp
// (`operationTime`, `clusterTime`) — and back. One mapping, shared by replies, change streams
// and point-in-time restores.

public import BSON

/// The operation time of change log sequence numbers.
public enum OperationTime {
    /// The operation time of sequence `sequence`: the sequence is the timestamp's 64-bit
    /// value, offset by one second so no time is the null Timestamp(0, 0).
    public static func timestamp(_ sequence: UInt64) -> BSONTimestamp {
        BSONTimestamp(timestamp: UInt32(truncatingIfNeeded: sequence >> 32) &+ 1, increment: UInt32(truncatingIfNeeded: sequence))
    }

    /// The sequence number an operation time stands for (0 for times before the first write).
    public static func sequence(_ time: BSONTimestamp) -> UInt64 {
        guard time.timestamp > 0 else { return 0 }
        return UInt64(time.timestamp - 1) << 32 | UInt64(time.increment)
    }
}
