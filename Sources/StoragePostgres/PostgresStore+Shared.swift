// PostgresStore+Shared: what lets several Tessera servers share one database (issue 21) —
// the database-wide commit lock (a row lock on the 'commit' counter row held by a transaction
// on a connection of its own) and counters reserved in one atomic upsert. Both use only SQL
// that CockroachDB and YugabyteDB accept (docs/scale-out.md).
public import Storage

extension PostgresStore: SharedStorage {
    /// Takes the 'commit' row lock in a READ COMMITTED transaction on a connection kept until
    /// release; blocks while another server (or connection) holds it, up to the location's
    /// commit lock timeout (then `.timedOut`; `.connectionLost` when the database does not answer).
    public func lockCommits() throws(StorageError) -> any SharedCommitLock {
        let timeouts = pool.location.timeouts
        let statements = [PostgresSQL.begin] + PostgresSQL.commitLockBounds(timeouts) + [PostgresSQL.lockCommits]
        return PostgresCommitLock(link: try pool.checkOut(opening: statements, .write, deadline: timeouts.commitLockDeadline))
    }

    /// Reserves `count` values of counter `name` (created at `floor` if missing) in one
    /// autocommitted upsert, retried on serialization failures.
    public func reserve(_ count: UInt64, of name: String, floor: UInt64) throws(StorageError) -> UInt64 {
        guard let amount = Int64(exactly: count), let lowest = Int64(exactly: floor), amount > 0 else {
            throw StorageError(.write, path: location, status: "cannot reserve \(count) values from \(floor)", code: .invalidArgument)
        }
        var last: Int64 = 0
        try pool.withLink { link throws(StorageError) in
            try PostgresTransaction.runWithRetry(on: link) { () throws(StorageError) in
                let rows = try link.run(PostgresStatement.make(PostgresSQL.reserve) {
                    $0.bind(name); $0.bind(lowest); $0.bind(amount)
                }, .write)
                last = rows.first.map { Self.integer($0, 0) } ?? 0
            }
        }
        guard last >= amount, let end = UInt64(exactly: last) else {
            throw StorageError(.write, path: location, status: "counter \(name) returned \(last)", code: .corruption)
        }
        return end - count
    }
}

/// The held commit lock: the connection whose open transaction holds the row lock.
final class PostgresCommitLock: SharedCommitLock {
    private let link: PostgresLink

    init(link: PostgresLink) {
        self.link = link
    }

    deinit {
        link.rollbackAndRelease()
    }

    /// Ends the transaction (ROLLBACK: it wrote nothing), which frees the row for the next
    /// holder, without waiting: whoever locks next (this server or another) blocks in the
    /// database until the ROLLBACK has landed.
    func release() {
        link.rollbackAndRelease()
    }

    /// False once the connection whose transaction holds the row lock has closed or was lost.
    var isHeld: Bool {
        !link.isLost
    }
}
