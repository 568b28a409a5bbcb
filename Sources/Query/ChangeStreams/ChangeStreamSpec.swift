// ChangeStreamSpec: what one change stream is — what it watches (a collection, a database
// or the whole deployment), where it starts (after a resume token, at a cluster time, or
// now), which images its events carry, and the stages that follow it — and where in the
// change log that start is. Built by the aggregate command from a `$changeStream` stage, or
// directly by the embedding API; owns the rules of scope and stages, not their BSON syntax.

public import BSON
internal import Documents

/// How an event's `fullDocument` (or `fullDocumentBeforeChange`) is filled in.
public enum ImageMode: String, Sendable {
    /// `fullDocument` only where the event carries it (insert, replace); no pre-image.
    case `default`
    /// The pre-image option's name for `default`.
    case off
    /// `fullDocument` of an update: the document as it is now.
    case updateLookup
    /// The image if the server has it, else `null`.
    case whenAvailable
    /// The image, or the stream fails with NoMatchingDocument.
    case required
}

/// A change stream's definition.
public struct ChangeStreamSpec: Sendable {
    /// What the stream watches.
    public enum Scope: Sendable, Equatable {
        case collection(Namespace)
        case database(String)
        case cluster

        /// The scope of a stream opened on `collection` (nil: the whole database) in
        /// `database`, or on the whole deployment with `allChangesForCluster`.
        ///
        /// - Throws: `InvalidNamespace` (73) for a stream on an internal database or
        ///   collection, or a cluster-wide stream outside admin or on a collection.
        public static func watching(database: String, collection: String?,
                                    allChangesForCluster: Bool = false) throws(MongoError) -> Scope {
            if allChangesForCluster {
                guard database == "admin", collection == nil else {
                    throw MongoError(.invalidNamespace,
                                     "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name")
                }
                return .cluster
            }
            if let collection {
                guard !internalDatabases.contains(database), !collection.hasPrefix("system.") else {
                    throw MongoError(.invalidNamespace, "cannot open a change stream on the internal collection \(database).\(collection)")
                }
                return .collection(try Namespace(database: database, collection: collection))
            }
            guard !internalDatabases.contains(database) else {
                throw MongoError(.invalidNamespace,
                                 "\(database) database is not supported for a whole-database change stream (use allChangesForCluster on admin)")
            }
            return .database(database)
        }

        /// Databases no stream but a cluster-wide one sees, and that one skips.
        static let internalDatabases: Set<String> = ["admin", "config", "local"]

        /// Whether a change log entry on `database`.`collection` is in scope.
        func contains(database: String, collection: String?) -> Bool {
            if let collection, collection.hasPrefix("system.") { return false }
            switch self {
            case let .collection(namespace):
                return namespace.database == database && (collection == nil || namespace.collection == collection)
            case let .database(name):
                return name == database
            case .cluster:
                return !Self.internalDatabases.contains(database)
            }
        }

        /// The database the following stages run in (`admin` for a cluster-wide stream).
        var database: String {
            switch self {
            case let .collection(namespace): namespace.database
            case let .database(name): name
            case .cluster: "admin"
            }
        }
    }

    /// Where the stream starts.
    public enum Start: Sendable, Equatable {
        /// After the newest committed change.
        case now
        /// After the change with this token (`resumeAfter`, `startAfter`).
        case after(ResumeToken)
        /// At this cluster time, inclusive (`startAtOperationTime`).
        case at(BSONTimestamp)
    }

    /// What the stream watches.
    public let scope: Scope
    /// Where it starts.
    public let start: Start
    /// How update events' `fullDocument` is filled in.
    public let fullDocument: ImageMode
    /// Whether (and how) events carry `fullDocumentBeforeChange`.
    public let fullDocumentBeforeChange: ImageMode
    /// `showExpandedEvents`: also report create, createIndexes and dropIndexes.
    public let showExpandedEvents: Bool
    /// The stages after `$changeStream`, run on each batch of events (without a final
    /// `$changeStreamSplitLargeEvent`, which ``splitsLargeEvents`` stands for).
    public let stages: [BSONDocument]
    /// Whether the pipeline ends with `$changeStreamSplitLargeEvent`: events over 16 MiB
    /// are returned as fragments (ChangeEventSplitter).
    public let splitsLargeEvents: Bool

