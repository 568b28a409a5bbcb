// PostgresStore: the storage interface over PostgreSQL's protocol (issue 21). Owns the schema
// check at open, the key space table (names to ids, handles given out), resolving and
// checking handles, and single writes; batches run as PostgresTransaction, reads through
// PostgresReadSource, snapshots as PostgresSnapshot.
internal import PostgresNIO
public import Storage
internal import Synchronization

/// A PostgreSQL (or CockroachDB, YugabyteDB) database exposed as a `StorageEngine`.
///
/// Every key space's entries are rows of one table, `tessera_kv (space, key, value)`, whose
/// primary key is `(space, key)` (docs/scale-out.md). Writes are committed synchronously
/// (`Durability` is always met as `.journaled`), so `syncJournal()` has nothing to do.
public final class PostgresStore: StorageEngine {
    /// The database, without its password.
    public var location: String { pool.location.description }
    let pool: PostgresPool
    /// Tells this engine's handles and batches from another's.
    let identity: Int
    private let mergeOperators: [String: any MergeOperator]
    private let handles = Mutex<[String: PostgresKeySpace]>([:])
    private static let identities = Atomic<Int>(0)

    /// Connects to `location`, creating the schema if it is missing.
    public init(location: PostgresLocation, mergeOperators: [String: any MergeOperator] = [:]) throws(StorageError) {
        self.pool = PostgresPool(location: location)
        self.identity = Self.identities.add(1, ordering: .relaxed).newValue
        self.mergeOperators = mergeOperators
        try pool.withLink { link throws(StorageError) in
            for statement in PostgresSQL.schema {
                try Self.createIgnoringRaces(statement, on: link)
            }
        }
    }

    /// Runs one schema statement; two servers creating the schema at once may see the other's
    /// CREATE win (duplicate object, unique violation on the catalog), which is fine.
    private static func createIgnoringRaces(_ sql: String, on link: PostgresLink) throws(StorageError) {
        do {
            try link.run(PostgresStatement(sql), .open)
        } catch {
            guard error.status.contains("23505") || error.status.contains("42P07") else { throw error }
        }
    }

    // MARK: Key spaces

