// PostgresTimeouts: how long anything the PostgreSQL engine sends may take (issue 21). Owns the
// server-side bounds sent at connect (`statement_timeout`, `lock_timeout`), the longer bound on
// the database-wide commit lock, and the client-side deadlines just past each, after which the
// connection is presumed lost and closed; how long to keep trying to connect. Parsed from the
// URI's `statement_timeout` and `lock_timeout` (milliseconds) and `connect_timeout` (seconds,
// as libpq's); decides nothing else.

/// The bounds on statements and lock waits, server side and client side.
public struct PostgresTimeouts: Sendable, Hashable {
    /// The most one ordinary statement may run, sent as PostgreSQL's `statement_timeout` (and
    /// `lock_timeout`, so a row lock wait ends first with SQLSTATE 55P03).
    public var statement: Duration = .seconds(30)
    /// The most a wait for the database-wide commit lock may take: other servers' commits and
    /// index builds hold it legitimately. Sent as `lock_timeout` for that one statement.
    public var commitLock: Duration = .seconds(60)
    /// How long a client-side deadline outlasts the server-side bound it backs up, so the
    /// server's own timeout (an answer: the connection stays usable) normally comes first.
    public var grace: Duration = .seconds(5)
    /// The most getting a new connection may take: one attempt (TCP connect, startup,
    /// authentication), and further attempts while no host accepts one (a restart, a
    /// failover), after which the request fails as `.connectionLost`.
    public var connect: Duration = .seconds(10)

    /// The defaults: statements 30 s, commit lock 60 s, connect 10 s, 5 s of grace.
    public init() {}

    /// The longest bound either option may set (a day): beyond it nothing is bounded in practice.
    static let maximum: Duration = .seconds(86_400)

    /// The client-side deadline for an ordinary statement.
    var statementDeadline: Duration { statement + grace }
    /// The client-side deadline for the commit lock statement.
    var commitLockDeadline: Duration { commitLock + grace }
    /// The client-side deadline for opening a connection.
    var connectDeadline: Duration { connect + grace }

    /// The most any bound is taken to be, however it was set (the API's fields are open):
    /// a week, so the arithmetic on a bound's milliseconds (PostgreSQL's settings, NIO's and
    /// Dispatch's nanoseconds) never overflows.
    static let ceiling: Duration = .seconds(7 * 86_400)

    /// `duration` as whole milliseconds (PostgreSQL's unit), clamped to 0 ... ``ceiling``.
    static func milliseconds(_ duration: Duration) -> Int64 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = min(duration, ceiling).components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// A bound in milliseconds from a URI option: a whole number from 1 to a day's worth.
    static func parse(_ text: Substring) -> Duration? {
        guard let count = Int64(text), count >= 1, count <= milliseconds(maximum) else { return nil }
        return .milliseconds(count)
    }

    /// A bound in whole seconds from a URI option (libpq's `connect_timeout`): 1 to a day's worth.
    static func parseSeconds(_ text: Substring) -> Duration? {
        guard let seconds = Int64(text), seconds >= 1, seconds <= maximum.components.seconds else { return nil }
        return .seconds(seconds)
    }
}