    /// MongoDB 8.0's aggregation stage names: after `$changeStream`, one of these that a
    /// change stream cannot run is IllegalOperation (20); any other name is unrecognized (40324).
    static let knownStages: Set<String> = [
        "$addFields", "$bucket", "$bucketAuto", "$changeStream", "$changeStreamSplitLargeEvent", "$collStats",
        "$count", "$currentOp", "$densify", "$documents", "$facet", "$fill", "$geoNear", "$graphLookup", "$group",
        "$indexStats", "$limit", "$listLocalSessions", "$listSampledQueries", "$listSearchIndexes", "$listSessions",
        "$lookup", "$match", "$merge", "$out", "$planCacheStats", "$project", "$querySettings", "$queryStats",
        "$redact", "$replaceRoot", "$replaceWith", "$sample", "$search", "$searchMeta", "$set", "$setWindowFields",
        "$shardedDataDistribution", "$skip", "$sort", "$sortByCount", "$unionWith", "$unset", "$unwind",
        "$vectorSearch",
    ]

    /// Stages allowed after `$changeStream`.
    public static let allowedStages: Set<String> = [
        "$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith", "$redact",
        splitStage,
    ]
    /// The stage that splits events over 16 MiB into fragments; only last, with `{}`.
    static let splitStage = "$changeStreamSplitLargeEvent"

    /// A stream watching `scope` from `start`, its events filled in per `fullDocument` and
    /// `fullDocumentBeforeChange` and passed through `stages`.
    ///
    /// - Throws: as ``validate(stages:)``.
    public init(scope: Scope, start: Start = .now, fullDocument: ImageMode = .default,
                fullDocumentBeforeChange: ImageMode = .off, showExpandedEvents: Bool = false,
                stages: [BSONDocument] = []) throws(MongoError) {
        try Self.validate(stages: stages)
        let splits = stages.last?.first?.key == Self.splitStage
        if case let .after(token) = start, token.fragment != nil, !splits {
            throw MongoError(.changeStreamFatalError,
                             "To resume from a split event, the $changeStream pipeline must include a $changeStreamSplitLargeEvent stage")
        }
        self.scope = scope
        self.start = start
        self.fullDocument = fullDocument
        self.fullDocumentBeforeChange = fullDocumentBeforeChange
        self.showExpandedEvents = showExpandedEvents
        self.stages = splits ? Array(stages.dropLast()) : stages
        splitsLargeEvents = splits
    }

    /// Checks the stages that follow `$changeStream`.
    ///
    /// - Throws: `Location40602` for a second `$changeStream`, `Location40324` for a name that
    ///   is no aggregation stage, `IllegalOperation` (20) for a stage a change stream cannot
    ///   run, `Location7182800` for a `$changeStreamSplitLargeEvent` whose argument is not `{}`
    ///   and `Location7182802` for one that is not last.
    public static func validate(stages: [BSONDocument]) throws(MongoError) {
        for (position, stage) in stages.enumerated() {
            let name = stage.first?.key ?? ""
            if name == splitStage {
                guard case let .document(argument)? = stage.first?.value, argument.isEmpty else {
                    throw MongoError(.location(7182800), "$changeStreamSplitLargeEvent spec should be an empty object")
                }
                guard position == stages.count - 1 else {
                    throw MongoError(.location(7182802), "$changeStreamSplitLargeEvent must be the last stage in the pipeline")
                }
            }
            if name == "$changeStream" {
                throw MongoError(.location(40602), "$changeStream is only valid as the first stage in a pipeline")
            }
            guard knownStages.contains(name) else {
                throw MongoError(.location(40324), "Unrecognized pipeline stage name: '\(name)'")
            }
            guard allowedStages.contains(name) else {
                throw MongoError(.illegalOperation, "\(name) is not permitted in a $changeStream pipeline")
            }
        }
    }

    /// The sequence number after which the stream's events begin.
    ///
    /// - Throws: `ChangeStreamHistoryLost` (286) when the change log no longer holds the
    ///   entries right after that point.
    func startingSequence(in changeLog: ChangeLog) throws(MongoError) -> UInt64 {
        let latest = try changeLog.currentSequence()
        let after: UInt64
        switch start {
        case .now: return latest
        // A split event's fragment: its event is read again, and the fragments up to this
        // one are skipped (ChangeStream).
        case let .after(token): after = token.fragment == nil ? token.sequence : max(token.sequence, 1) - 1
        case let .at(time): after = max(ClusterTime.sequence(of: time), 1) - 1
        }
        guard after < latest else { return after }
        let oldest = try changeLog.oldestSequence()
        if oldest.map({ after + 1 < $0 }) ?? true {
            throw MongoError(.changeStreamHistoryLost,
                             "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
        }
        return after
    }
}
