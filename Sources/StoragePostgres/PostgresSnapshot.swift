// PostgresSnapshot: a consistent view as a REPEATABLE READ, READ ONLY transaction held open on
// a connection of its own until the snapshot is released (then rolled back and the connection
// reused). Reads and cursors made from it run inside that transaction.
public import Storage

/// A point-in-time view of a `PostgresStore`.
///
/// Release snapshots promptly: each holds a connection and keeps PostgreSQL from vacuuming
/// row versions it can still see. `@unchecked Sendable` because: its state is immutable after
/// init and postgres-nio queues statements sent from several threads on one connection.
public final class PostgresSnapshot: KeyValueSnapshot, @unchecked Sendable {
    private let store: PostgresStore
    private let link: PostgresLink

    init(store: PostgresStore) throws(StorageError) {
        link = try store.pool.checkOut(opening: [PostgresSQL.beginSnapshot, PostgresSQL.pinSnapshot], .get)
        self.store = store
    }

    deinit {
        link.rollbackAndRelease()
    }

    /// The value of `key` in `keySpace` as of the snapshot. A key space dropped since may
    /// still be read.
    public func get(_ key: [UInt8], in keySpace: any KeySpace) throws(StorageError) -> [UInt8]? {
        try PostgresReadSource.snapshot(link).get(key, space: store.resolve(keySpace, .get, allowDropped: true).id)
    }

    /// A cursor over `range` in `keySpace` as of the snapshot.
    public func makeCursor(over range: KeyRange, in keySpace: any KeySpace) throws(StorageError) -> PostgresCursor {
        PostgresCursor(range: range, source: .snapshot(link), space: try store.resolve(keySpace, .iterate, allowDropped: true).id)
    }
}
