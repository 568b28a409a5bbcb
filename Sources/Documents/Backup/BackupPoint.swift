// BackupPoint and RestorePoint: where in a store's history a backup stands (its newest change
// log entry) and the moment a point-in-time restore asks for (a change log sequence number —
// an operation time, which the Query layer maps — or a wall-clock time). Plain values;
// BackupSet decides what they mean for a backup directory.

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
}

/// The moment a point-in-time restore brings a store to: every write committed at or before
/// it, none after.
public enum RestorePoint: Sendable, Equatable, CustomStringConvertible {
    /// Writes up to and including this change log sequence number (what replies'
    /// `operationTime` and change events' `clusterTime` stand for).
    case sequence(UInt64)
    /// Writes that committed at or before this wall-clock time.
    case wallTime(BSONDateTime)

    /// Whether a backup standing at `point` holds only writes at or before this moment.
    func covers(_ point: BackupPoint) -> Bool {
        switch self {
        case let .sequence(sequence): return point.sequence <= sequence
        case let .wallTime(time): return point.wallTime.map { $0.millisecondsSinceEpoch <= time.millisecondsSinceEpoch } ?? true
        }
    }

    /// Whether the change `entry` committed at or before this moment.
    func covers(_ entry: ChangeLogEntry) -> Bool {
        switch self {
        case let .sequence(sequence): return entry.sequence <= sequence
        case let .wallTime(time): return entry.wallTime.millisecondsSinceEpoch <= time.millisecondsSinceEpoch
        }
    }

    /// The sequence number or the date in milliseconds since the epoch.
    public var description: String {
        switch self {
        case let .sequence(sequence): return "change log sequence \(sequence)"
        case let .wallTime(time): return "date \(time.millisecondsSinceEpoch) ms since the epoch"
        }
    }
}
