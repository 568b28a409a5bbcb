// BackupPoint and RestorePoint: where in a store's history a backup stands (its newest change
// log entry) and the moment a point-in-time restore asks for (an operation time or a
// wall-clock time). Plain values; BackupSet decides what they mean for a backup directory.

public import BSON

/// The newest committed write a backup holds.
public struct BackupPoint: Sendable, Equatable {
    /// Its change log sequence number; 0 for a store that had no write yet.
    public let sequence: UInt64
    /// When it committed, by the wall clock; `nil` when the store had no write.
    public let wallTime: BSONDateTime?

    /// A point from its parts.
    public init(sequence: UInt64, wallTime: BSONDateTime?) {
        self.sequence = sequence
        self.wallTime = wallTime
    }

    /// The operation time clients saw for that write (`operationTime` in replies).
    public var operationTime: BSONTimestamp { OperationTime.timestamp(sequence) }
}

/// The moment a point-in-time restore brings a store to: every write committed at or before
/// it, none after.
public enum RestorePoint: Sendable, Equatable, CustomStringConvertible {
    /// Writes up to and including this operation time (a change log sequence number, as
    /// replies' `operationTime` and change events' `clusterTime` show it).
    case operationTime(BSONTimestamp)
    /// Writes that committed at or before this wall-clock time.
    case wallTime(BSONDateTime)

    /// Whether a backup standing at `point` holds only writes at or before this moment.
    func covers(_ point: BackupPoint) -> Bool {
        switch self {
        case let .operationTime(time): return point.sequence <= OperationTime.sequence(time)
        case let .wallTime(time): return point.wallTime.map { $0.millisecondsSinceEpoch <= time.millisecondsSinceEpoch } ?? true
        }
    }

    /// Whether the change `entry` committed at or before this moment.
    func covers(_ entry: ChangeLogEntry) -> Bool {
        switch self {
        case let .operationTime(time): return entry.sequence <= OperationTime.sequence(time)
        case let .wallTime(time): return entry.wallTime.millisecondsSinceEpoch <= time.millisecondsSinceEpoch
        }
    }

    /// `Timestamp(t, i)` or the date in milliseconds since the epoch.
    public var description: String {
        switch self {
        case let .operationTime(time): return "Timestamp(\(time.timestamp), \(time.increment))"
        case let .wallTime(time): return "date \(time.millisecondsSinceEpoch) ms since the epoch"
        }
    }
}
