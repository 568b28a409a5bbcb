// PostgresWriteBatch: the PostgreSQL engine's write batch — writes collected in order, applied
// by `PostgresStore.write` as one SQL transaction. Owns only the list of writes.
public import Storage

/// Writes collected for one SQL transaction.
public final class PostgresWriteBatch: KeyValueWriteBatch {
    /// One collected write.
    enum Write {
        case put(key: [UInt8], value: [UInt8], keySpace: any KeySpace)
        case delete(key: [UInt8], keySpace: any KeySpace)
        case deleteRange(start: [UInt8], end: [UInt8], keySpace: any KeySpace)
        case merge(key: [UInt8], operand: [UInt8], keySpace: any KeySpace)

        var keySpace: any KeySpace {
            switch self {
            case let .put(_, _, keySpace), let .delete(_, keySpace), let .deleteRange(_, _, keySpace),
                 let .merge(_, _, keySpace): keySpace
            }
        }
    }

    /// The engine the batch belongs to (`PostgresStore.identity`).
    let engine: Int
    private(set) var writes: [Write] = []

    init(engine: Int) {
        self.engine = engine
    }

    /// Sets `key` to `value` in `keySpace`.
    public func put(_ key: [UInt8], _ value: [UInt8], in keySpace: any KeySpace) {
        writes.append(.put(key: key, value: value, keySpace: keySpace))
    }

    /// Removes `key` from `keySpace`.
    public func delete(_ key: [UInt8], in keySpace: any KeySpace) {
        writes.append(.delete(key: key, keySpace: keySpace))
    }

    /// Removes every key `k` with `start <= k < end` from `keySpace`.
    public func deleteRange(from start: [UInt8], to end: [UInt8], in keySpace: any KeySpace) {
        writes.append(.deleteRange(start: start, end: end, keySpace: keySpace))
    }

    /// Adds a merge operand for `key`, folded in the transaction that applies the batch.
    public func merge(_ key: [UInt8], _ operand: [UInt8], in keySpace: any KeySpace) {
        writes.append(.merge(key: key, operand: operand, keySpace: keySpace))
    }

    /// The number of writes collected.
    public var count: Int { writes.count }

    /// Removes every collected write.
    public func clear() {
        writes.removeAll()
    }
}
