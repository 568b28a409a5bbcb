// PostgresReader: what reads go through — the latest committed state (a pooled connection
// per statement) or a snapshot (its open REPEATABLE READ transaction) — and the point read
// and cursor both kinds of reader share.
internal import PostgresNIO
internal import Storage

/// Where a read runs.
enum PostgresReadSource: @unchecked Sendable {
    /// The latest committed state: each statement on any pooled connection.
    case latest(PostgresPool)
    /// A snapshot's transaction.
    case snapshot(PostgresLink)

    func run(_ statement: PostgresStatement, _ operation: StorageError.Operation) throws(StorageError) -> [PostgresRow] {
        switch self {
        case let .latest(pool): try pool.withLink { link throws(StorageError) in try link.run(statement, operation) }
        case let .snapshot(link): try link.run(statement, operation)
        }
    }

    /// The value of `key` in key space `space`.
    func get(_ key: [UInt8], space: Int64) throws(StorageError) -> [UInt8]? {
        let rows = try run(PostgresStatement.make(PostgresSQL.get) { $0.bind(space); $0.bind(key) }, .get)
        return rows.first?.bytes(at: 0)
    }
}
