// WallClock: the current UTC time as a BSON datetime, for change log entries and
// retention by age. Reads CLOCK_REALTIME directly so the Documents layer needs no Foundation.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
public import BSON

/// The system's wall clock.
public enum WallClock {
    /// Milliseconds since the Unix epoch, now.
    public static func now() -> BSONDateTime {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return BSONDateTime(millisecondsSinceEpoch: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }
}
