// ChangeStreamStage: the `$changeStream` stage of an aggregate command, parsed into the
// engine's ChangeStreamSpec — its option names, types and MongoDB's error codes for them.
// The stream's rules (scope, stages, start) belong to the engine; this owns only the syntax.

import BSON
import Query

/// The aggregate command's `$changeStream` stage.
enum ChangeStreamStage {
    /// Parses `pipeline` (whose first stage is `$changeStream`) of an aggregate on
    /// `collection` (nil for `aggregate: 1`) in `database`.
    ///
    /// - Throws: `Location40602` for a `$changeStream` that is not first, `IllegalOperation`
    ///   (20) for a following stage a change stream cannot run, `Location40415` for an unknown
    ///   option, `BadValue` (2) for bad option values and `InvalidNamespace` (73) for a stream
    ///   on an internal database or a cluster-wide stream outside admin.
    static func spec(pipeline: [BSONDocument], database: String, collection: String?) throws(MongoError) -> ChangeStreamSpec {
        guard case let .document(options)? = pipeline.first?["$changeStream"] else {
            throw MongoError(.location(40573), "the $changeStream stage must be specified as an object")
        }
        let stages = Array(pipeline.dropFirst())
        try ChangeStreamSpec.validate(stages: stages)
        var start = ChangeStreamSpec.Start.now
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
        let scope = try ChangeStreamSpec.Scope.watching(database: database, collection: collection,
                                                        allChangesForCluster: allChanges)
        return try ChangeStreamSpec(scope: scope, start: start, fullDocument: fullDocument,
                                    fullDocumentBeforeChange: beforeChange, showExpandedEvents: expanded, stages: stages)
    }
}
