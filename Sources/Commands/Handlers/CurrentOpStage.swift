// The `$currentOp` aggregation stage: `{aggregate: 1, pipeline: [{$currentOp: {...}}, ...]}`
// on `admin` feeds the running operations (as the currentOp command shows them) to the rest
// of the pipeline, as mongod does.

import BSON

/// A parsed leading `$currentOp` stage.
struct CurrentOpStage {
    /// `allUsers`: every user's operations (else, under `--auth`, only the caller's).
    let allUsers: Bool

    /// The options mongod's stage accepts; the idle-connection/cursor/session ones are
    /// accepted and have nothing to add here (no idle operations are tracked).
    static let options: Set<String> = [
        "allUsers", "idleConnections", "idleCursors", "idleSessions", "localOps", "truncateOps", "backtrace",
        "targetAllNodes",
    ]

    /// Removes a leading `$currentOp` from `stages` and parses it; `nil` when there is none.
    ///
    /// - Throws: `InvalidNamespace` (73) outside `{aggregate: 1}` on `admin`; `TypeMismatch`
    ///   (14) for a non-document spec or a non-boolean option; `Location40415` for an
    ///   unknown option.
    static func take(_ stages: inout [BSONDocument], context: CommandContext) throws(MongoError) -> CurrentOpStage? {
        guard let first = stages.first, first.first?.key == "$currentOp" else { return nil }
        guard context.database == "admin", context.firstValue.int64Value == 1 else {
            throw MongoError(.invalidNamespace, "$currentOp must be run against the 'admin' database with {aggregate: 1}")
        }
        guard case let .document(spec)? = first["$currentOp"] else {
            throw MongoError(.typeMismatch, "$currentOp options must be specified in an object, but found: \(first["$currentOp"]?.type.alias ?? "missing")")
        }
        var allUsers = false
        for option in spec {
            guard options.contains(option.key) else {
                throw MongoError(.location(40415), "BSON field '$currentOp.\(option.key)' is an unknown field.")
            }
            guard case let .bool(value) = option.value else {
                throw MongoError(.typeMismatch, "BSON field '$currentOp.\(option.key)' is the wrong type '\(option.value.type.alias)', expected type 'bool'")
            }
            if option.key == "allUsers" { allUsers = value }
        }
        stages.removeFirst()
        return CurrentOpStage(allUsers: allUsers)
    }

    /// The operations the caller may see.
    func documents(_ context: CommandContext) -> [BSONDocument] {
        DiagnosticCommands.operationDocuments(context, ownOps: !allUsers)
    }
}
