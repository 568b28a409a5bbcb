// ChangeStreamSpec: a `$changeStream` stage, parsed — what it watches (a collection, a
// database or the whole deployment), where it starts (resumeAfter, startAfter,
// startAtOperationTime or now), which images it adds, and the stages that follow it.

import BSON
import Documents

/// How an event's `fullDocument` (or `fullDocumentBeforeChange`) is filled in.
enum ImageMode: String, Sendable {
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

/// A parsed `$changeStream` aggregate.
struct ChangeStreamSpec: Sendable {
    /// What the stream watches.
    enum Scope: Sendable, Equatable {
        case collection(Namespace)
        case database(String)
        case cluster

        /// Whether a change log entry on `database`.`collection` is in scope.
        func contains(database: String, collection: String?) -> Bool {
            if let collection, collection.hasPrefix("system.") { return false }
            switch self {
            case let .collection(namespace):
                return namespace.database == database && (collection == nil || namespace.collection == collection)
            case let .database(name):
                return name == database
            case .cluster:
                return !["admin", "config", "local"].contains(database)
            }
        }
    }

    /// Where the stream starts.
    enum Start: Sendable, Equatable {
        /// After the newest committed change.
        case now
        /// After the change with this token (`resumeAfter`, `startAfter`).
        case after(ResumeToken)
        /// At this cluster time, inclusive (`startAtOperationTime`).
        case at(BSONTimestamp)
    }

    let scope: Scope
    let start: Start
    let fullDocument: ImageMode
    let fullDocumentBeforeChange: ImageMode
    /// `showExpandedEvents`: also report create, createIndexes and dropIndexes.
    let showExpandedEvents: Bool
    /// The stages after `$changeStream`, run on each batch of events.
    let stages: [BSONDocument]

    /// Stages allowed after `$changeStream`.
    static let allowedStages: Set<String> = [
        "$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith", "$redact",
    ]

    /// Parses `pipeline` (whose first stage is `$changeStream`) of an aggregate on
    /// `collection` (nil for `aggregate: 1`) in `database`.
    ///
    /// - Throws: `Location40602` for a `$changeStream` that is not first, `IllegalOperation`
    ///   (20) for a following stage a change stream cannot run, `Location40415` for an unknown
    ///   option, `BadValue` (2) for bad option values and `InvalidNamespace` (73) for a stream
    ///   on an internal database or a cluster-wide stream outside admin.
    init(pipeline: [BSONDocument], database: String, collection: String?) throws(MongoError) {
        guard case let .document(options)? = pipeline.first?["$changeStream"] else {
            throw MongoError(.location(40573), "the $changeStream stage must be specified as an object")
        }
        for stage in pipeline.dropFirst() {
            let name = stage.first?.key ?? ""
            if name == "$changeStream" {
                throw MongoError(.location(40602), "$changeStream is only valid as the first stage in a pipeline")
            }
            guard Self.allowedStages.contains(name) else {
                throw MongoError(.illegalOperation, "\(name) is not permitted in a $changeStream pipeline")
            }
        }
        stages = Array(pipeline.dropFirst())
        var start = Start.now
        var startOptions = 0
        var fullDocument = ImageMode.default
        var beforeChange = ImageMode.off
        var allChanges = false
        var expanded = false
        for element in options {
            switch element.key {
            case "fullDocument":
                guard case let .string(mode) = element.value, let parsed = ImageMode(rawValue: mode), parsed != .off else {
                    throw MongoError(.badValue, "unknown fullDocument mode: \(element.value.extendedJSON())")
                }
                fullDocument = parsed
            case "fullDocumentBeforeChange":
                guard case let .string(mode) = element.value, let parsed = ImageMode(rawValue: mode),
                      parsed != .default, parsed != .updateLookup
                else {
                    throw MongoError(.badValue, "unknown fullDocumentBeforeChange mode: \(element.value.extendedJSON())")
                }
                beforeChange = parsed
            case "resumeAfter":
                let token = try ResumeToken(element.value)
                if token.isInvalidate {
                    throw MongoError(.invalidResumeToken,
                                     "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.")
                }
                start = .after(token)
                startOptions += 1
            case "startAfter":
                start = .after(try ResumeToken(element.value))
                startOptions += 1
            case "startAtOperationTime":
                guard case let .timestamp(time) = element.value else {
                    throw MongoError(.typeMismatch, "BSON field '$changeStream.startAtOperationTime' is the wrong type '\(element.value.type.alias)', expected type 'timestamp'")
                }
                start = .at(time)
                startOptions += 1
            case "allChangesForCluster":
                allChanges = element.value.boolValue ?? false
            case "showExpandedEvents":
                expanded = element.value.boolValue ?? false
            case "allowToRunOnConfigDB", "allowToRunOnSystemNS", "showSystemEvents", "showRawUpdateDescription":
                continue
            default:
                throw MongoError(.location(40415), "BSON field '$changeStream.\(element.key)' is an unknown field.")
            }
        }
        guard startOptions <= 1 else {
            throw MongoError(.location(40674), "Only one type of resume option is allowed, but multiple were found.")
        }
        if allChanges {
            guard database == "admin", collection == nil else {
                throw MongoError(.invalidNamespace,
                                 "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name")
            }
            scope = .cluster
        } else if let collection {
            guard !["admin", "config", "local"].contains(database), !collection.hasPrefix("system.") else {
                throw MongoError(.invalidNamespace, "cannot open a change stream on the internal collection \(database).\(collection)")
            }
            scope = .collection(try Namespace(database: database, collection: collection))
        } else {
            guard !["admin", "config", "local"].contains(database) else {
                throw MongoError(.invalidNamespace,
                                 "\(database) database is not supported for a whole-database change stream (use allChangesForCluster on admin)")
            }
            scope = .database(database)
        }
        self.start = start
        self.fullDocument = fullDocument
        self.fullDocumentBeforeChange = beforeChange
        self.showExpandedEvents = expanded
    }

    /// The sequence number after which the stream's events begin.
    ///
    /// - Throws: `ChangeStreamHistoryLost` (286) when the change log no longer holds the
    ///   entries right after that point.
    func startingSequence(in changeLog: ChangeLog) throws(MongoError) -> UInt64 {
        let latest = changeLog.latestSequence
        let after: UInt64
        switch start {
        case .now: return latest
        case let .after(token): after = token.sequence
        case let .at(time): after = max(ReplicaSet.sequence(time), 1) - 1
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
