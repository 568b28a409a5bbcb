// SnapshotRead: `readConcern: {level: "snapshot"}` on find, aggregate and distinct outside a
// transaction (MongoDB 5.0+ snapshot reads, which drivers' snapshot sessions send). Owns the
// read's cluster time: a read with no `atClusterTime` reads one storage snapshot, reports the
// commit it holds (`cursor.atClusterTime`, or `atClusterTime` for distinct) and keeps the
// snapshot in the server's SnapshotHistory; one with `atClusterTime` reads the snapshot kept
// for it, or the newest when that is the time asked. Any other older time answers
// SnapshotTooOld (239), as mongod does past its history window.

import BSON
import Query

/// A snapshot read's request: the time asked for, if any.
struct SnapshotRead: Sendable {
    /// The commands that take a snapshot read concern outside a transaction.
    static let commands: Set<String> = ["find", "aggregate", "distinct"]

    /// `readConcern.atClusterTime` as a change-log sequence (nil: the newest).
    let sequence: UInt64?

    /// The snapshot read `body` asks for, or nil when its read concern is not `snapshot`
    /// (or the command is not one of ``commands``).
    ///
    /// - Throws: `TypeMismatch` (14) for an `atClusterTime` that is not a timestamp;
    ///   `InvalidOptions` (72) for a null one or one past the newest cluster time.
    init?(_ body: BSONDocument, name: String, engine: QueryEngine) throws(MongoError) {
        guard Self.commands.contains(name), case let .document(concern)? = body["readConcern"],
              concern["level"] == "snapshot" else { return nil }
        switch concern["atClusterTime"] {
        case nil:
            sequence = nil
        case let .timestamp(time)?:
            guard time.timestamp != 0 || time.increment != 0 else {
                throw MongoError(.invalidOptions, "readConcern.atClusterTime cannot be a null timestamp")
            }
            let wanted = ClusterTime.sequence(of: time)
            guard wanted <= engine.latestCommitSequence else {
                throw MongoError(.invalidOptions,
                                 "readConcern.atClusterTime value must not be greater than the current clusterTime")
            }
            sequence = wanted
        case let other?:
            throw MongoError(.typeMismatch,
                             "BSON field 'readConcern.atClusterTime' is the wrong type '\(other.type.alias)', expected type 'timestamp'")
        }
    }

    /// Refuses a malformed `readConcern` (``checkLevel(_:)``), and `readConcern: {level:
    /// "snapshot"}` on a command outside a transaction that cannot read at a snapshot
    /// (writes, listCollections, ...), as mongod does.
    ///
    /// - Throws: `InvalidOptions` (72); ``checkLevel(_:)``'s errors.
    static func rejectUnsupported(_ body: BSONDocument, name: String) throws(MongoError) {
        try checkLevel(body)
        // getMore continues a snapshot read's cursor (drivers repeat the session's read concern).
        guard !commands.contains(name), name != "getMore", body["autocommit"] == nil,
              case let .document(concern)? = body["readConcern"], concern["level"] == "snapshot" else { return }
        throw MongoError(.invalidOptions, "Command \(name) does not support { readConcern: { level: \"snapshot\" } }")
    }

    /// The read concern levels mongod knows.
    static let levels: Set<String> = ["local", "majority", "linearizable", "available", "snapshot"]

    /// Refuses a `readConcern` that is not a document or whose `level` is not a level's name,
    /// as mongod's parser does.
    ///
    /// - Throws: `TypeMismatch` (14) for a wrong type; `BadValue` (2) for an unknown level.
    static func checkLevel(_ body: BSONDocument) throws(MongoError) {
        guard let value = body["readConcern"] else { return }
        guard case let .document(concern) = value else {
            throw MongoError(.typeMismatch, "BSON field 'readConcern' is the wrong type '\(value.type.alias)', expected type 'object'")
        }
        switch concern["level"] {
        case nil: return
        case let .string(level)?:
            guard levels.contains(level) else {
                throw MongoError(.badValue, "Enumeration value '\(level)' for field 'readConcern.level' is not a valid value.")
            }
        case let other?:
            throw MongoError(.typeMismatch, "BSON field 'readConcern.level' is the wrong type '\(other.type.alias)', expected type 'string'")
        }
    }

    /// Runs `read` with `context` reading one snapshot (a read-only transaction's) and adds
    /// the cluster time it read at to the reply; the snapshot is kept in `history` for later
    /// reads at that time (and their getMores read on through it).
    ///
    /// - Throws: `SnapshotTooOld` (239) when `atClusterTime` is older than the newest commit
    ///   and no snapshot is kept for it; `read`'s errors.
    func run(context: CommandContext, history: SnapshotHistory,
             _ read: (CommandContext) throws(MongoError) -> BSONDocument) throws(MongoError) -> BSONDocument {
        let transaction: QueryTransaction
        let readAt: UInt64
        if let sequence, let kept = history.transaction(at: sequence) {
            (transaction, readAt) = (kept, sequence)
        } else {
            let published = context.engine.latestCommitSequence
            transaction = try context.engine.beginTransaction()
            // Every commit published before the snapshot is in it; a trimmed-out log reads 0.
            readAt = max(try transaction.snapshotSequence(), published)
            if let sequence, sequence < readAt {
                throw MongoError(Self.snapshotTooOld,
                                 "Read timestamp \(ClusterTime.timestamp(ofSequence: sequence)) is older than the oldest available timestamp.")
            }
            history.keep(transaction, at: readAt)
        }
        var inside = context
        inside.transaction = transaction
        var reply = try read(inside)
        let time = BSONValue.timestamp(ClusterTime.timestamp(ofSequence: readAt))
        if case var .document(cursor)? = reply["cursor"] {
            cursor["atClusterTime"] = time
            reply["cursor"] = .document(cursor)
        } else {
            reply["atClusterTime"] = time
        }
        return reply
    }

    /// 239 SnapshotTooOld.
    static let snapshotTooOld = MongoError.Code(239, "SnapshotTooOld")
}