    /// The names of all key spaces, sorted by their bytes.
    public var keySpaceNames: [String] {
        get throws(StorageError) {
            let rows = try PostgresReadSource.latest(pool).run(PostgresStatement(PostgresSQL.listKeySpaces), .listKeySpaces)
            return rows.map { Self.text($0, 1) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
    }

    /// The key space called `name`, created if it does not exist.
    public func keySpace(named name: String) throws(StorageError) -> PostgresKeySpace {
        if let existing = try existingKeySpace(named: name) { return existing }
        try Self.checkName(name, location: location)
        try pool.withLink { link throws(StorageError) in
            try PostgresTransaction.runWithRetry(on: link) { () throws(StorageError) in
                try link.run(PostgresStatement(PostgresSQL.begin), .createKeySpace)
                do throws(StorageError) {
                    let rows = try link.run(PostgresStatement(PostgresSQL.nextKeySpaceID), .createKeySpace)
                    guard let id = rows.first.map({ Self.integer($0, 0) }) else {
                        throw StorageError(.createKeySpace, path: location, status: "tessera_counters has no 'keyspace' row",
                                           code: .corruption)
                    }
                    try link.run(PostgresStatement.make(PostgresSQL.insertKeySpace) { $0.bind(id); $0.bind(name) },
                                 .createKeySpace)
                    try link.run(PostgresStatement(PostgresSQL.commit), .createKeySpace)
                } catch {
                    _ = try? link.run(PostgresStatement(PostgresSQL.rollback), .createKeySpace)
                    throw error
                }
            }
        }
        guard let created = try existingKeySpace(named: name) else {
            throw StorageError(.createKeySpace, path: location, status: "key space \(name) vanished while created", code: .tryAgain)
        }
        return created
    }

    /// The key space called `name`, or `nil` if it does not exist.
    public func existingKeySpace(named name: String) throws(StorageError) -> PostgresKeySpace? {
        if let cached = handles.withLock({ $0[name] }) { return cached }
        let rows = try PostgresReadSource.latest(pool).run(
            PostgresStatement.make(PostgresSQL.findKeySpace) { $0.bind(name) }, .listKeySpaces)
        guard let id = rows.first.map({ Self.integer($0, 0) }) else { return nil }
        let handle = PostgresKeySpace(name: name, id: id, engine: identity, mergeOperator: mergeOperator(for: name))
        return handles.withLock { table in
            if let winner = table[name], winner.id == id { return winner }
            table[name] = handle
            return handle
        }
    }

    /// Deletes a key space and its entries in one transaction.
    public func dropKeySpace(_ keySpace: any KeySpace) throws(StorageError) {
        let handle = try resolve(keySpace, .dropKeySpace)
        try pool.withLink { link throws(StorageError) in
            try PostgresTransaction.runWithRetry(on: link) { () throws(StorageError) in
                try link.awaitAll([
                    link.send(PostgresStatement(PostgresSQL.begin)),
                    link.send(PostgresStatement.make(PostgresSQL.deleteKeySpaceRows) { $0.bind(handle.id) }),
                    link.send(PostgresStatement.make(PostgresSQL.deleteKeySpace) { $0.bind(handle.id) }),
                ], .dropKeySpace)
                try link.run(PostgresStatement(PostgresSQL.commit), .dropKeySpace)
            } onFailure: {
                _ = try? link.run(PostgresStatement(PostgresSQL.rollback), .dropKeySpace)
            }
        }
        handle.markDropped()
        handles.withLock { table in
            if table[handle.name] === handle { table[handle.name] = nil }
        }
    }

    /// The merge operator whose prefix is the longest one `name` starts with.
    private func mergeOperator(for name: String) -> (any MergeOperator)? {
        mergeOperators.filter { name.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value
    }

    /// This engine's handle behind `keySpace`; refuses other engines' handles and dropped ones.
    func resolve(_ keySpace: any KeySpace, _ operation: StorageError.Operation, allowDropped: Bool = false) throws(StorageError) -> PostgresKeySpace {
        guard let handle = keySpace as? PostgresKeySpace, handle.engine == identity else {
            throw StorageError(operation, path: location, status: "key space \(keySpace.name) belongs to another engine",
                               code: .invalidArgument)
        }
        if handle.isDropped, !allowDropped {
            throw StorageError(operation, path: location, status: "key space \(handle.name) was dropped", code: .keySpaceDropped)
        }
        return handle
    }

    private static func checkName(_ name: String, location: String) throws(StorageError) {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw StorageError(.createKeySpace, path: location, status: "key space names must be non-empty, without NUL bytes",
                               code: .invalidArgument)
        }
    }

    static func text(_ row: PostgresRow, _ index: Int) -> String {
        (try? row.makeRandomAccess()[index].decode(String.self)) ?? ""
    }

    static func integer(_ row: PostgresRow, _ index: Int) -> Int64 {
        (try? row.makeRandomAccess()[index].decode(Int64.self)) ?? 0
    }

    // MARK: Reads

    /// The latest committed value of `key` in `keySpace`.
    public func get(_ key: [UInt8], in keySpace: any KeySpace) throws(StorageError) -> [UInt8]? {
        try PostgresReadSource.latest(pool).get(key, space: resolve(keySpace, .get).id)
    }

    /// A cursor over the latest state of `range` in `keySpace`.
    public func makeCursor(over range: KeyRange, in keySpace: any KeySpace) throws(StorageError) -> PostgresCursor {
        PostgresCursor(range: range, source: .latest(pool), space: try resolve(keySpace, .iterate).id)
    }

    // MARK: Writes

    /// Sets `key` to `value` in `keySpace` (one autocommitted upsert).
    public func put(_ key: [UInt8], _ value: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError) {
        let space = try resolve(keySpace, .put).id
        try runAlone(PostgresStatement.make(PostgresSQL.put) { $0.bind(space); $0.bind(key); $0.bind(value) }, .put)
    }

    /// Removes `key` from `keySpace`.
    public func delete(_ key: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError) {
        let space = try resolve(keySpace, .delete).id
        try runAlone(PostgresStatement.make(PostgresSQL.delete) { $0.bind(space); $0.bind(key) }, .delete)
    }

    /// Folds `operand` into `key` at once, in its own transaction.
    public func merge(_ key: [UInt8], _ operand: [UInt8], in keySpace: any KeySpace, durability: Durability) throws(StorageError) {
        let batch = makeWriteBatch()
        batch.merge(key, operand, in: keySpace)
        try write(batch, durability: durability)
    }

    private func runAlone(_ statement: PostgresStatement, _ operation: StorageError.Operation) throws(StorageError) {
        try pool.withLink { link throws(StorageError) in
            try PostgresTransaction.runWithRetry(on: link) { () throws(StorageError) in try link.run(statement, operation) }
        }
    }

    /// A new, empty batch.
    public func makeWriteBatch() -> PostgresWriteBatch {
        PostgresWriteBatch(engine: identity)
    }

    /// Applies `batch` as one SQL transaction; refuses it whole if any key space is foreign or dropped.
    public func write(_ batch: any KeyValueWriteBatch, durability: Durability) throws(StorageError) {
        guard let batch = batch as? PostgresWriteBatch, batch.engine == identity else {
            throw StorageError(.write, path: location, status: "the batch was made by another engine", code: .invalidArgument)
        }
        var resolved: [ResolvedWrite] = []
        resolved.reserveCapacity(batch.count)
        for write in batch.writes {
            let handle = try resolve(write.keySpace, .write)
            switch write {
            case let .put(key, value, _): resolved.append(.put(space: handle.id, key: key, value: value))
            case let .delete(key, _): resolved.append(.delete(space: handle.id, key: key))
            case let .deleteRange(start, end, _): resolved.append(.deleteRange(space: handle.id, start: start, end: end))
            case let .merge(key, operand, _):
                guard let mergeOperator = handle.mergeOperator else {
                    throw StorageError(.merge, path: location, status: "key space \(handle.name) has no merge operator",
                                       code: .notSupported)
                }
                resolved.append(.merge(space: handle.id, key: key, operand: operand, mergeOperator: mergeOperator))
            }
        }
        guard !resolved.isEmpty else { return }
        try pool.withLink { link throws(StorageError) in try PostgresTransaction(writes: resolved).apply(on: link) }
    }

    /// A REPEATABLE READ transaction held open on its own connection.
    public func makeSnapshot() throws(StorageError) -> PostgresSnapshot {
        try PostgresSnapshot(store: self)
    }

    /// Nothing to do: every commit is already synchronous.
    public func syncJournal() throws(StorageError) {}

    /// The size of the entries table and its index on PostgreSQL; 0 where the engine has no
    /// `pg_total_relation_size` (CockroachDB, YugabyteDB).
    public func diskUsage() throws(StorageError) -> UInt64 {
        let rows = try? PostgresReadSource.latest(pool).run(PostgresStatement(PostgresSQL.diskUsage), .diskUsage)
        return UInt64(clamping: rows?.first.map { Self.integer($0, 0) } ?? 0)
    }
}
