// SnapshotRead: `readConcern: {level: "snapshot"}` on find, aggregate and distinct outside a
// transaction (MongoDB 5.0+ snapshot reads, which drivers' snapshot sessions send). Owns the
// read's cluster time: a read with no `atClusterTime` reports the time it read at
// (`cursor.atClusterTime`, or `atClusterTime` for distinct); one with `atClusterTime` runs
// only when that is still the newest commit. Tessera keeps no history of older versions, so
// an older time answers SnapshotTooOld (239), as mongod does past its history window.

import BSON
import Query

/// A snapshot read's request: the time asked for, if any.
struct SnapshotRead: Sendable {
    /// The commands that take a snapshot read concern outside a transaction.
    static let commands: Set<String> = ["find", "aggregate", "distinct"]
    /// How often a read is run again when a write commits during it.
    static let attempts = 5

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

    /// Refuses `readConcern: {level: "snapshot"}` on a command outside a transaction that
    /// cannot read at a snapshot (writes, listCollections, ...), as mongod does.
    ///
    /// - Throws: `InvalidOptions` (72).
    static func rejectUnsupported(_ body: BSONDocument, name: String) throws(MongoError) {
        // getMore continues a snapshot read's cursor (drivers repeat the session's read concern).
        guard !commands.contains(name), name != "getMore", body["autocommit"] == nil,
              case let .document(concern)? = body["readConcern"], concern["level"] == "snapshot" else { return }
        throw MongoError(.invalidOptions, "Command \(name) does not support { readConcern: { level: \"snapshot\" } }")
    }

    /// Runs `read` so that no write commits while it runs (again, up to ``attempts`` times,
    /// when one did; a discarded reply's cursor goes to `discard`) and adds the cluster time
    /// it read at to the reply.
    ///
    /// - Throws: `SnapshotTooOld` (239) when `atClusterTime` is older than the newest commit;
    ///   `SnapshotUnavailable` (246) when writes commit during every attempt; `read`'s errors.
    func run(engine: QueryEngine, discard: (_ cursorID: Int64, _ namespace: String) -> Void,
             _ read: () throws(MongoError) -> BSONDocument) throws(MongoError) -> BSONDocument {
        for _ in 0..<Self.attempts {
            let before = engine.latestCommitSequence
            if let sequence, sequence < before {
                throw MongoError(Self.snapshotTooOld,
                                 "Read timestamp \(ClusterTime.timestamp(ofSequence: sequence)) is older than the oldest available timestamp.")
            }
            var reply = try read()
            guard engine.latestCommitSequence == before else {
                if case let .document(cursor)? = reply["cursor"], case let .int64(id)? = cursor["id"], id != 0,
                   case let .string(namespace)? = cursor["ns"] {
                    discard(id, namespace)
                }
                continue
            }
            let time = BSONValue.timestamp(ClusterTime.timestamp(ofSequence: before))
            if case var .document(cursor)? = reply["cursor"] {
                cursor["atClusterTime"] = time
                reply["cursor"] = .document(cursor)
            } else {
                reply["atClusterTime"] = time
            }
            return reply
        }
        throw MongoError(Self.snapshotUnavailable, "writes kept committing during the snapshot read; retry it")
    }

    /// 239 SnapshotTooOld.
    static let snapshotTooOld = MongoError.Code(239, "SnapshotTooOld")
    /// 246 SnapshotUnavailable.
    static let snapshotUnavailable = MongoError.Code(246, "SnapshotUnavailable")
}
