// PostgresSQL: every SQL text the PostgreSQL engine sends, in one place, restricted to what
// PostgreSQL, CockroachDB and YugabyteDB all accept (docs/scale-out.md): plain tables with
// composite primary keys, INSERT ... ON CONFLICT, SELECT ... FOR UPDATE, unnest of arrays,
// REPEATABLE READ / READ COMMITTED transactions. No advisory locks, LISTEN/NOTIFY, sequences
// or PostgreSQL-only types.
internal import Storage

enum PostgresSQL {
    /// The schema, created if missing: key space names and ids, the id counter, and every
    /// key space's entries in one table ordered by (key space, key) so each key space is
    /// one contiguous primary-key range (one or more ranges of a distributed engine).
    static let schema = [
        "CREATE TABLE IF NOT EXISTS tessera_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS tessera_keyspaces (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
        "CREATE TABLE IF NOT EXISTS tessera_kv (space BIGINT NOT NULL, key BYTEA NOT NULL, value BYTEA NOT NULL, PRIMARY KEY (space, key))",
        "INSERT INTO tessera_counters (name, value) VALUES ('keyspace', 0) ON CONFLICT (name) DO NOTHING",
        "INSERT INTO tessera_counters (name, value) VALUES ('commit', 0) ON CONFLICT (name) DO NOTHING",
    ]

    static let listKeySpaces = "SELECT id, name FROM tessera_keyspaces"
    static let findKeySpace = "SELECT id FROM tessera_keyspaces WHERE name = $1"
    /// Takes the next key space id (ids are never reused).
    static let nextKeySpaceID = "UPDATE tessera_counters SET value = value + 1 WHERE name = 'keyspace' RETURNING value"
    /// Takes the database-wide commit lock: the 'commit' counter row, locked until the
    /// holding transaction ends (rolled back on release, or by the server when the holder's
    /// connection dies). A row lock, not an advisory lock, so every engine accepts it.
    static let lockCommits = "SELECT value FROM tessera_counters WHERE name = 'commit' FOR UPDATE"
    /// The bounds on the commit lock wait, for its transaction only: `lock_timeout` (55P03
    /// when it passes) and a `statement_timeout` a second longer so the lock timeout comes first.
    static func commitLockBounds(_ timeouts: PostgresTimeouts) -> [String] {
        let lock = PostgresTimeouts.milliseconds(timeouts.commitLock)
        return ["SET LOCAL statement_timeout = \(lock + 1000)", "SET LOCAL lock_timeout = \(lock)"]
    }
    /// Reserves $3 values of counter $1, none below $2, in one atomic statement; returns the
    /// counter after the reservation (the values reserved are the $3 below it).
    static let reserve = """
        INSERT INTO tessera_counters (name, value) VALUES ($1, $2 + $3) \
        ON CONFLICT (name) DO UPDATE SET value = GREATEST(tessera_counters.value, $2) + $3 RETURNING value
        """
    static let insertKeySpace = "INSERT INTO tessera_keyspaces (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
    static let deleteKeySpaceRows = "DELETE FROM tessera_kv WHERE space = $1"
    static let deleteKeySpace = "DELETE FROM tessera_keyspaces WHERE id = $1"

    static let get = "SELECT value FROM tessera_kv WHERE space = $1 AND key = $2"
    static let getForUpdate = "SELECT value FROM tessera_kv WHERE space = $1 AND key = $2 FOR UPDATE"
    static let put = "INSERT INTO tessera_kv (space, key, value) VALUES ($1, $2, $3) ON CONFLICT (space, key) DO UPDATE SET value = excluded.value"
    /// Many puts in one statement (keys distinct within it).
    static let putMany = """
        INSERT INTO tessera_kv (space, key, value) SELECT * FROM unnest($1::BIGINT[], $2::BYTEA[], $3::BYTEA[]) \
        ON CONFLICT (space, key) DO UPDATE SET value = excluded.value
        """
    static let delete = "DELETE FROM tessera_kv WHERE space = $1 AND key = $2"
    static let deleteMany = "DELETE FROM tessera_kv WHERE (space, key) IN (SELECT * FROM unnest($1::BIGINT[], $2::BYTEA[]))"
    static let deleteRange = "DELETE FROM tessera_kv WHERE space = $1 AND key >= $2 AND key < $3"

    static let begin = "BEGIN ISOLATION LEVEL READ COMMITTED"
    static let beginRepeatable = "BEGIN ISOLATION LEVEL REPEATABLE READ"
    static let beginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    /// The first statement of a snapshot: PostgreSQL fixes a transaction's snapshot at its
    /// first statement, not at BEGIN.
    static let pinSnapshot = "SELECT 1"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"
    /// Bytes of the entries table and its index (PostgreSQL only; other engines report 0).
    static let diskUsage = "SELECT pg_total_relation_size('tessera_kv')::BIGINT"

    /// One bound of a page query.
    struct Bound {
        var key: [UInt8]
        var inclusive: Bool
    }

    /// Up to `limit` entries of key space `space` between `lower` and `upper`, ascending or
    /// descending: the keyset-paginated range query every cursor page is.
    static func page(space: Int64, lower: Bound?, upper: Bound?, descending: Bool, limit: Int) -> PostgresStatement {
        var sql = "SELECT key, value FROM tessera_kv WHERE space = $1"
        var parameter = 1
        if let lower {
            parameter += 1
            sql += " AND key \(lower.inclusive ? ">=" : ">") $\(parameter)"
        }
        if let upper {
            parameter += 1
            sql += " AND key \(upper.inclusive ? "<=" : "<") $\(parameter)"
        }
        sql += descending ? " ORDER BY key DESC" : " ORDER BY key"
        sql += " LIMIT \(max(limit, 1))"
        return PostgresStatement.make(sql) { statement in
            statement.bind(space)
            if let lower { statement.bind(lower.key) }
            if let upper { statement.bind(upper.key) }
        }
    }
}
