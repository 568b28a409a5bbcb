// RetryableWriteProgress: what an insert, update or delete running as a retryable write needs
// to apply each of its statements once — the statement id of each (`stmtIds`, else `stmtId`
// plus its index, else its index, as mongod numbers them) and, on a retry, which of them were
// already executed (their records, written with their writes) and what an executed update
// inserted. The handlers answer executed statements from these and apply the others.

import BSON
import Query

/// The statement ids of a retryable insert, update or delete and those already executed.
struct RetryableWriteProgress: Sendable {
    /// The ids the command gave in `stmtIds`, if it gave one per statement.
    private let explicitIDs: [Int32]?
    /// The id of the first statement (`stmtId`, else 0) when `stmtIds` is absent.
    private let firstID: Int32
    /// The ids of the statements already executed.
    private let executed: Set<Int32>
    /// For executed statements whose commit inserted a document (an update's upsert), its `_id`.
    private let inserted: [Int32: BSONValue]

    /// The progress of command `body` with `count` statements, given the statements executed
    /// before (none on a first attempt).
    init(body: BSONDocument, count: Int, executed: Set<Int32> = [], inserted: [Int32: BSONValue] = [:]) {
        var explicit: [Int32]?
        if case let .array(values)? = body["stmtIds"], values.count == count {
            let ids = values.compactMap { value -> Int32? in
                if case let .int32(id) = value { return id }
                return nil
            }
            if ids.count == count { explicit = ids }
        }
        explicitIDs = explicit
        if case let .int32(first)? = body["stmtId"] { firstID = first } else { firstID = 0 }
        self.executed = executed
        self.inserted = inserted
    }

    /// The statement id of the statement at `index`.
    func statementID(at index: Int) -> Int32 {
        if let explicitIDs, explicitIDs.indices.contains(index) { return explicitIDs[index] }
        return firstID &+ Int32(truncatingIfNeeded: index)
    }

    /// Whether the statement at `index` was executed by an earlier attempt.
    func isExecuted(_ index: Int) -> Bool {
        !executed.isEmpty && executed.contains(statementID(at: index))
    }

    /// How many of the first `count` statements were not executed by an earlier attempt.
    func unexecutedCount(of count: Int) -> Int {
        guard !executed.isEmpty else { return count }
        return (0..<count).reduce(0) { $0 + (isExecuted($1) ? 0 : 1) }
    }

    /// mongod's refusal of a statement that may write many documents (`multi=true`,
    /// `limit=0`) in a retryable write: `InvalidOptions` (72), a write error of that statement
    /// alone. Allowed when the statement has no id (`stmtIds` giving -1, mongod's
    /// uninitialized statement id).
    func refuseManyDocuments(at index: Int, _ option: String) throws(MongoError) {
        guard statementID(at: index) != -1 else { return }
        throw MongoError(.invalidOptions, "Cannot use (or request) retryable writes with \(option)")
    }

    /// The `_id` the executed statement at `index` inserted (an update's upsert), if any.
    func insertedID(at index: Int) -> BSONValue? {
        inserted[statementID(at: index)]
    }
}

extension CommandContext {
    /// Runs `body`, which applies the statements at `indexes` of this command: when the command
    /// runs as a retryable write recorded per statement, each commit `body` makes records them
    /// as executed, atomically with its writes. Otherwise just runs `body`.
    func applyingStatements<Result>(_ indexes: Range<Int>, _ body: () throws(MongoError) -> Result) throws(MongoError) -> Result {
        guard let retryableWrite else { return try body() }
        return try engine.runRetryableStatements(indexes.map(retryableWrite.statementID(at:)), body)
    }
}
