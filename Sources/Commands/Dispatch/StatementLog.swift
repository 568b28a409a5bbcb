// StatementLog: what each statement of an update or delete command did — its own `q`/`u`
// (or `q`/`limit`), keys and documents examined, counts, access path and duration — so the
// profiler and the slow-operation log report one entry per statement, as mongod does for
// write commands. Written by the command's own thread; read by the profiler after it ends.

import BSON
import Query
import Synchronization

/// One finished statement of a write command.
struct ProfiledStatement: Sendable {
    /// What the statement did, by kind.
    enum Outcome: Sendable {
        case update(matched: Int, modified: Int, upserted: Int)
        case remove(deleted: Int)
    }

    /// The statement as the client sent it (`{q, u, ...}` or `{q, limit}`).
    let statement: BSONDocument
    let outcome: Outcome
    let keysExamined: Int
    let docsExamined: Int
    /// The access paths of its scans (see `OperationTally.accessPaths`).
    let accessPaths: [BSONDocument?]
    let duration: Duration
    /// The statement's error, if it failed.
    let error: MongoError?

    /// mongod's `planSummary` of its scans.
    var planSummary: String? { OperationTally.summary(of: accessPaths) }

    /// mongod's `op`: "update" or "remove".
    var op: String {
        switch outcome {
        case .update: "update"
        case .remove: "remove"
        }
    }

    /// The statement as mongod's entry shows it: an update with `multi` and `upsert` spelled out.
    var command: BSONDocument {
        guard case .update = outcome else { return statement }
        var shown = statement
        if shown["multi"] == nil { shown.append("multi", .bool(false)) }
        if shown["upsert"] == nil { shown.append("upsert", .bool(false)) }
        return shown
    }

    /// The counts as mongod's entry names them.
    var counts: BSONDocument {
        switch outcome {
        case let .update(matched, modified, upserted):
            var counts: BSONDocument = ["nMatched": .int64(Int64(matched)), "nModified": .int64(Int64(modified))]
            if upserted > 0 { counts.append("nUpserted", .int64(Int64(upserted))) }
            return counts
        case let .remove(deleted):
            return ["ndeleted": .int64(Int64(deleted))]
        }
    }
}

/// The statements a command has run, in order.
final class StatementLog: Sendable {
    private let statements = Mutex<[ProfiledStatement]>([])

    /// Appends a finished statement.
    func append(_ statement: ProfiledStatement) {
        statements.withLock { $0.append(statement) }
    }

    /// Every statement recorded.
    var all: [ProfiledStatement] { statements.withLock { $0 } }
}

/// The start of one statement: the tally's figures and the clock, so its own share can be
/// taken when it ends.
struct StatementMark {
    private let operation: Operation
    private let keysBefore: Int
    private let docsBefore: Int
    private let started: ContinuousClock.Instant

    /// Marks the start of a statement of `operation` (forgetting earlier statements' plans).
    init(_ operation: Operation) {
        self.operation = operation
        operation.tally.clearPlans()
        keysBefore = operation.tally.keysExamined
        docsBefore = operation.tally.docsExamined
        started = .now
    }

    /// Records the statement that began at this mark. Cheap: the statement document is
    /// kept as sent (shared, not copied) and shaped only if an entry is written.
    func finish(_ statement: BSONDocument, _ outcome: ProfiledStatement.Outcome, error: MongoError? = nil) {
        let tally = operation.tally
        operation.statements.append(ProfiledStatement(
            statement: statement, outcome: outcome, keysExamined: tally.keysExamined - keysBefore,
            docsExamined: tally.docsExamined - docsBefore, accessPaths: tally.accessPaths,
            duration: .now - started, error: error))
    }
}
